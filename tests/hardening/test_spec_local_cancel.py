"""A local job's cancel and listing, on the backend itself (the tools refuse a finished job before they
reach it): a cancelled job ends CANCELLED with its processes gone, no half-written part and no `_SUCCESS`
(the output is partial, whatever the runner managed to write), its finished parts kept; a finished job is
refused and left as it was; a job folder a submission left without its record is not listed.

Two moments a cancel can meet, each made to happen here at once: the job finishes on its own just as the
cancel decides (before it records CANCELLING, or as its signal lands), and the state file's lock held by a
process outside the job (cancel stops the job, then says it could not record CANCELLED, in bounded time).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tests.integration.test_job_restart import fake_job
from tests.integration.test_job_support import job_id

from snowbatch.backends.local import jobs as local_jobs
from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.jobstate import JobFiles
from snowbatch.backends.local.processes import boot_id, group_alive, process_start_time
from snowbatch.core.errors import BackendFailure, InvalidRequest


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


def finishes(home: Path, name: str) -> None:
    """What the runner's last update does: the job is DONE, its _SUCCESS in place."""
    JobFiles(home / "jobs" / name).update_state(
        status="DONE", rows_done=4, completed_on="2026-12-01T00:00:00Z"
    )


def test_a_job_that_finishes_as_its_cancel_is_decided_is_refused_as_done_and_left_alone(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, out = running_job(home, "JUST_DONE")
    real = JobFiles.transition
    finished: list[bool] = []

    def done_first(self: JobFiles, when: Any, **changes: Any) -> dict[str, Any] | None:
        if not finished:  # the runner's final update wins the lock before cancel's first change
            finished.append(True)
            finishes(home, "JUST_DONE")
        return real(self, when, **changes)

    monkeypatch.setattr(JobFiles, "transition", done_first)
    try:
        with pytest.raises(InvalidRequest) as refused:
            LocalBackend(home).jobs.cancel(job_id("ML.PUBLIC.JUST_DONE"), grace_seconds=1)
        assert "already DONE" in refused.value.problem
        assert runner.poll() is None and "_SUCCESS" in {p.name for p in out.iterdir()}  # nothing signalled
    finally:
        runner.kill()
        runner.wait()


def test_a_job_that_completes_as_the_signal_lands_stays_done_with_its_success(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, out = running_job(home, "DONE_AT_SIGNAL")
    real_stop = local_jobs.stop_group

    def completes_then_stops(pgid: int, *, grace_seconds: float) -> None:
        finishes(home, "DONE_AT_SIGNAL")
        real_stop(pgid, grace_seconds=grace_seconds)

    monkeypatch.setattr(local_jobs, "stop_group", completes_then_stops)
    job = LocalBackend(home).jobs.cancel(job_id("ML.PUBLIC.DONE_AT_SIGNAL"), grace_seconds=1)
    runner.wait(timeout=10)
    assert job.status == "DONE" and "_SUCCESS" in {p.name for p in out.iterdir()}


HOLD_LOCK = (  # a process outside the job that takes the state lock and keeps it
    "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
    "print(1, flush=True); time.sleep(60)"
)


def test_a_cancel_whose_state_lock_another_process_holds_stops_the_job_then_says_so(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_jobs, "LOCK_WAIT_SECONDS", 0.2)
    runner, _ = running_job(home, "LOCKED")
    lock = home / "jobs" / "LOCKED" / ".state.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock)], stdout=subprocess.PIPE)
    outcome: list[BaseException | object] = []

    def cancel() -> None:
        try:
            outcome.append(LocalBackend(home).jobs.cancel(job_id("ML.PUBLIC.LOCKED"), grace_seconds=1))
        except BaseException as exc:
            outcome.append(exc)

    try:
        assert holder.stdout is not None and holder.stdout.readline()  # the lock is held
        started = time.monotonic()
        thread = threading.Thread(target=cancel, daemon=True)
        thread.start()
        thread.join(timeout=15)
        assert not thread.is_alive(), "cancel waited for the lock without end"
        assert time.monotonic() - started < 10
        assert runner.wait(timeout=5) is not None and not group_alive(runner.pid)  # the job was stopped
        [failure] = outcome
        assert isinstance(failure, BackendFailure) and "holds its state file's lock" in failure.problem
        assert "fuser" in failure.next_step
    finally:
        holder.kill()
        holder.wait()
        runner.kill()
        runner.wait()
