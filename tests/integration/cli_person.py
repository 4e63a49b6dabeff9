"""A person at the `snowbatch` command line, on a fresh copy of the seeded local account: the real typer
app through click's runner (stdout is not a terminal there, as when piped)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from snowbatch.cli import common
from snowbatch.cli.main import app
from tests.integration.test_job_support import reap_jobs

CHURN = "ML.PUBLIC.CHURN_CLASSIFIER"
PRICE = "ML.PUBLIC.PRICE_REGRESSOR"
TABLE = "ML.PUBLIC.CUSTOMERS"
POOL = "CPU_POOL"
ROWS = 3000  # the seeded CUSTOMERS table (tests/conftest.py)


@dataclass
class Person:
    home: Path
    monkeypatch: pytest.MonkeyPatch

    def run(self, *args: str, answer: str | None = None) -> Result:
        """One command; `answer` is what the person types (stdin)."""
        result = CliRunner().invoke(app, [*args, "--home", str(self.home)], input=answer)
        # every failure is ours (a problem and a next step), never a traceback
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert "Traceback" not in result.output
        return result

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def at_a_terminal(self) -> None:
        """Questions are asked, as at a terminal (the runner's stdin is not one)."""
        self.monkeypatch.setattr(common, "stdin_is_terminal", lambda: True)

    def job_ids(self) -> list[str]:
        return [j["job_id"] for j in self.json("jobs", "list")["items"]]


@pytest.fixture
def person(local_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Person]:
    monkeypatch.delenv("SNOWBATCH_AUTO_APPROVE", raising=False)
    monkeypatch.delenv("SNOWBATCH_READ_ONLY", raising=False)
    monkeypatch.setenv("SNOWBATCH_BACKEND", "local")
    yield Person(local_home, monkeypatch)
    reap_jobs(local_home)
