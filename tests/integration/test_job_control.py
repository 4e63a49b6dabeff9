"""Job control on the local backend, through the MCP server as an assistant drives it: bounded waits
with progress, logs, listing, cancel, delete, output inspection, saving results, save modes, and the gate.

Jobs are real detached runner processes on ML.PUBLIC.SLEEPY; a job is held on a file (see
test_job_support) whenever a test needs it mid-run, so nothing here depends on timing guesses. Tests that
only read a finished job share one (`finished`), because every job costs a process start.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.core.errors import Conflict
from snowbatch.core.names import ObjectName, StageLocation
from snowbatch.core.records import TERMINAL_STATUSES, JobInfo
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.integration.test_job_support import (
    SLEEPY,
    STAGE,
    approved,
    base_dir,
    call,
    call_error,
    eventually,
    group_members,
    job_files,
    job_id,
    job_spec,
    new_home,
    output_dir,
    reap_jobs,
    rows,
    submit_via_tools,
    wait_rows_done,
    wait_terminal,
)

pytestmark = [pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def backend(home: Path) -> LocalBackend:
    return LocalBackend(home)


@pytest.fixture
def server(home: Path) -> MCPServer:
    return build_server(Settings(backend="local", home=home))


@dataclass
class Finished:
    """An account with one DONE job: 10 rows in 3 Parquet parts under @ML.PUBLIC.BATCH_OUT/shared/."""

    home: Path
    backend: LocalBackend
    job: JobInfo

    def server(self) -> MCPServer:
        return build_server(Settings(backend="local", home=self.home))


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Finished]:
    home = new_home(tmp_path_factory.mktemp("finished"))
    backend = LocalBackend(home)
    job = wait_terminal(backend, backend.submit_job(job_spec(base="shared/", n=10, batch_rows=4)))
    assert job.status == "DONE", job
    yield Finished(home, backend, job)
    reap_jobs(home)


def status_of(backend: LocalBackend, job: str) -> str:
    return backend.get_job(ObjectName.parse(job)).status


# --- waiting ---------------------------------------------------------------------------------------
async def test_wait_for_job_returns_the_current_status_when_its_time_runs_out(
    server: MCPServer, backend: LocalBackend, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with Client(server) as client:
        job = await submit_via_tools(client, n=4, batch_rows=2, hold=release, hold_from=2)
        wait_rows_done(backend, job, at_least=2)  # the first batch is done, the second is held

        started = time.monotonic()
        view = await call(
            client, "wait_for_job", {"job_id": job, "timeout_seconds": 1}, progress_callback=on_progress
        )
        elapsed = time.monotonic() - started
        assert view["job"]["status"] == "RUNNING"
        assert 1.0 <= elapsed < 4.0  # its own timeout, plus at most one poll (slack for a busy machine)
        assert "again" in view["next_step"]
        assert progress == [(2, 4, "RUNNING: 2 of 4 rows")]  # one notification: progress never repeats

        release.touch()
        while view["job"]["status"] not in TERMINAL_STATUSES:
            view = await call(
                client, "wait_for_job", {"job_id": job, "timeout_seconds": 10}, progress_callback=on_progress
            )
    assert view["job"]["status"] == "DONE"
    assert view["job"]["progress"] == {"rows_done": 4, "rows_total": 4}
    assert progress[-1][:2] == (4, 4)


async def test_a_wait_is_bounded_well_under_a_minute(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        too_long = await client.call_tool("wait_for_job", {"job_id": "X", "timeout_seconds": 120})
    timeout = tools["wait_for_job"].input_schema["properties"]["timeout_seconds"]
    assert timeout["default"] <= 30 and timeout["maximum"] < 60
    assert too_long.is_error


# --- logs ------------------------------------------------------------------------------------------
async def test_logs_come_as_a_tail_with_a_continuation_to_older_lines(finished: Finished) -> None:
    async with Client(finished.server()) as client:
        job = finished.job.job_id
        everything = await call(client, "get_job_logs", {"job_id": job, "tail": 500})
        assert not everything["truncated"] and everything.get("next_offset") is None
        lines = everything["lines"]
        assert sum("scoring a batch" in line for line in lines) == 3
        assert "_SUCCESS written" in lines[-1]

        pages: list[list[str]] = []
        args: dict[str, Any] = {"job_id": job, "tail": 3}
        while True:
            chunk = await call(client, "get_job_logs", args)
            pages.append(chunk["lines"])
            if chunk.get("next_offset") is None:
                assert not chunk["truncated"]
                break
            assert chunk["truncated"] and len(chunk["lines"]) == 3
            args["offset"] = chunk["next_offset"]
    assert len(pages) >= 3
    assert pages[0] == lines[-3:]  # the first call is the tail
    assert [line for page in reversed(pages) for line in page] == lines  # older pages join up exactly


# --- listing ---------------------------------------------------------------------------------------
async def test_list_jobs_is_newest_first_and_pages_without_repeats(server: MCPServer) -> None:
    async with Client(server) as client:
        first, second = [await submit_via_tools(client, n=1, base=f"list-{i}/") for i in range(2)]
        page1 = await call(client, "list_jobs", {"limit": 1})
        assert [j["job_id"] for j in page1["items"]] == [second]
        assert page1["total"] == 2 and page1["next_cursor"]
        assert page1["items"][0]["kind"] == "batch" and page1["items"][0]["output_location"]

        third = await submit_via_tools(client, n=1, base="list-2/")  # a new job between two pages
        page2 = await call(client, "list_jobs", {"limit": 1, "cursor": page1["next_cursor"]})
        assert [j["job_id"] for j in page2["items"]] == [first]
        assert page2.get("next_cursor") is None

        fresh = await call(client, "list_jobs", {"limit": 10})
        assert [j["job_id"] for j in fresh["items"]] == [third, second, first]
        bad = await call_error(client, "list_jobs", {"cursor": "not-a-cursor"})
        assert "without cursor" in bad


# --- cancel ----------------------------------------------------------------------------------------
async def test_cancel_is_gated_then_stops_the_whole_process_group_and_leaves_partial_output(
    server: MCPServer, backend: LocalBackend, home: Path, tmp_path: Path
) -> None:
    async with Client(server) as client:
        job = await submit_via_tools(
            client, n=8, batch_rows=2, workers=2, hold=tmp_path / "never", hold_from=2
        )
        wait_rows_done(backend, job, at_least=2)
        pgid = int(job_files(home, job).read_state()["pgid"])
        assert len(group_members(pgid)) >= 3  # the runner and its two workers

        asked = await call(client, "cancel_job", {"job_id": job})
        assert asked["status"] == "confirmation_required"
        assert "2 of 8 rows done" in asked["summary"] and "no _SUCCESS" in asked["summary"]
        assert status_of(backend, job) == "RUNNING" and len(group_members(pgid)) >= 3  # nothing happened yet

        done = await call(
            client, "cancel_job", {"job_id": job, "confirmation_token": asked["confirmation_token"]}
        )
        assert done["status"] == "done" and done["result"]["job"]["status"] == "CANCELLED"
        assert group_members(pgid) == []  # no process of the job's group remains

        info = backend.get_job(job_id(job))
        out = output_dir(backend, info)
        assert info.status == "CANCELLED" and not (out / "_SUCCESS").exists()
        assert sorted(p.name for p in out.iterdir()) == ["data_000000.parquet"]  # no temp parts left
        inspected = await call(client, "inspect_output", {"job_id": job})
        assert inspected["state"] == "partial" and inspected["rows"] == 2
        assert "ended CANCELLED" in inspected["advice"] and "partial" in inspected["advice"]
        assert (
            "job cancelled; no _SUCCESS written"
            in (await call(client, "get_job_logs", {"job_id": job}))["lines"][-1]
        )

        again = await call_error(client, "cancel_job", {"job_id": job})  # refused before any token
        assert "already CANCELLED" in again and "delete_job" in again


async def test_a_killed_runner_makes_the_job_failed_with_the_reason_and_no_stray_workers(
    server: MCPServer, backend: LocalBackend, home: Path, tmp_path: Path
) -> None:
    async with Client(server) as client:
        job = await submit_via_tools(
            client, n=8, batch_rows=2, workers=2, hold=tmp_path / "never", hold_from=2
        )
        wait_rows_done(backend, job, at_least=2)
        state = job_files(home, job).read_state()
        os.kill(int(state["pid"]), signal.SIGKILL)

        view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 10})
        assert view["job"]["status"] == "FAILED"
        assert "ended without finishing" in view["job"]["message"]
        assert "get_job_logs" in view["next_step"]
        # its workers, orphaned by the kill, are stopped too: they must not write more parts
        eventually(lambda: group_members(int(state["pgid"])), lambda left: left == [], timeout=5)

        logs = await call(client, "get_job_logs", {"job_id": job})
        assert "ended without finishing" in logs["lines"][-1]
        inspected = await call(client, "inspect_output", {"job_id": job})
        assert not inspected["success_marker"] and inspected["state"] == "partial"
        assert "ended FAILED" in inspected["advice"]


# --- output ----------------------------------------------------------------------------------------
async def test_inspect_output_counts_files_bytes_and_rows_of_a_complete_job(finished: Finished) -> None:
    async with Client(finished.server()) as client:
        inspected = await call(client, "inspect_output", {"job_id": finished.job.job_id})
    out = output_dir(finished.backend, finished.job)
    names = sorted(f["path"].rsplit("/", 1)[-1] for f in inspected["files"])
    assert names == [
        "data_000000.parquet",
        "data_000001.parquet",
        "data_000002.parquet",
    ]  # _SUCCESS: the flag
    assert inspected["state"] == "complete" and inspected["success_marker"]
    assert inspected["rows"] == 10
    assert inspected["total_bytes"] == sum(p.stat().st_size for p in out.iterdir())
    assert inspected["location"] == finished.job.output_location
    assert inspected.get("advice") is None


async def test_save_results_to_table_is_gated_and_honours_error_overwrite_and_append(
    finished: Finished,
) -> None:
    tables = finished.backend.tables
    target = ObjectName.parse("ML.PUBLIC.SCORES")

    def table_rows() -> int | None:
        return tables.describe(target, count_rows=True).row_count if tables.exists(target) else None

    async with Client(finished.server()) as client:
        args = {"job_id": finished.job.job_id, "table": "ML.PUBLIC.SCORES"}
        asked = await call(client, "save_results_to_table", args)
        assert asked["status"] == "confirmation_required" and "(a new table)" in asked["summary"]
        assert table_rows() is None  # nothing written without approval

        saved = await call(
            client, "save_results_to_table", {**args, "confirmation_token": asked["confirmation_token"]}
        )
        assert saved["result"] == {"table": "ML.PUBLIC.SCORES", "rows": 10} and table_rows() == 10
        assert [c.name for c in tables.describe(target, count_rows=False).columns] == [
            "X",
            "DELAY",
            "HOLD",
            "Y",
        ]

        exists = await call_error(client, "save_results_to_table", args)  # refused before any token
        assert "already exists" in exists and "mode='overwrite'" in exists
        assert table_rows() == 10

        await approved(client, "save_results_to_table", {**args, "mode": "append"})
        assert table_rows() == 20
        await approved(client, "save_results_to_table", {**args, "mode": "overwrite"})
        assert table_rows() == 10


async def test_save_results_refuses_partial_output(finished: Finished, tmp_path: Path) -> None:
    # a folder with a result part but no _SUCCESS, as a failed or cancelled job leaves it
    partial = base_dir(finished.backend, "partial-copy/")
    partial.mkdir(parents=True)
    shutil.copy(output_dir(finished.backend, finished.job) / "data_000000.parquet", partial)
    async with Client(finished.server()) as client:
        args = {"location": f"{STAGE}/partial-copy/", "table": "ML.PUBLIC.PARTIAL"}
        inspected = await call(client, "inspect_output", {"location": args["location"]})
        assert inspected["state"] == "partial" and inspected["rows"] == 4
        refused = await call_error(client, "save_results_to_table", args)  # refused before any token
    assert "results are partial, so nothing was saved" in refused and "Next step" in refused
    assert not finished.backend.tables.exists(ObjectName.parse("ML.PUBLIC.PARTIAL"))


# --- delete ----------------------------------------------------------------------------------------
async def test_delete_job_is_gated_refuses_a_running_job_and_keeps_the_output(
    server: MCPServer, backend: LocalBackend, home: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    async with Client(server) as client:
        job = await submit_via_tools(client, n=2, batch_rows=2, hold=release)
        running = await call_error(client, "delete_job", {"job_id": job})  # refused before any token
        assert "cancel_job" in running and job_files(home, job).job_file.exists()

        release.touch()
        info = wait_terminal(backend, job)
        asked = await call(client, "delete_job", {"job_id": job})
        assert asked["status"] == "confirmation_required" and "is kept" in asked["summary"]
        assert job_files(home, job).job_file.exists()  # nothing happened yet

        done = await call(
            client, "delete_job", {"job_id": job, "confirmation_token": asked["confirmation_token"]}
        )
        assert done["result"]["job"]["status"] == "DELETED"
        assert not job_files(home, job).dir.exists()
        assert (output_dir(backend, info) / "_SUCCESS").exists()  # results stay on the stage
        missing = await call_error(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
        assert "list_jobs" in missing
        listed = await call(client, "list_jobs", {})
        assert job not in [j["job_id"] for j in listed["items"]]


# --- the gate --------------------------------------------------------------------------------------
async def test_a_token_for_other_parameters_is_refused_and_nothing_happens(finished: Finished) -> None:
    tables = finished.backend.tables
    async with Client(finished.server()) as client:
        args = {"job_id": finished.job.job_id, "table": "ML.PUBLIC.GATED", "mode": "append"}
        token = (await call(client, "save_results_to_table", args))["confirmation_token"]
        for changed in ({"mode": "overwrite"}, {"table": "ML.PUBLIC.OTHER"}):
            refused = await call_error(
                client, "save_results_to_table", {**args, **changed, "confirmation_token": token}
            )
            assert "Nothing was done" in refused
        invented = await call_error(client, "save_results_to_table", {**args, "confirmation_token": "1" * 40})
        assert "Nothing was done" in invented
        other_tool = await call_error(
            client, "delete_job", {"job_id": finished.job.job_id, "confirmation_token": token}
        )
        assert "Nothing was done" in other_tool
    assert not tables.exists(ObjectName.parse("ML.PUBLIC.GATED"))
    assert not tables.exists(ObjectName.parse("ML.PUBLIC.OTHER"))
    assert finished.backend.get_job(job_id(finished.job)).status == "DONE"


# --- save modes at submit --------------------------------------------------------------------------
async def test_save_mode_error_refuses_a_location_that_is_not_empty(finished: Finished) -> None:
    backend = finished.backend
    with pytest.raises(Conflict) as refused:
        backend.submit_job(job_spec(base="shared/", n=1, job_name="SECOND"))
    assert "not empty" in refused.value.problem and "mode is ERROR" in refused.value.problem
    assert "fresh output path" in refused.value.next_step
    assert not (backend.account.jobs_dir / "SECOND").exists()  # nothing half-written
    assert [p.name for p in base_dir(backend, "shared/").iterdir()] == [job_id(finished.job).name.name]

    async with Client(finished.server()) as client:  # the plan says so before anything is spent
        plan = await call(
            client,
            "plan_batch_job",
            {
                "model": SLEEPY,
                "input": {"kind": "rows", "rows": rows(1)},
                "output_stage": f"{STAGE}/shared/",
                "compute_pool": "CPU_POOL",
                "include_code": False,
            },
        )
    assert not plan["ok"]
    assert any(c["status"] == "fail" and "not empty" in c["message"] for c in plan["checks"])


async def test_submit_rechecks_the_location_when_it_filled_up_after_planning(
    server: MCPServer, backend: LocalBackend
) -> None:
    async with Client(server) as client:
        plan = await call(
            client,
            "plan_batch_job",
            {
                "model": SLEEPY,
                "input": {"kind": "rows", "rows": rows(1)},
                "output_stage": f"{STAGE}/race/",
                "compute_pool": "CPU_POOL",
                "include_code": False,
            },
        )
        assert plan["ok"]
        base = base_dir(backend, "race/")
        base.mkdir(parents=True)
        (base / "someone-elses.csv").write_text("a,b\n")  # the location filled up after planning
        token = (await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]}))["confirmation_token"]
        refused = await call_error(
            client, "submit_batch_job", {"plan_id": plan["plan_id"], "confirmation_token": token}
        )
    assert "not empty" in refused and "Next step" in refused
    assert not backend.account.jobs_dir.exists() or list(backend.account.jobs_dir.iterdir()) == []
    assert [p.name for p in base.iterdir()] == ["someone-elses.csv"]


def test_concurrent_error_mode_submissions_to_one_location_start_exactly_one_job(
    backend: LocalBackend,
) -> None:
    contenders = 6
    barrier = threading.Barrier(contenders)
    outcomes: list[Any] = []

    def submit(i: int) -> None:
        spec = job_spec(base="shared/", n=1, job_name=f"CONTENDER_{i}")
        barrier.wait()
        try:
            outcomes.append(backend.submit_job(spec))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    started = [o for o in outcomes if not isinstance(o, Conflict)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(started) == 1 and len(refused) == contenders - 1
    assert all("not empty" in str(e) for e in refused)
    winner = job_id(started[0]).name.name
    # nothing half-written: one job record, one output folder, both the winner's
    assert [p.name for p in backend.account.jobs_dir.iterdir()] == [winner]
    assert [p.name for p in base_dir(backend, "shared/").iterdir()] == [winner]


def test_concurrent_submissions_with_one_job_name_never_touch_each_others_files(
    backend: LocalBackend,
) -> None:
    contenders = 4
    barrier = threading.Barrier(contenders)
    outcomes: dict[int, Any] = {}

    def submit(i: int) -> None:
        spec = job_spec(base=f"same-{i}/", n=1, job_name="SAME", mode="overwrite")
        barrier.wait()
        try:
            outcomes[i] = backend.submit_job(spec)
        except Conflict as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [i for i, o in outcomes.items() if not isinstance(o, Conflict)]
    assert len(winners) == 1 and len(outcomes) == contenders
    assert all("already exists" in str(o) for i, o in outcomes.items() if i != winners[0])
    assert job_files(
        backend.account.home, outcomes[winners[0]]
    ).job_file.exists()  # the winner's record stays
    assert sorted(p.name for p in base_dir(backend, "").iterdir()) == [f"same-{winners[0]}"]


def test_overwrite_replaces_only_this_jobs_folder(backend: LocalBackend, tmp_path: Path) -> None:
    base = base_dir(backend, "nightly/")
    # what earlier runs left: a neighbour job's results, an older NIGHTLY (4 parts), a person's note
    for folder, parts in (("NEIGHBOUR", 1), ("NIGHTLY", 4)):
        (base / folder).mkdir(parents=True)
        for i in range(parts):
            (base / folder / f"data_{i:06d}.parquet").write_bytes(b"old")
        (base / folder / "_SUCCESS").write_bytes(b"")
    (base / "README.txt").write_text("kept by the person")
    before = {p.relative_to(base): p.stat().st_mtime_ns for p in (base / "NEIGHBOUR").iterdir()}

    new = wait_terminal(
        backend,
        backend.submit_job(
            job_spec(base="nightly/", n=3, batch_rows=3, mode="overwrite", job_name="NIGHTLY")
        ),
    )
    assert new.status == "DONE"
    assert sorted(p.name for p in (base / "NIGHTLY").iterdir()) == ["_SUCCESS", "data_000000.parquet"]
    assert backend.inspect_output(StageLocation.parse(new.output_location or "")).rows == 3
    assert {p.relative_to(base): p.stat().st_mtime_ns for p in (base / "NEIGHBOUR").iterdir()} == before
    assert (base / "README.txt").read_text() == "kept by the person"
