"""Cancel stops a job even when its runner is frozen while it holds the job's state lock.

Every update of a local job's state.json takes a lock on the job's folder. A runner frozen (SIGSTOP, or
hung) in the middle of such an update keeps that lock for ever; cancel_job must still end every process
of the job, return, and leave the job recorded as CANCELLED with no `_SUCCESS`.

To freeze the runner exactly there, state.json is swapped for a named pipe before the runner's next
update: the runner takes the lock, blocks opening the pipe, and is then stopped with SIGSTOP. The pipe is
swapped back for the real state.json before cancel runs, so nothing but the held lock stands in the way.
Cancel runs in a thread joined with a deadline, so a regression fails the test instead of hanging it.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import threading
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
)

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.processes import proc_stat
from snowbatch.core.records import JobInfo

CANCEL_WITHIN = 30.0  # seconds; cancel waits a bounded time for the lock, then the 5 s grace period


def lock_is_held(lock_file: Path) -> bool:
    """Whether another process holds the job's state lock (probed without waiting)."""
    with lock_file.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def run_with_deadline(call: Any, seconds: float) -> tuple[bool, Any]:
    """(finished, result or exception) of `call()` run in a daemon thread joined for `seconds`."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # reported to the test, not lost in the thread
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True, name="cancel")
    thread.start()
    thread.join(seconds)
    return (not thread.is_alive(), outcome[0] if outcome else None)


def test_cancel_stops_a_job_whose_runner_froze_holding_the_state_lock(home: Path, tmp_path: Path) -> None:
    backend = LocalBackend(home)
    release, never = tmp_path / "release", tmp_path / "never"
    # Two workers, four batches of two rows: the first ends at once, the second when `release` exists,
    # the last two never (so workers are still busy when cancel comes).
    data = [
        {"X": float(i), "DELAY": 0.0, "HOLD": "" if i < 2 else str(release if i < 4 else never)}
        for i in range(8)
    ]
    job: JobInfo = backend.submit_job(sleepy_job(data, batch_rows=2, workers=2, folder="frozen"))
    assert wait_rows_done(backend, job, at_least=2).status == "RUNNING"
    files = job_files(home, job)
    state = files.read_state()
    runner, pgid = int(state["pid"]), int(state["pgid"])
    real_state = files.state_file.read_text()
    lock_file = files.dir / ".state.lock"
    try:
        # Freeze the runner inside its next state update, holding the lock.
        files.state_file.unlink()
        os.mkfifo(files.state_file)
        release.touch()  # the second batch ends; the runner records its progress
        eventually(lambda: lock_is_held(lock_file), bool, timeout=30)
        os.kill(runner, signal.SIGSTOP)
        eventually(lambda: (proc_stat(runner) or ["?"])[0], lambda s: s == "T", timeout=10)
        tmp = files.dir / "state.json.restore"
        tmp.write_text(real_state)
        os.replace(tmp, files.state_file)  # the real state is back; only the lock stays held
        assert lock_is_held(lock_file) and json.loads(files.state_file.read_text())["status"] == "RUNNING"

        started = time.monotonic()
        finished, cancelled = run_with_deadline(lambda: backend.cancel_job(job_id(job)), CANCEL_WITHIN)
        assert finished, f"cancel_job did not return within {CANCEL_WITHIN}s (blocked on the state lock)"
        assert isinstance(cancelled, JobInfo), cancelled
        assert time.monotonic() - started < CANCEL_WITHIN
        assert cancelled.status == "CANCELLED"
        assert group_members(pgid) == [], "cancel returned with processes of the job still alive"
    finally:
        kill_leftovers(pgid)  # also ends a cancel stuck on the lock: the lock dies with its holder
        if files.state_file.is_fifo():
            files.state_file.unlink()
            files.state_file.write_text(real_state)
    # The recorded state agrees, for any reader, and the output is marked partial.
    assert backend.get_job(job_id(job)).status == "CANCELLED"
    assert files.read_state()["status"] == "CANCELLED"
    assert not (output_dir(backend, cancelled) / "_SUCCESS").exists()
    assert not lock_is_held(lock_file)
