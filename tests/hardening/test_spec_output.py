"""`_SUCCESS` means complete, and nothing else does:

- a local job writes `_SUCCESS` only when every Parquet part is in place and finished: watched while the
  job runs, the folder never shows `_SUCCESS` beside a missing or still-growing part, and no part is
  written after it (with one worker, and over a pool of workers);
- a job that fails — in its last batch, or by dying before it could record its end — never leaves
  `_SUCCESS` behind, on either backend: its output is reported partial with the job's end, and saving
  it to a table is refused before any approval.

The local jobs are real runner processes on ML.PUBLIC.SLEEPY (tests/integration/test_job_support.py).
A part is made slow to write (thousands of columns) so that a `_SUCCESS` written too early is seen.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mcp import Client
from tests.integration.deployments import Deployment
from tests.integration.helpers import TABLE_PLAN, approve_and_submit
from tests.integration.test_job_support import (
    SLEEPY,
    STAGE,
    approved,
    call,
    call_error,
    job_files,
    new_home,
    output_dir,
    reap_jobs,
    wait_terminal,
)

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.core.errors import InvalidRequest
from snowbatch.core.names import ObjectName, StageLocation
from snowbatch.core.requests import BatchJobSpec, ResolvedInput
from snowbatch.server import build_server
from snowbatch.settings import Settings

pytestmark = pytest.mark.anyio
PAD_COLUMNS = 3000  # a part this wide takes ~0.15 s to write


def sleepy_job(
    rows: list[dict[str, Any]], *, batch_rows: int, workers: int, folder: str = "spec"
) -> BatchJobSpec:
    """A job of the sample SLEEPY model on inline rows (each row can sleep, hold or fail)."""
    return BatchJobSpec(
        model=SLEEPY,
        version="V1",
        function_name="PREDICT",
        target_method="predict",
        input=ResolvedInput(kind="rows", rows=rows, row_count=len(rows)),
        output_stage=f"{STAGE}/{folder}/",
        compute_pool="CPU_POOL",
        mode="error",
        job_name=f"JOB_{uuid.uuid4().hex[:10].upper()}",
        max_batch_rows=batch_rows,
        num_workers=workers,
    )


def row(i: int, *, delay: float = 0.0, pad: int = 0) -> dict[str, Any]:
    return {"X": float(i), "DELAY": delay, "HOLD": "", **{f"PAD_{c}": float(c) for c in range(pad)}}


class Watcher(threading.Thread):
    """Polls a folder; at the first sight of _SUCCESS, notes every part there and its size."""

    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.folder = folder
        self.at_success: dict[str, int] | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            names = os.listdir(self.folder) if self.folder.is_dir() else []
            if "_SUCCESS" in names:
                self.at_success = {
                    n: (self.folder / n).stat().st_size for n in names if n.endswith(".parquet")
                }
                return
            time.sleep(0.001)


def parts(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.glob("*.parquet")}


@pytest.mark.parametrize("workers", [1, 2])
def test_success_is_written_only_after_every_part_is_complete(home: Path, workers: int) -> None:
    backend = LocalBackend(home)
    rows = [row(i, delay=0.3 if i >= 8 else 0.0, pad=PAD_COLUMNS) for i in range(12)]  # 3 parts
    job = backend.submit_job(sleepy_job(rows, batch_rows=4, workers=workers))
    out = output_dir(backend, job)
    watcher = Watcher(out)
    watcher.start()
    done = wait_terminal(backend, job)
    watcher.stop.set()
    watcher.join(5)
    assert done.status == "DONE", done.message
    final = parts(out)
    assert len(final) == 3 and sum(pq.read_metadata(out / n).num_rows for n in final) == 12
    assert watcher.at_success == final, "_SUCCESS was visible before every part was in place"
    marker = (out / "_SUCCESS").stat().st_mtime_ns
    assert all((out / n).stat().st_mtime_ns <= marker for n in final), "a part was written after _SUCCESS"
    assert not list(out.glob(".*")), "a temporary part was left behind"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_job_failing_in_its_last_batch_leaves_partial_output_and_no_success(
    home: Path, workers: int
) -> None:
    backend = LocalBackend(home)
    rows = [row(i, delay=-1.0 if i >= 8 else 0.0) for i in range(12)]  # the last batch raises
    job = wait_terminal(backend, backend.submit_job(sleepy_job(rows, batch_rows=4, workers=workers)))
    out = output_dir(backend, job)
    assert job.status == "FAILED" and "sleep length must be non-negative" in (job.message or "")
    assert not (out / "_SUCCESS").exists()
    assert "data_000002.parquet" not in parts(out)
    info = backend.inspect_output(StageLocation.parse(job.output_location or ""))
    assert info.state == "partial" and not info.success_marker


def test_a_job_whose_runner_died_after_its_last_part_shows_no_success(home: Path) -> None:
    """The runner finished every part and wrote _SUCCESS, then died before it could record DONE."""
    backend = LocalBackend(home)
    job = wait_terminal(
        backend, backend.submit_job(sleepy_job([row(i) for i in range(4)], batch_rows=2, workers=1))
    )
    out = output_dir(backend, job)
    assert job.status == "DONE" and (out / "_SUCCESS").exists()
    gone = subprocess.Popen(["true"])
    gone.wait()
    files = job_files(home, job)
    files.update_state(status="RUNNING", completed_on=None, pid=gone.pid, pgid=gone.pid, pid_start=None)

    seen = backend.get_job(job_id=_name(job.job_id))
    assert seen.status == "FAILED", seen
    assert not (out / "_SUCCESS").exists(), "a FAILED job kept its _SUCCESS"
    assert backend.inspect_output(StageLocation.parse(job.output_location or "")).state == "partial"


def _name(job_id: str) -> Any:
    return ObjectName.parse(job_id)


# --- through the tools, on both backends ----------------------------------------------------------
class FailedJob:
    """A FAILED job that wrote one Parquet part before it failed, behind a server."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind, self.tmp_path = kind, tmp_path
        self.home: Path | None = None

    async def submit(self, client: Client) -> str:
        if self.kind == "local":
            plan = {
                "model": SLEEPY,
                "input": {"kind": "rows", "rows": [row(i, delay=-1.0 if i >= 2 else 0.0) for i in range(4)]},
                "output_stage": f"{STAGE}/failed/",
                "compute_pool": "CPU_POOL",
                "scaling": {"max_batch_rows": 2, "num_workers": 1},
            }
            return await approve_and_submit(client, await call(client, "plan_batch_job", plan))
        self.account.job_behaviour = "fail"
        job = await approve_and_submit(client, await call(client, "plan_batch_job", TABLE_PLAN))
        self.backend._jobs.submitter.join(job, 30)
        view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
        location = StageLocation.parse(view["job"]["output_location"])
        folder = Path(self.account.stage_for(tuple(p.name for p in location.stage.parts())).folder)
        (folder / location.path).mkdir(parents=True, exist_ok=True)  # what the job wrote before it died
        pq.write_table(pa.table({"Y": [1.0, 2.0]}), folder / location.path / "data_0.parquet")
        return job

    def server(self) -> Any:
        if self.kind == "local":
            self.home = new_home(self.tmp_path)
            return build_server(Settings(backend="local", home=self.home))
        from tests.fakes import make_fake_snowflake_backend

        self.backend = make_fake_snowflake_backend(self.tmp_path)
        self.account = self.backend.fake_account  # type: ignore[attr-defined]
        return build_server(Settings(backend="snowflake", home=self.tmp_path / "home"), backend=self.backend)


