"""Secrets: a planted password, PAT and private-key passphrase — in the settings and in the environment —
appear in no tool result (text or structured), no log line (this process's loggers, its stdout/stderr,
the job runners' logs and every file the server writes), no error text and no generated code.

Both backends run the whole flow; the Snowflake backend also fails to connect with a driver error that
quotes the password (as a driver may), which must reach the assistant scrubbed.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from tests.hardening.conftest import Outcome, call_tool

from snowbatch.server import build_server
from snowbatch.settings import Settings

pytestmark = pytest.mark.anyio

PASSWORD = "pw-Planted-9f3a71c2"
PAT = "pat-Planted-0b1d2e7788"
PASSPHRASE = "pp-Planted-55aa19"
SECRETS = (PASSWORD, PAT, PASSPHRASE)
ENV = {
    "SNOWFLAKE_PASSWORD": PASSWORD,
    "SNOWFLAKE_PAT": PAT,
    "SNOWFLAKE_PRIVATE_KEY_FILE_PWD": PASSPHRASE,
    "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": PASSPHRASE,
    "SNOWBATCH_PASSWORD": PASSWORD,
    "SNOWBATCH_PRIVATE_KEY_PASSPHRASE": PASSPHRASE,
}


def planted_settings(**fields: Any) -> Settings:
    return Settings(password=PASSWORD, private_key_passphrase=PASSPHRASE, **fields)


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def files_text(root: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace")
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".parquet" and p.stat().st_size < 5_000_000
    )


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    caplog.set_level(logging.DEBUG)
    return caplog


async def sweep(client: Client, calls: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
    outcomes = []
    for tool, args in calls:
        outcomes.append(await call_tool(client, tool, args))
    return outcomes


FLOW = [
    ("get_environment", {}),
    ("list_models", {}),
    ("list_model_versions", {"model": "ML.PUBLIC.CHURN_CLASSIFIER"}),
    ("show_model_functions", {"model": "ML.PUBLIC.CHURN_CLASSIFIER"}),
    (
        "describe_input",
        {"table": "ML.PUBLIC.CUSTOMERS", "model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": "PREDICT"},
    ),
    ("list_stages", {}),
    ("list_stage_files", {"stage_location": "@ML.PUBLIC.BATCH_OUT/"}),
    ("list_compute_pools", {}),
    ("list_compute_pools", {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": "PREDICT"}),
    ("list_templates", {}),
    # errors too: their text must be as clean as results
    ("list_model_versions", {"model": "ML.PUBLIC.NO_SUCH_MODEL"}),
    ("wait_for_job", {"job_id": "NO_SUCH_JOB", "timeout_seconds": 0}),
    ("list_stage_files", {"stage_location": "@ML.PUBLIC.NOPE/"}),
]
PLAN = {
    "model": "ML.PUBLIC.CHURN_CLASSIFIER",
    "function": "PREDICT",
    "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"},
    "output_stage": "@ML.PUBLIC.BATCH_OUT/secrets/",
    "compute_pool": "CPU_POOL",
    "include_code": True,
}


async def job_flow(client: Client) -> list[Outcome]:
    """plan (with code) → submit (approved) → wait → logs → inspect → preview → generated code."""
    out = []
    planned = await call_tool(client, "plan_batch_job", PLAN)
    out.append(planned)
    assert not planned.is_error and planned.structured and planned.structured["ok"], planned.text
    assert planned.structured["code"], "the plan's code is part of what is scanned"
    first = await call_tool(client, "submit_batch_job", {"plan_id": planned.structured["plan_id"]})
    out.append(first)
    token = (first.structured or {}).get("confirmation_token")
    submitted = await call_tool(
        client, "submit_batch_job", {"plan_id": planned.structured["plan_id"], "confirmation_token": token}
    )
    out.append(submitted)
    assert not submitted.is_error, submitted.text
    job = submitted.structured["result"]["job_id"]  # type: ignore[index]
    for _ in range(10):
        waited = await call_tool(client, "wait_for_job", {"job_id": job, "timeout_seconds": 10})
        out.append(waited)
        if (waited.structured or {}).get("job", {}).get("status") not in ("PENDING", "RUNNING"):
            break
    for tool in ("get_job_logs", "inspect_output", "preview_results"):
        out.append(await call_tool(client, tool, {"job_id": job}))
    out.append(await call_tool(client, "list_jobs", {}))
    templates = (await call_tool(client, "list_templates", {})).structured or {}
    for t in templates.get("templates", []):
        out.append(
            await call_tool(client, "generate_code", {"template": t["name"]})
        )  # errors: missing params
    out.append(
        await call_tool(
            client,
            "generate_code",
            {
                "template": "run_batch_tabular",
                "parameters": {
                    "model": "ML.PUBLIC.CHURN_CLASSIFIER",
                    "version": "V1",
                    "function_name": "PREDICT",
                    "input_table": "ML.PUBLIC.CUSTOMERS",
                    "output_stage": "@ML.PUBLIC.BATCH_OUT/x/",
                    "compute_pool": "CPU_POOL",
                },
            },
        )
    )
    return out


def assert_clean(
    outcomes: list[Outcome], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], *roots: Path
) -> None:
    for o in outcomes:
        assert not leaks(o.everything), f"a secret in a tool result: {o.text[:300]}"
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        if record.exc_info and record.exc_info[1] is not None:
            line += repr(record.exc_info[1])
        assert not leaks(line), f"a secret in a log line: {line[:300]}"
    captured = capfd.readouterr()
    assert not leaks(captured.out + captured.err), "a secret on stdout/stderr"
    for root in roots:
        assert not leaks(files_text(root)), f"a secret in a file under {root}"


async def test_the_local_backend_never_shows_a_secret(
    planted: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], local_home: Path
) -> None:
    server = build_server(planted_settings(backend="local", home=local_home))
    async with Client(server) as client:
        outcomes = await sweep(client, FLOW) + await job_flow(client)
    assert any(o.is_error for o in outcomes) and any(not o.is_error for o in outcomes)
    assert_clean(outcomes, planted, capfd, local_home)


async def test_the_snowflake_backend_never_shows_a_secret(
    planted: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tests.fakes import standard_account

    from snowbatch.backends.snowflake import SnowflakeBackend

    account = standard_account(tmp_path / "fake")
    settings = planted_settings(backend="snowflake", home=tmp_path / "home")
    backend = SnowflakeBackend(settings, session_factory=account.session)
    async with Client(build_server(settings, backend=backend)) as client:
        outcomes = await sweep(client, FLOW) + await job_flow(client)
    assert_clean(outcomes, planted, capfd, tmp_path / "home", tmp_path / "fake")


async def test_a_failed_login_that_quotes_the_password_reaches_nobody(
    planted: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No session factory: the real connection path, with the connector failing loudly."""
    from snowflake.connector.errors import DatabaseError
    from snowflake.snowpark.session import Session

    seen: dict[str, Any] = {}

    def refuse(self: Any) -> Any:
        options = dict(self._options)
        seen.update(options)
        raise DatabaseError(
            msg=f"250001: Failed to connect with {options}: password {PASSWORD}, token {PAT}", errno=250001
        )

    monkeypatch.setattr(Session.SessionBuilder, "create", refuse)
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "planted-account")
    monkeypatch.setenv("SNOWFLAKE_USER", "PLANTED_USER")
    monkeypatch.delenv("SNOWFLAKE_DEFAULT_CONNECTION_NAME", raising=False)
    settings = planted_settings(backend="snowflake", home=tmp_path / "home")
    async with Client(build_server(settings)) as client:
        outcomes = await sweep(client, [*FLOW[:3], ("plan_batch_job", PLAN)])
    assert seen.get("password") in (PASSWORD, PAT), "the secret did reach the connector"
    assert seen.get("private_key_file_pwd") == PASSPHRASE
    assert all(o.is_error for o in outcomes)
    assert "connect" in outcomes[0].text.lower() and "doctor" in outcomes[0].text
    assert_clean(outcomes, planted, capfd, tmp_path / "home")


def test_settings_and_connection_config_do_not_show_their_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from snowbatch.backends.snowflake.config import resolve_connection

    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "planted-account")
    settings = planted_settings(backend="snowflake")
    config = resolve_connection(settings)
    shown = [
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        repr(config),
        json.dumps(config.redacted()),
    ]
    for text in shown:
        assert not leaks(text), text
    assert set(config.secrets()) >= {PASSPHRASE} and set(config.secrets()) & {PASSWORD, PAT}
