"""A local job's files: job.json (what to run, written once), state.json (status, progress), log.txt.

Both the server and the runner update state.json; each update is a locked read-modify-write followed by
an atomic replace, so neither loses the other's fields and no reader sees half a file.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from snowbatch.backends.local.account import read_json, write_json_atomic


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class StateLocked(TimeoutError):
    """The state file's lock stayed taken for the whole bounded wait (its holder is frozen or hung)."""


class JobFiles:
    def __init__(self, job_dir: Path) -> None:
        self.dir = job_dir

    @property
    def job_file(self) -> Path:
        return self.dir / "job.json"

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    @property
    def log_file(self) -> Path:
        return self.dir / "log.txt"

    @property
    def input_file(self) -> Path:
        return self.dir / "input" / "input.parquet"

    def read_job(self) -> dict[str, Any]:
        """job.json; ValueError when it is not a job record (every reader treats that as corrupted)."""
        job = read_json(self.job_file)
        if not isinstance(job, dict) or not isinstance(job.get("job_id"), str):
            raise ValueError(f"{self.job_file} is not a job record")
        return job

    def write_job(self, job: dict[str, Any]) -> None:
        write_json_atomic(self.job_file, job)

    def read_state(self) -> dict[str, Any]:
        state = read_json(self.state_file)
        if not isinstance(state, dict):
            raise ValueError(f"{self.state_file} is not a job state")
        return state

    def update_state(self, **changes: Any) -> dict[str, Any]:
        state, _ = self._update(None, changes)
        return state

    def transition(
        self, when: Collection[str], *, lock_timeout: float | None = None, **changes: Any
    ) -> dict[str, Any] | None:
        """Apply `changes` only if the status is one of `when` (checked under the lock); the new state,
        or None when the status had already moved on (e.g. the runner finished first).

        With `lock_timeout`, waits at most that long for the lock, then raises StateLocked (nothing
        changed); without it, waits for as long as the lock is held.
        """
        state, applied = self._update(when, changes, lock_timeout)
        return state if applied else None

    def _update(
        self, when: Collection[str] | None, changes: dict[str, Any], lock_timeout: float | None = None
    ) -> tuple[dict[str, Any], bool]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / ".state.lock").open("a") as lock:
            _lock(lock.fileno(), lock_timeout)
            try:
                state = self.read_state() if self.state_file.exists() else {}
            except (ValueError, OSError):  # unreadable or not a state: start it afresh
                state = {}
            if when is not None and state.get("status", "PENDING") not in when:
                return state, False
            state.update(changes)
            write_json_atomic(self.state_file, state)
            return state, True


def _lock(fd: int, timeout: float | None) -> None:
    """flock(LOCK_EX) on `fd`: blocking without a timeout, else polled until the deadline."""
    if timeout is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise StateLocked(f"the job state lock was still held after {timeout:g}s") from None
            time.sleep(0.02)


def job_process_main(run: Callable[[Path], int]) -> None:
    """`python -m <runner> <job dir>`: log to stdout (the job's log file), run, exit with its code.

    A job record too broken to run is reported as JSON in the log, where get_job_logs finds it.
    """
    import json
    import logging
    import os
    import sys
    import traceback

    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        code = run(Path(sys.argv[1]))
    except Exception:
        print(json.dumps({"runner_error": traceback.format_exc()}), flush=True)
        code = 2
    sys.stdout.flush()
    os._exit(code)
