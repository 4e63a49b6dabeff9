"""Local jobs are restart-safe: status lives in the job's files and the process table, not in a server.

A fresh server (new App, new backend, same home) sees every job as it really is — running, done while
no server ran, or dead without finishing — and never acts on a process that is not the job's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.jobstate import JobFiles, now_iso
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.integration.test_job_support import (
    call,
    eventually,
    job_files,
    job_id,
    job_spec,
    output_dir,
    wait_rows_done,
    wait_terminal,
)

pytestmark = [pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def fresh_client(home: Path) -> Client:
    """A client of a brand-new server on `home`: nothing carried over in memory."""
    return Client(build_server(Settings(backend="local", home=home)))


async def test_a_new_server_sees_running_and_finished_jobs_as_they_are(home: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    first = LocalBackend(home)
    done = first.submit_job(job_spec(base="a/", n=1))
    running = first.submit_job(job_spec(base="b/", n=4, batch_rows=2, hold=release, hold_from=2))
    wait_terminal(first, done)
    wait_rows_done(first, running, at_least=2)
    del first

    async with fresh_client(home) as client:
        seen = {j["job_id"]: j for j in (await call(client, "list_jobs", {}))["items"]}
        assert list(seen) == [running.job_id, done.job_id]  # newest first
        assert seen[running.job_id]["status"] == "RUNNING"
        assert seen[running.job_id]["progress"] == {"rows_done": 2, "rows_total": 4}
        assert seen[done.job_id]["status"] == "DONE"

    release.touch()
    async with fresh_client(home) as client:
        view = await call(client, "wait_for_job", {"job_id": running.job_id, "timeout_seconds": 20})
    assert view["job"]["status"] == "DONE" and view["job"]["progress"] == {"rows_done": 4, "rows_total": 4}


async def test_a_job_outlives_the_process_that_submitted_it_and_is_seen_done_later(
    home: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    spec = job_spec(base="detached/", n=4, batch_rows=2, hold=release, hold_from=2)
    submit = (
        "import sys; from pathlib import Path; from snowbatch.backends.local.backend import LocalBackend; "
        "from snowbatch.core.requests import BatchJobSpec; "
        "spec = BatchJobSpec.model_validate_json(sys.argv[2]); "
        "print(LocalBackend(Path(sys.argv[1])).submit_job(spec).job_id)"
    )
    submitter = subprocess.run(
        [sys.executable, "-c", submit, str(home), spec.model_dump_json()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    job = submitter.stdout.strip().splitlines()[-1]

    # The submitting process has exited; its job runs on, detached (not a child of this test either).
    files = job_files(home, job)
    pid = int(files.read_state()["pid"])
    os.kill(pid, 0)
    assert Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1] != str(os.getpid())

    release.touch()  # it finishes while no server runs at all: watch only the files
    out = home / "stages" / "ML" / "PUBLIC" / "BATCH_OUT" / "detached" / job_id(job).name.name
    eventually(lambda: (out / "_SUCCESS").exists(), bool, timeout=30)
    eventually(lambda: files.read_state()["status"], lambda s: s == "DONE", timeout=10)

    async with fresh_client(home) as client:
        status = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
        inspected = await call(client, "inspect_output", {"job_id": job})
    assert status["job"]["status"] == "DONE" and status["job"]["progress"] == {
        "rows_done": 4,
        "rows_total": 4,
    }
    assert inspected["state"] == "complete" and inspected["rows"] == 4


async def test_a_job_whose_process_died_while_no_server_ran_is_failed_with_the_reason(
    home: Path, tmp_path: Path
) -> None:
    backend = LocalBackend(home)
    job = backend.submit_job(job_spec(base="dies/", n=4, batch_rows=2, hold=tmp_path / "never", hold_from=2))
    wait_rows_done(backend, job, at_least=2)
    files = job_files(home, job)
    os.kill(int(files.read_state()["pid"]), signal.SIGKILL)
    del backend

    for _ in range(2):  # every later server reaches the same answer, and says it once in the log
        async with fresh_client(home) as client:
            status = await call(client, "wait_for_job", {"job_id": job.job_id, "timeout_seconds": 0})
            logs = await call(client, "get_job_logs", {"job_id": job.job_id})
        assert status["job"]["status"] == "FAILED"
        assert "ended without finishing" in status["job"]["message"]
        assert sum("ended without finishing" in line for line in logs["lines"]) == 1
    out = output_dir(LocalBackend(home), job)
    assert not (out / "_SUCCESS").exists() and sorted(p.name for p in out.iterdir()) == [
        "data_000000.parquet"
    ]


# --- records whose process facts are stale (written as a crashed server or a reboot leaves them) ----
def fake_job(home: Path, name: str, **state: Any) -> JobFiles:
    files = JobFiles(home / "jobs" / name)
    files.dir.mkdir(parents=True)
    out = home / "stages" / "ML" / "PUBLIC" / "BATCH_OUT" / "stale" / name
    out.mkdir(parents=True)
    files.update_state(rows_total=4, rows_done=0, **state)
    files.write_job(
        {
            "job_id": f"ML.PUBLIC.{name}",
            "kind": "batch",
            "job_name": name,
            "spec": {
                "model": "ML.PUBLIC.SLEEPY",
                "version": "V1",
                "function_name": "PREDICT",
                "compute_pool": "CPU_POOL",
            },
            "output_dir": str(out),
            "output_location": f"@ML.PUBLIC.BATCH_OUT/stale/{name}/",
            "created_on": now_iso(),
        }
    )
    return files


def test_a_reused_pid_is_not_mistaken_for_the_job_and_is_left_alone(home: Path) -> None:
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)  # now holds the job's old pid
    try:
        fake_job(
            home,
            "REBOOTED",
            status="RUNNING",
            pid=stranger.pid,
            pgid=stranger.pid,
            pid_start="1",
            boot_id=Path("/proc/sys/kernel/random/boot_id").read_text().strip(),
        )
        job = LocalBackend(home).get_job(job_id("ML.PUBLIC.REBOOTED"))
        assert job.status == "FAILED" and "ended without finishing" in (job.message or "")
        time.sleep(0.05)
        assert stranger.poll() is None  # the process that now has that pid was not signalled
    finally:
        stranger.kill()
        stranger.wait()


def test_a_job_never_started_by_a_crashed_server_is_failed_after_a_grace_period(home: Path) -> None:
    files = fake_job(home, "ORPHANED", status="PENDING")
    backend = LocalBackend(home)
    assert backend.get_job(job_id("ML.PUBLIC.ORPHANED")).status == "PENDING"  # just submitted: wait
    old = time.time() - 120
    os.utime(files.job_file, (old, old))
    job = backend.get_job(job_id("ML.PUBLIC.ORPHANED"))
    assert job.status == "FAILED" and "never started" in (job.message or "")


def test_a_cancel_cut_short_by_a_server_crash_ends_cancelled(home: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    fake_job(home, "HALF_CANCELLED", status="CANCELLING", pid=gone.pid, pgid=gone.pid)
    job = LocalBackend(home).get_job(job_id("ML.PUBLIC.HALF_CANCELLED"))
    assert job.status == "CANCELLED"