@pytest.fixture(params=["local", "snowflake"])
def failed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FailedJob]:
    made = FailedJob(request.param, tmp_path)
    yield made
    if made.home is not None:
        reap_jobs(made.home)


async def test_a_failed_jobs_output_is_partial_and_is_not_saved(failed: FailedJob) -> None:
    async with Client(failed.server()) as client:
        job = await failed.submit(client)
        view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 30})
        assert view["job"]["status"] == "FAILED" and view.get("output") is None
        inspected = await call(client, "inspect_output", {"job_id": job})
        assert not inspected["success_marker"] and inspected["state"] == "partial"
        assert "ended FAILED" in inspected["advice"] and "partial" in inspected["advice"]
        refused = await call_error(
            client, "save_results_to_table", {"table": "ML.PUBLIC.SAVED", "job_id": job}
        )
        assert "_SUCCESS" in refused and "confirmation_token" not in refused


# --- a location judged by what it holds, on both backends -------------------------------------------
PLACED = "@ML.PUBLIC.BATCH_OUT/placed/JOB_X/"


def place(deployment: Deployment, *, marker: bool, staged: bool = True) -> None:
    """Two result parts (3 + 2 rows), maybe Snowflake's staged input beside them, and maybe _SUCCESS."""
    folder = deployment.stage_folder(StageLocation.parse(PLACED))
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"ID": [1, 2, 3], "Y": [0.1, 0.2, 0.3]}), folder / "data_0.parquet")
    pq.write_table(pa.table({"ID": [4, 5], "Y": [0.4, 0.5]}), folder / "data_1.parquet")
    if staged:
        (folder / "_snowflake_temporary" / "x").mkdir(parents=True)
        pq.write_table(pa.table({"ID": list(range(9))}), folder / "_snowflake_temporary" / "x" / "in.parquet")
    if marker:
        (folder / "_SUCCESS").write_bytes(b"")


