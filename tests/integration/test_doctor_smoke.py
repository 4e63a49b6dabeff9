"""`snowbatch doctor --smoke`: it never spends without a pool and a yes, and reports every step.

The flow itself (smoke.run_flow) runs end to end in tests/live on the fake; the throwaway-schema seeding
(smoke_account.SmokeAccount) needs a real account and is exercised only by a maintainer's live run."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from snowbatch.backends.snowflake.doctor import Finding
from snowbatch.cli.main import app
from snowbatch.cli.smoke import SmokeReport, Step


@pytest.fixture
def smoke_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run_smoke(settings: Any, **kwargs: Any) -> SmokeReport:
        calls.append(kwargs)
        report = SmokeReport(
            [Step("environment", True, "snowflake backend"), Step("submit", False, "refused")]
        )
        for step in report.steps:
            kwargs["say"](step)
        return report

    monkeypatch.setattr("snowbatch.server.doctor", lambda settings: [Finding("connection", True, "ok")])
    monkeypatch.setattr("snowbatch.cli.smoke_account.run_smoke", fake_run_smoke)
    return calls


def test_smoke_without_a_pool_is_refused_before_anything_runs(smoke_calls: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["doctor", "--smoke"])
    assert result.exit_code == 2 and "--pool" in result.output and not smoke_calls


def test_smoke_says_what_it_will_spend_and_stops_on_a_no(smoke_calls: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["doctor", "--smoke", "--pool", "MY_POOL"], input="n\n")
    assert result.exit_code == 1 and not smoke_calls
    assert "spends credits" in result.output and "drop the schema" in result.output


def test_smoke_reports_each_step_and_fails_when_one_fails(smoke_calls: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["doctor", "--smoke", "--pool", "MY_POOL", "--yes", "--no-files"])
    assert smoke_calls and smoke_calls[0]["pool"] == "MY_POOL" and smoke_calls[0]["files"] is False
    assert "environment: snowflake backend" in result.output and "submit: refused" in result.output
    assert result.exit_code == 1
