"""A local job that stops — because a batch failed or because it was cancelled — stops all of itself.

A job is a runner process and, with num_workers > 1, its forked workers, all in one process group. Two
things stop the workers, and each must be enough on its own:

- the runner stops its workers whenever it stops early: when a batch fails (the other workers are not
  left scoring) and when it is told to stop (SIGTERM to the runner alone);
- cancel ends every process of the job's group, even when the runner does not respond (stopped with
  SIGSTOP, it can neither handle SIGTERM nor kill its workers).

The means itself, `stop_group`, has its own specification: tests/hardening/test_spec_stop_group.py.

Jobs are real runner processes on ML.PUBLIC.SLEEPY; a held batch waits for a file that never appears
(tests/integration/test_job_support.py), so a worker left alive would still be there long after.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from pathlib import Path
from typing import Any

from tests.hardening.test_spec_output import sleepy_job
from tests.integration.test_job_support import (
    eventually,
    group_members,
    job_files,
    job_id,
    kill_leftovers,
    output_dir,
    wait_rows_done,
    wait_terminal,
)

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.core.records import JobInfo

GONE_WITHIN = 5.0  # seconds for a stopped job's processes to be gone (a held worker would wait 120 s)


def held_job(backend: LocalBackend, never: Path, *, first_batch_fails: bool = False) -> JobInfo:
    """Four batches of two rows over two workers: the first finishes (or fails) at once, the others wait
    for `never`."""
    rows = [
        {
            "X": float(i),
            "DELAY": -1.0 if first_batch_fails and i < 2 else 0.0,  # a negative sleep raises
            "HOLD": str(never) if i >= 2 else "",
        }
        for i in range(8)
    ]
    return backend.submit_job(sleepy_job(rows, batch_rows=2, workers=2, folder="stop"))


def running_with_workers(backend: LocalBackend, home: Path, job: JobInfo) -> dict[str, Any]:
    """Wait until the first part is written and the workers hold the rest; the job's state."""
    assert wait_rows_done(backend, job, at_least=2).status == "RUNNING"
    state = job_files(home, job).read_state()
    assert len(group_members(int(state["pgid"]))) >= 3, "the runner and its two workers"
    return state


def assert_all_gone(pgid: int) -> None:
    left = eventually(lambda: group_members(pgid), lambda members: members == [], timeout=GONE_WITHIN)
    assert left == []


def test_a_failed_batch_stops_the_other_workers_at_once(home: Path, tmp_path: Path) -> None:
    backend = LocalBackend(home)
    started = time.monotonic()
    job = held_job(backend, tmp_path / "never", first_batch_fails=True)
    failed = wait_terminal(backend, job, timeout=30)
    assert failed.status == "FAILED" and "sleep length must be non-negative" in (failed.message or "")
    assert time.monotonic() - started < 30
    assert_all_gone(int(job_files(home, job).read_state()["pgid"]))
    assert not (output_dir(backend, failed) / "_SUCCESS").exists()


def test_a_runner_told_to_stop_takes_its_workers_with_it(home: Path, tmp_path: Path) -> None:
    backend = LocalBackend(home)
    job = held_job(backend, tmp_path / "never")
    state = running_with_workers(backend, home, job)
    os.kill(int(state["pid"]), signal.SIGTERM)  # the runner alone, not its group
    assert_all_gone(int(state["pgid"]))
    stopped = wait_terminal(backend, job, timeout=10)
    assert stopped.status in ("CANCELLED", "FAILED")
    out = output_dir(backend, stopped)
    assert not (out / "_SUCCESS").exists() and sorted(p.name for p in out.iterdir()) == [
        "data_000000.parquet"
    ]


def test_cancel_stops_every_process_of_the_job_even_an_unresponsive_runner(
    home: Path, tmp_path: Path
) -> None:
    backend = LocalBackend(home)
    job = held_job(backend, tmp_path / "never")
    state = running_with_workers(backend, home, job)
    pgid = int(state["pgid"])
    # Frozen between two updates of its state: a runner frozen while it holds the state file's lock is
    # test_cancel_frozen_runner.py's case, not this test's.
    with (job_files(home, job).dir / ".state.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.kill(int(state["pid"]), signal.SIGSTOP)  # it cannot handle SIGTERM, nor stop its workers
    try:
        cancelled = backend.cancel_job(job_id(job))
        assert cancelled.status == "CANCELLED"
        assert group_members(pgid) == [], "cancel returned with processes of the job still alive"
    finally:
        kill_leftovers(pgid)
    assert not (output_dir(backend, cancelled) / "_SUCCESS").exists()