async def test_a_location_with_success_is_complete_without_the_staged_input(deployment: Deployment) -> None:
    place(deployment, marker=True)
    async with Client(deployment.make_server()) as client:
        info = await call(client, "inspect_output", {"location": PLACED})
    names = sorted(f["path"].rsplit("/", 1)[-1] for f in info["files"])
    assert info["state"] == "complete" and info["success_marker"]
    assert names == ["data_0.parquet", "data_1.parquet"] and info["files_total"] == 2
    assert info.get("rows") == (5 if deployment.kind == "local" else None)  # LIST gives no row counts
    folder = deployment.stage_folder(StageLocation.parse(PLACED))
    assert info["total_bytes"] == sum((folder / n).stat().st_size for n in names)


async def test_a_complete_location_saves_every_row_of_every_part(deployment: Deployment) -> None:
    place(deployment, marker=True, staged=False)
    async with Client(deployment.make_server()) as client:
        args = {"table": "ML.PUBLIC.PLACED", "location": PLACED}
        saved = await approved(client, "save_results_to_table", args)
    assert saved["result"]["rows"] == 5


async def test_a_location_without_success_is_partial_and_is_not_saved(deployment: Deployment) -> None:
    place(deployment, marker=False)
    async with Client(deployment.make_server()) as client:
        info = await call(client, "inspect_output", {"location": PLACED})
        assert info["state"] == "partial" and not info["success_marker"] and info["files_total"] == 2
        refused = await call_error(
            client, "save_results_to_table", {"table": "ML.PUBLIC.PLACED", "location": PLACED}
        )
    assert "_SUCCESS" in refused and "confirmation_token" not in refused


async def test_a_location_with_success_but_no_part_has_nothing_to_save(deployment: Deployment) -> None:
    folder = deployment.stage_folder(StageLocation.parse(PLACED))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_SUCCESS").write_bytes(b"")
    async with Client(deployment.make_server()) as client:
        args = {"table": "ML.PUBLIC.PLACED", "location": PLACED}
        asked = await call(client, "save_results_to_table", args)
        refused = await call_error(
            client, "save_results_to_table", {**args, "confirmation_token": asked["confirmation_token"]}
        )
    assert "No Parquet results" in refused


def test_the_local_backend_itself_refuses_to_save_partial_output(home: Path) -> None:
    backend = LocalBackend(home)
    location = StageLocation.parse(f"{STAGE}/partial/JOB_P/")
    folder = backend.account.location_path(location)
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"Y": [1.0]}), folder / "data_0.parquet")
    with pytest.raises(InvalidRequest, match="no _SUCCESS"):
        backend.save_results_to_table(location, ObjectName.parse("ML.PUBLIC.PARTIAL"), mode="error")
