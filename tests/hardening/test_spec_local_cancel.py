"""A local job's cancel and listing, on the backend itself (the tools refuse a finished job before they
reach it): a cancelled job ends CANCELLED with its processes gone, no half-written part and no `_SUCCESS`
(the output is partial, whatever the runner managed to write), its finished parts kept; a finished job is
refused and left as it was; a job folder a submission left without its record is not listed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.test_job_restart import fake_job
from tests.integration.test_job_support import job_id, new_home, reap_jobs

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.processes import boot_id, group_alive, process_start_time
from snowbatch.core.errors import InvalidRequest


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = new_home(tmp_path)
    yield home
    reap_jobs(home)


def running_job(home: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    """A RUNNING job whose runner is a live process group (a sleep), with an output folder holding a
    finished part, a half-written one and a `_SUCCESS` the runner wrote as the cancel landed."""
    runner = subprocess.Popen(["sleep", "60"], start_new_session=True)
    files = fake_job(
        home,
        name,
        status="RUNNING",
        pid=runner.pid,
        pgid=runner.pid,
        pid_start=process_start_time(runner.pid),
        boot_id=boot_id(),
    )
    out = Path(files.read_job()["output_dir"])
    for part in ("data_000000.parquet", ".data_000001.tmp", "_SUCCESS"):
        (out / part).write_bytes(b"x")
    return runner, out


def test_a_cancelled_job_ends_cancelled_its_group_gone_and_its_output_partial(home: Path) -> None:
    runner, out = running_job(home, "TO_CANCEL")
    job = LocalBackend(home).jobs.cancel(job_id("ML.PUBLIC.TO_CANCEL"), grace_seconds=2)
    runner.wait(timeout=10)
    assert job.status == "CANCELLED" and job.message == "cancelled on request" and job.completed_on
    assert not group_alive(runner.pid)
    assert sorted(p.name for p in out.iterdir()) == ["data_000000.parquet"]  # no .tmp part, no _SUCCESS


def test_cancelling_a_finished_job_is_refused_and_changes_nothing(home: Path) -> None:
    fake_job(home, "FINISHED", status="DONE")
    backend = LocalBackend(home)
    with pytest.raises(InvalidRequest) as refused:
        backend.jobs.cancel(job_id("ML.PUBLIC.FINISHED"), grace_seconds=1)
    assert "already DONE" in refused.value.problem
    assert backend.get_job(job_id("ML.PUBLIC.FINISHED")).status == "DONE"


def test_a_job_folder_without_its_record_is_not_listed(home: Path) -> None:
    fake_job(home, "LISTED", status="DONE")
    (home / "jobs" / "HALF_SUBMITTED").mkdir()  # a submission cut short before it wrote job.json
    page = LocalBackend(home).list_jobs(limit=10, cursor=None)
    assert [j.job_id for j in page.items] == ["ML.PUBLIC.LISTED"] and page.total == 1
