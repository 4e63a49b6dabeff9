"""`snowbatch jobs list | status | wait | logs | cancel` on a local account, through the real CLI app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.cli.main import app
from snowbatch.core.records import JobInfo
from tests.integration.test_job_support import (
    group_members,
    job_files,
    job_id,
    job_spec,
    new_home,
    reap_jobs,
    wait_rows_done,
    wait_terminal,
)


@dataclass
class Account:
    home: Path
    backend: LocalBackend
    done: JobInfo  # DONE: 6 rows in 3 batches
    held: JobInfo  # RUNNING: 2 of 4 rows done, the rest held until `release` exists
    release: Path

    def run(self, *args: str, input: str | None = None) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["jobs", *args, "--home", str(self.home)], input=input)
        return result.exit_code, result.output


@pytest.fixture
def account(tmp_path: Path) -> Iterator[Account]:
    home = new_home(tmp_path)
    backend = LocalBackend(home)
    release = tmp_path / "release"
    done = backend.submit_job(job_spec(base="done/", n=6, batch_rows=2))
    held = backend.submit_job(job_spec(base="held/", n=4, batch_rows=2, hold=release, hold_from=2))
    done = wait_terminal(backend, done)
    wait_rows_done(backend, held, at_least=2)
    yield Account(home, backend, done, held, release)
    reap_jobs(home)


def test_jobs_cli(account: Account) -> None:
    """One account through every command (each job costs a process start, so they share it)."""
    held, done = account.held.job_id, account.done.job_id

    code, out = account.run("list")
    assert code == 0
    assert out.index(held) < out.index(done)  # newest first
    assert "RUNNING" in out and "DONE" in out and "2/4 rows" in out and "6/6 rows" in out
    code, out = account.run("list", "--limit", "1")
    assert code == 0 and held in out and done not in out and "--cursor" in out

    code, out = account.run("status", held)
    assert code == 0 and "RUNNING" in out and "2/4 rows" in out and "@ML.PUBLIC.BATCH_OUT/held/" in out
    code, out = account.run("status", job_id(held).name.name)  # unqualified: the default schema
    assert code == 0 and held in out
    code, out = account.run("status", "NO_SUCH_JOB")
    assert code == 2 and "No job ML.PUBLIC.NO_SUCH_JOB" in out and "Next step" in out

    started = time.monotonic()
    code, out = account.run("wait", held, "--timeout", "1")
    assert code == 3 and "Still RUNNING after 1s" in out and f"snowbatch jobs wait {held}" in out
    assert time.monotonic() - started < 5
    code, out = account.run("wait", done)
    assert code == 0 and "DONE" in out and "6/6 rows" in out

    code, out = account.run("logs", done, "--tail", "2")
    lines = out.splitlines()
    assert code == 0 and "_SUCCESS written" in lines[1]
    assert lines[2] == f"Older lines: snowbatch jobs logs {done} --tail 2 --offset 2"
    code, older = account.run("logs", done, "--tail", "2", "--offset", "2")
    assert code == 0 and older.splitlines()[:2] != lines[:2]

    pgid = int(job_files(account.home, held).read_state()["pgid"])
    code, out = account.run("cancel", held, input="n\n")
    assert code == 1 and "Not cancelled" in out
    assert out.index("Cancel job") < out.index("Cancel this job?")  # says what it will do, then asks
    assert account.backend.get_job(job_id(held)).status == "RUNNING" and group_members(pgid)

    code, out = account.run("cancel", held, "--yes")
    assert code == 0 and "CANCELLED" in out and group_members(pgid) == []
    code, out = account.run("cancel", held, "--yes")
    assert code == 2 and "already CANCELLED" in out
    code, out = account.run("wait", held)
    assert code == 1 and "CANCELLED" in out
