"""Faults on the local backend: a write error mid-job, a corrupted job record, the server killed mid-job.

The runner killed with SIGKILL mid-job (FAILED with the reason, no _SUCCESS, output partial, no stray
workers) is proven in tests/integration/test_job_control.py
(test_a_killed_runner_makes_the_job_failed_with_the_reason_and_no_stray_workers); these tests reuse its
held SLEEPY jobs (tests/integration/test_job_support.py) for the other faults.

Full disk: there is no tmpfs here and the tests run as root (so a read-only folder does not stop a
write). The runner's own writes are made to fail the way a full disk makes them fail — the write
system call returns an error in the middle of a Parquet part — by lowering RLIMIT_FSIZE of the running
runner with prlimit(2): the kernel then refuses any write past the limit with EFBIG (CPython ignores
SIGXFSZ, so it is an OSError, as ENOSPC would be). No test-only code is needed in the runner.
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

import pytest
from mcp import Client
from tests.hardening.conftest import HttpServer
from tests.integration.test_job_support import (
    call,
    call_error,
    job_files,
    submit_via_tools,
    wait_rows_done,
    wait_terminal,
)

from snowbatch.core.names import StageLocation
from snowbatch.server import build_server
from snowbatch.settings import Settings

pytestmark = pytest.mark.anyio


def local(home: Path) -> Client:
    return Client(build_server(Settings(backend="local", home=home)))


async def test_a_write_error_mid_job_fails_it_with_the_reason_and_no_success_marker(
    home: Path, tmp_path: Path
) -> None:
    from snowbatch.backends.local.backend import LocalBackend

    backend = LocalBackend(home)
    hold = tmp_path / "release"
    async with local(home) as client:
        job = await submit_via_tools(client, n=8, batch_rows=2, workers=1, hold=hold, hold_from=2)
        wait_rows_done(backend, job, at_least=2)  # one part written; the next batch waits on `hold`
        pid = int(job_files(home, job).read_state()["pid"])
        # from now on every file the runner grows past 1.5 KB fails as on a full disk (a part is ~3 KB)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (1536, 1536))
        hold.touch()
        info = wait_terminal(backend, job)
        assert info.status == "FAILED", info
        assert info.message and ("File too large" in info.message or "Errno 27" in info.message), info.message

        view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
        assert view["job"]["status"] == "FAILED" and "get_job_logs" in view["next_step"]
        inspected = await call(client, "inspect_output", {"job_id": job})
        assert not inspected["success_marker"] and inspected["state"] == "partial"
        assert [f["path"].rsplit("/", 1)[-1] for f in inspected["files"]] == ["data_000000.parquet"]
        out = backend.account.location_path(StageLocation.parse(inspected["location"]))
        assert not list(out.glob(".*.tmp")), "a half-written part was left behind"
        refused = await call_error(
            client, "save_results_to_table", {"table": "ML.PUBLIC.SCORES", "job_id": job}
        )
        assert "_SUCCESS" in refused


CORRUPTIONS = {
    "garbage bytes": (b"\x00\xff\xfe garbage", None),
    "truncated json": (b'{"job_id": "ML.PUBLIC.X", "spec": {', None),
    "empty file": (b"", None),
    "a list, not a record": (b"[1, 2, 3]", None),
    "a record without its fields": (b"{}", None),
    "a state that is garbage": (None, b"not json at all"),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS), ids=list(CORRUPTIONS))
async def test_a_corrupted_job_record_is_listed_as_such_and_the_server_keeps_working(
    corruption: str, home: Path
) -> None:
    from snowbatch.backends.local.backend import LocalBackend

    backend = LocalBackend(home)
    job_bytes, state_bytes = CORRUPTIONS[corruption]
    async with local(home) as client:
        broken = await submit_via_tools(client, base="broken/", n=4)
        assert wait_terminal(backend, broken).status == "DONE"
        files = job_files(home, broken)
        if job_bytes is not None:
            files.job_file.write_bytes(job_bytes)
        if state_bytes is not None:
            files.state_file.write_bytes(state_bytes)

        listed = await call(client, "list_jobs", {})
        (entry,) = [j for j in listed["items"] if j["job_id"].endswith(files.dir.name)]
        if job_bytes is not None:
            assert entry["status"] == "INTERNAL_ERROR", entry
            assert "delete_job" in entry["message"]
        status = await call(client, "wait_for_job", {"job_id": broken, "timeout_seconds": 0})
        assert status["job"]["status"] == entry["status"]

        # the server keeps working: discovery, a new job end to end, and the corrupted record goes away
        await call(client, "list_models", {})
        fresh = await submit_via_tools(client, base="fresh/", n=4)
        assert wait_terminal(backend, fresh).status == "DONE"
        assert (await call(client, "inspect_output", {"job_id": fresh}))["state"] == "complete"
        if job_bytes is not None:
            first = await call(client, "delete_job", {"job_id": broken})
            await call(
                client, "delete_job", {"job_id": broken, "confirmation_token": first["confirmation_token"]}
            )
            assert not files.dir.exists()
        ids = [j["job_id"] for j in (await call(client, "list_jobs", {}))["items"]]
        assert any(i.endswith(fresh.rsplit(".", 1)[-1]) for i in ids)


async def test_a_server_killed_mid_job_leaves_the_job_running_and_a_new_server_sees_it_done(
    home: Path, tmp_path: Path
) -> None:
    hold = tmp_path / "release"
    first = HttpServer(home)
    try:
        async with Client(first.url) as client:
            job = await submit_via_tools(client, n=6, batch_rows=2, workers=1, hold=hold, hold_from=2)
            view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
            assert view["job"]["status"] in ("PENDING", "RUNNING")
    finally:
        first.kill()  # SIGKILL: no shutdown code of the server runs
    runner = int(job_files(home, job).read_state()["pid"])
    os.kill(runner, 0)  # the job's process outlived its server (its own session)

    hold.touch()
    second = HttpServer(home)
    try:
        async with Client(second.url) as client:
            deadline = time.monotonic() + 60
            while True:
                view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 10})
                if view["job"]["status"] not in ("PENDING", "RUNNING") or time.monotonic() > deadline:
                    break
            assert view["job"]["status"] == "DONE", view
            assert view["job"]["progress"]["rows_done"] == 6
            inspected = await call(client, "inspect_output", {"job_id": job})
            assert inspected["success_marker"] and inspected["state"] == "complete"
            assert sum(f.get("rows") or 0 for f in inspected["files"]) == 6
            listed = await call(client, "list_jobs", {})
            assert [j["status"] for j in listed["items"] if j["job_id"] == job] == ["DONE"]
    finally:
        second.stop()
    state = json.loads(job_files(home, job).state_file.read_text())
    assert state["status"] == "DONE"
