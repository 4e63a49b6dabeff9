"""A local job's state file: locked read-modify-write updates and conditional transitions."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from snowbatch.backends.local.jobstate import JobFiles

ACTIVE = ("PENDING", "RUNNING", "CANCELLING")


def test_concurrent_updates_of_different_fields_lose_none(tmp_path: Path) -> None:
    files = JobFiles(tmp_path / "job")
    files.update_state(status="RUNNING")

    def write(field: str) -> None:
        for i in range(50):
            files.update_state(**{field: i})

    threads = [threading.Thread(target=write, args=(f"field_{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert files.read_state() == {"status": "RUNNING", **{f"field_{n}": 49 for n in range(4)}}


def test_two_updates_that_overlap_lose_neither(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, made certain: each update reads the state slowly, and both start at once, so without the
    lock both would read the old state and the second write would drop the first one's field."""
    files = JobFiles(tmp_path / "job")
    files.update_state(status="RUNNING")
    real_read, start = JobFiles.read_state, threading.Barrier(2)

    def slow_read(self: JobFiles) -> dict[str, Any]:
        state = real_read(self)
        time.sleep(0.2)
        return state

    monkeypatch.setattr(JobFiles, "read_state", slow_read)

    def write(field: str) -> None:
        start.wait()
        files.update_state(**{field: 1})

    threads = [threading.Thread(target=write, args=(f"field_{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert real_read(files) == {"status": "RUNNING", "field_0": 1, "field_1": 1}


def test_a_transition_applies_only_from_the_given_statuses(tmp_path: Path) -> None:
    files = JobFiles(tmp_path / "job")
    files.update_state(status="RUNNING", rows_done=2)
    assert files.transition(ACTIVE, status="CANCELLING") == {"status": "CANCELLING", "rows_done": 2}
    files.update_state(status="DONE", rows_done=4)  # the runner finished first
    assert files.transition(ACTIVE, status="FAILED", message="stale") is None
    assert files.read_state() == {"status": "DONE", "rows_done": 4}


def test_a_missing_status_counts_as_pending(tmp_path: Path) -> None:
    files = JobFiles(tmp_path / "job")
    assert files.transition(("PENDING",), status="RUNNING") == {"status": "RUNNING"}
