"""A local job's state file at its edges: the first update makes the folder, a broken file is replaced."""

from __future__ import annotations

from pathlib import Path

from snowbatch.backends.local.jobstate import JobFiles


def test_the_first_update_creates_the_job_folder_and_its_parents(tmp_path: Path) -> None:
    files = JobFiles(tmp_path / "jobs" / "JOB_1")
    assert files.update_state(status="PENDING") == {"status": "PENDING"}
    assert files.read_state() == {"status": "PENDING"}


def test_an_unreadable_state_is_started_afresh_rather_than_failing_every_update(tmp_path: Path) -> None:
    files = JobFiles(tmp_path / "job")
    files.dir.mkdir()
    files.state_file.write_text("{not json")
    assert files.update_state(status="FAILED") == {"status": "FAILED"}
