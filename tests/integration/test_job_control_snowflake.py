"""Job control through the MCP server over the SQL-level fake Snowflake session: bounded waits, status
mapping, logs with continuation, gated cancel and delete with the statements they run, and partial
output judged from LIST with the job's status."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.fakes import make_fake_snowflake_backend
from tests.fakes.jobs import finish
from tests.integration.helpers import TABLE_PLAN, approve_and_submit, call, call_error

pytestmark = [pytest.mark.anyio]


class Fake:
    def __init__(self, tmp_path: Path) -> None:
        self.backend = make_fake_snowflake_backend(tmp_path)
        self.account = self.backend.fake_account  # type: ignore[attr-defined]
        self.home = tmp_path / "home"

    def server(self) -> MCPServer:
        return build_server(Settings(backend="snowflake", home=self.home), backend=self.backend)

    def statements(self) -> list[str]:
        """The SQL run since the last call."""
        log: list[str] = self.account.sql_log()
        self.account.clear_statements()
        return log


@pytest.fixture
def fake(tmp_path: Path) -> Fake:
    return Fake(tmp_path)


async def submit(fake: Fake, client: Client, run: str) -> str:
    """Plan, approve and submit; return once the background submission has reached Snowflake."""
    plan = await call(
        client, "plan_batch_job", {**TABLE_PLAN, "output_stage": f"@ML.PUBLIC.BATCH_OUT/{run}/"}
    )
    job = await approve_and_submit(client, plan)
    assert fake.backend._jobs.submitter.join(job, 30)
    return job


async def test_a_wait_returns_the_current_status_in_time_and_the_finished_job_later(fake: Fake) -> None:
    fake.account.job_behaviour = "pending"
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with Client(fake.server()) as client:
        job = await submit(fake, client, "wait")
        started = time.monotonic()
        view = await call_with_progress(client, job, 1, on_progress)
        assert time.monotonic() - started < 4.0
        assert view["job"]["status"] == "PENDING" and "wait_for_job" in view["next_step"]
        assert progress == [(0, None, "PENDING: 0 rows")]  # no row counts from SPCS: one heartbeat

        finish(fake.account, job)
        view = await call_with_progress(client, job, 10, on_progress)
    assert view["job"]["status"] == "DONE"
    assert view["output"]["state"] == "complete" and view["output"]["success_marker"]


async def call_with_progress(client: Client, job: str, timeout: int, on_progress: Any) -> dict[str, Any]:
    result = await client.call_tool(
        "wait_for_job", {"job_id": job, "timeout_seconds": timeout}, progress_callback=on_progress
    )
    assert not result.is_error, result.content
    return result.structured_content or {}


async def test_a_failed_job_says_why_and_its_logs_page_back_from_the_tail(fake: Fake) -> None:
    fake.account.job_behaviour = "fail"
    async with Client(fake.server()) as client:
        job = await submit(fake, client, "fails")
        fake.statements()
        status = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
        assert status["job"]["status"] == "FAILED" and "get_job_logs" in status["next_step"]
        # DESCRIBE SERVICE has no message column (F33): the reason comes from the job's containers (F34)
        assert "container main (instance 0) FAILED: Container exited with code 1" in status["job"]["message"]
        name = job.rsplit(".", 1)[-1]
        assert fake.statements() == [
            "DESCRIBE SERVICE IDENTIFIER(?)",
            f"SHOW SERVICE CONTAINERS IN SERVICE ML.PUBLIC.{name}",  # unquoted: quoted names are refused
        ]

        tail = await call(client, "get_job_logs", {"job_id": job, "tail": 1})
        assert tail["lines"] == ["ERROR model raised an error (fake)"]
        assert tail["truncated"] and tail["next_offset"] == 1
        older = await call(client, "get_job_logs", {"job_id": job, "tail": 5, "offset": tail["next_offset"]})
        assert older["lines"][0].startswith("Starting batch inference job") and not older["truncated"]
        assert older.get("next_offset") is None
        assert fake.statements().count("SELECT SYSTEM$GET_SERVICE_LOGS(?, ?, ?)") == 2


async def test_cancel_and_delete_are_gated_and_run_only_once_approved(fake: Fake) -> None:
    fake.account.job_behaviour = "pending"
    async with Client(fake.server()) as client:
        job = await submit(fake, client, "control")
        name = job.rsplit(".", 1)[-1]
        fake.statements()

        running = await call_error(client, "delete_job", {"job_id": job})
        assert "cancel_job" in running
        asked = await call(client, "cancel_job", {"job_id": job})
        assert asked["status"] == "confirmation_required" and "no _SUCCESS" in asked["summary"]
        assert not [s for s in fake.statements() if "spcs_cancel_job" in s or s.startswith("DROP")]

        done = await call(
            client, "cancel_job", {"job_id": job, "confirmation_token": asked["confirmation_token"]}
        )
        assert done["result"]["job"]["status"] == "CANCELLED"
        assert f"CALL ML.PUBLIC.{name}!spcs_cancel_job()" in fake.statements()
        again = await call_error(client, "cancel_job", {"job_id": job})
        assert "already CANCELLED" in again

        inspected = await call(client, "inspect_output", {"job_id": job})
        assert inspected["state"] == "empty" and "ended CANCELLED" in inspected["advice"]
        assert f'LIST \'@"ML"."PUBLIC"."BATCH_OUT"/control/{name}/\'' in fake.statements()

        asked = await call(client, "delete_job", {"job_id": job})
        assert asked["status"] == "confirmation_required" and "is kept" in asked["summary"]
        assert "DROP SERVICE IDENTIFIER(?)" not in fake.statements()
        deleted = await call(
            client, "delete_job", {"job_id": job, "confirmation_token": asked["confirmation_token"]}
        )
        assert deleted["result"]["job"]["status"] == "DELETED"
        assert "DROP SERVICE IDENTIFIER(?)" in fake.statements()
        assert (await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0}))["job"][
            "status"
        ] == "DELETED"


async def test_output_without_success_marker_is_flagged_partial_with_what_to_do(fake: Fake) -> None:
    fake.account.job_behaviour = "pending"
    async with Client(fake.server()) as client:
        job = await submit(fake, client, "partial")
        name = job.rsplit(".", 1)[-1]
        running = await call(client, "inspect_output", {"job_id": job})
        assert running["state"] == "empty" and "wait_for_job" in running["advice"]

        finish(fake.account, job)
        folder = fake.account.stages[("ML", "PUBLIC", "BATCH_OUT")].folder / "partial" / name
        (folder / "_SUCCESS").unlink()  # as a job stopped before its marker leaves it
        inspected = await call(client, "inspect_output", {"job_id": job})
        assert inspected["state"] == "partial" and not inspected["success_marker"]
        assert inspected["files"] and "no _SUCCESS" in inspected["advice"]  # (LIST gives no row counts)
        refused = await call_error(client, "save_results_to_table", {"job_id": job, "table": "ML.PUBLIC.P"})
        assert "CREATE TABLE" not in " ".join(fake.statements())
    assert "no _SUCCESS" in refused and "nothing was saved" in refused  # refused before any token


async def test_list_jobs_pages_through_every_job_once(fake: Fake) -> None:
    fake.account.job_behaviour = "pending"
    async with Client(fake.server()) as client:
        jobs = {await submit(fake, client, f"list{i}") for i in range(3)}
        fake.statements()
        seen: list[str] = []
        args: dict[str, Any] = {"limit": 2}
        while True:
            page = await call(client, "list_jobs", args)
            seen += [j["job_id"] for j in page["items"]]
            if not page.get("next_cursor"):
                break
            args["cursor"] = page["next_cursor"]
    assert sorted(seen) == sorted(jobs)  # each job once
    history = [s for s in fake.statements() if "GET_JOB_HISTORY" in s]
    # one history read per page, asking for 30 days and 10,000 jobs rather than the defaults (F37)
    assert len(history) == 2 and all("RESULT_LIMIT => 10000" in s for s in history)
