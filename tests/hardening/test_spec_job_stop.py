"""A local job that stops — because a batch failed or because it was cancelled — stops all of itself.

A job is a runner process and, with num_workers > 1, its forked workers, all in one process group. Two
things stop the workers, and each must be enough on its own:

- the runner stops its workers whenever it stops early: when a batch fails (the other workers are not
  left scoring) and when it is told to stop (SIGTERM to the runner alone);
- cancel ends every process of the job's group, even when the runner does not respond (stopped with
  SIGSTOP, it can neither handle SIGTERM nor kill its workers).

And the means itself: `stop_group` returns only when no process of the group is left, escalating to
SIGKILL for a process that ignores SIGTERM.

Jobs are real runner processes on ML.PUBLIC.SLEEPY; a held batch waits for a file that never appears
(tests/integration/test_job_support.py), so a worker left alive would still be there long after.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.hardening.test_spec_output import sleepy_job
from tests.integration.test_job_support import (
    eventually,
    group_members,
    job_files,
    job_id,
    kill_leftovers,
    new_home,
    output_dir,
    reap_jobs,
    wait_rows_done,
    wait_terminal,
)

from snowbatch.backends.local import processes
from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.processes import stop_group
from snowbatch.core.records import JobInfo

GONE_WITHIN = 5.0  # seconds for a stopped job's processes to be gone (a held worker would wait 120 s)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = new_home(tmp_path)
    yield home
    reap_jobs(home)


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


# --- the means: ending a process group --------------------------------------------------------------
STUBBORN = """
import pathlib, signal, subprocess, sys, time
role, code, ready = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
if role == "leader":
    for child in ("child", "stubborn"):
        subprocess.Popen([sys.executable, "-c", code, child, code, str(ready)])
if role == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
(ready / role).touch()
time.sleep(120)
"""


def stubborn_group(ready: Path, *, ignore_term: bool) -> int:
    """A leader and two children in a new process group; one child ignores SIGTERM if asked to."""
    code = STUBBORN if ignore_term else STUBBORN.replace("signal.SIG_IGN", "signal.SIG_DFL")
    ready.mkdir()
    leader = subprocess.Popen(
        [sys.executable, "-c", code, "leader", code, str(ready)], start_new_session=True
    )
    eventually(lambda: len(list(ready.iterdir())), lambda n: n == 3, timeout=10)
    return leader.pid


@pytest.mark.parametrize("ignore_term", [False, True])
def test_stop_group_returns_only_when_no_process_of_the_group_is_left(
    ignore_term: bool, tmp_path: Path
) -> None:
    pgid = stubborn_group(tmp_path / "ready", ignore_term=ignore_term)
    try:
        started = time.monotonic()
        stop_group(pgid, grace_seconds=2.0)
        took = time.monotonic() - started
        assert group_members(pgid) == []
        if ignore_term:
            assert 2.0 <= took < 6.0, "SIGKILL must follow the grace period, not precede or outlast it"
        else:
            assert took < 1.5, "a group that honours SIGTERM is not kept waiting for the grace period"
    finally:
        kill_leftovers(pgid)


class SlowToDie:
    """A group that ignores SIGTERM and is gone only `dies_after` seconds after SIGKILL (a process in
    uninterruptible I/O, or tearing down a large address space): real ones die too fast to see it."""

    def __init__(self, dies_after: float) -> None:
        self.dies_after, self.killed_at, self.signals = dies_after, 0.0, list[int]()

    def signal(self, pgid: int, sig: int) -> None:
        self.signals.append(sig)
        if sig == signal.SIGKILL and not self.killed_at:
            self.killed_at = time.monotonic()

    def alive(self, pgid: int) -> bool:
        return not self.killed_at or time.monotonic() < self.killed_at + self.dies_after


def test_stop_group_returns_only_once_a_killed_group_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    group = SlowToDie(dies_after=0.5)
    monkeypatch.setattr(processes, "signal_group", group.signal)
    monkeypatch.setattr(processes, "group_alive", group.alive)
    stop_group(4242, grace_seconds=0.2)
    assert group.signals == [signal.SIGTERM, signal.SIGKILL]
    assert not group.alive(4242)
