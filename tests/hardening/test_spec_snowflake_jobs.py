"""Cancel and status on the Snowflake backend, over the SQL-level fake account:

- a job still being submitted (its image building) cannot be cancelled yet: the cancel is refused before
  anyone is asked (no summary, no confirmation token, nothing sent), and once the job service exists the
  cancel is asked for and done;
- cancel uses the documented SELECT form when the account refuses snowflake-ml's CALL form as a syntax
  error, and any other refusal (privileges) is reported as it is, without a second statement;
- a status Snowflake reports that snowbatch does not know is UNKNOWN with the raw value, never a guess;
- the job list shows every job the role can see exactly once — its own from job history, another role's
  from its live service — with the live service's status and pool, and says when a service was dropped.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from tests.fakes import make_fake_snowflake_backend
from tests.fakes.state import FakeJob
from tests.integration.helpers import TABLE_PLAN, approve_and_submit, call
from tests.integration.test_job_support import approved

from snowbatch.backends.snowflake.jobs import job_status
from snowbatch.server import build_server
from snowbatch.settings import Settings

pytestmark = pytest.mark.anyio


class Fake:
    def __init__(self, tmp_path: Path) -> None:
        self.backend = make_fake_snowflake_backend(tmp_path)
        self.account = self.backend.fake_account  # type: ignore[attr-defined]
        self.server = build_server(
            Settings(backend="snowflake", home=tmp_path / "home"), backend=self.backend
        )

    def cancels(self) -> list[str]:
        return [s for s in self.account.sql_log() if "SPCS_CANCEL_JOB" in s.upper()]


@pytest.fixture
def fake(tmp_path: Path) -> Fake:
    made = Fake(tmp_path)
    made.account.job_behaviour = "pending"
    return made


async def running_job(fake: Fake, client: Client) -> str:
    job = await approve_and_submit(client, await call(client, "plan_batch_job", TABLE_PLAN))
    assert fake.backend._jobs.submitter.join(job, 30)
    return job


async def error_of(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert result.is_error, result.structured_content
    return dict((result.structured_content or {})["error"])


async def test_a_job_whose_image_is_still_building_cannot_be_cancelled_yet(fake: Fake) -> None:
    fake.account.image_build_seconds = 120
    async with Client(fake.server) as client:
        job = await approve_and_submit(client, await call(client, "plan_batch_job", TABLE_PLAN))
        error = await error_of(client, "cancel_job", {"job_id": job})  # refused before any question
        assert error["code"] == "invalid_request"  # an error, not a summary with a confirmation_token
        assert "still being submitted" in error["problem"] and "no job service" in error["problem"]
        assert "wait_for_job" in error["next_step"] and "cancel_job" in error["next_step"]
        assert fake.cancels() == []
        fake.account.release_builds()
        assert fake.backend._jobs.submitter.join(job, 30)
        done = await approved(client, "cancel_job", {"job_id": job})
    assert done["result"]["job"]["status"] in ("CANCELLING", "CANCELLED") and len(fake.cancels()) == 1


async def test_cancel_falls_back_to_the_select_form_when_call_is_a_syntax_error(fake: Fake) -> None:
    fake.account.fail(
        r"^CALL .*!spcs_cancel_job", "SQL compilation error:\nsyntax error line 1 at 'CALL'", 1003
    )
    async with Client(fake.server) as client:
        job = await running_job(fake, client)
        done = await approved(client, "cancel_job", {"job_id": job})
    assert done["result"]["job"]["status"] in ("CANCELLING", "CANCELLED")
    sent = fake.cancels()
    assert [s.split()[0] for s in sent] == ["CALL", "SELECT"]


async def test_a_cancel_refused_for_privileges_says_which_grant_and_tries_nothing_else(fake: Fake) -> None:
    async with Client(fake.server) as client:
        job = await running_job(fake, client)
        fake.account.deny(r"SPCS_CANCEL_JOB", "Insufficient privileges to operate on service 'X'")
        asked = await call(client, "cancel_job", {"job_id": job})
        args = {"job_id": job, "confirmation_token": asked["confirmation_token"]}
        error = await error_of(client, "cancel_job", args)
    assert error["code"] == "permission_denied" and "OPERATE" in error["next_step"]
    assert "Cancelling job" in error["problem"]
    assert [s.split()[0] for s in fake.cancels()] == ["CALL"]


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        ("RUNNING", "RUNNING", None),
        (" done ", "DONE", None),
        ("SUSPENDED_BY_ADMIN", "UNKNOWN", "Snowflake reported status 'SUSPENDED_BY_ADMIN'"),
        (None, "UNKNOWN", "Snowflake reported status '(none)'"),
        ("", "UNKNOWN", "Snowflake reported status '(none)'"),
    ],
)
def test_a_status_is_taken_as_snowflake_says_it_or_reported_unknown(
    raw: str | None, status: str, message: str | None
) -> None:
    assert job_status(raw) == (status, message)


async def test_each_visible_job_is_listed_once_with_what_its_service_or_its_history_says(fake: Fake) -> None:
    acct, now = fake.account, fake.account.now()

    def add(
        name: str, status: str, minutes: int, *, owner: str = "ML_ENGINEER", pool: str = "CPU_POOL"
    ) -> FakeJob:
        job = FakeJob(
            ("ML", "PUBLIC", name), pool, ("ML", "PUBLIC", "CHURN_CLASSIFIER"), "V1", "predict", "", "", ""
        )
        job.status, job.created_on, job.owner = status, now - timedelta(minutes=minutes), owner
        acct.jobs[job.key] = job
        return job

    add("MINE_DONE", "DONE", 30)
    add("THEIRS_SHARED", "RUNNING", 20, owner="ANALYST", pool="GPU_POOL").visible_to.add("ML_ENGINEER")
    dropped = add("MINE_DROPPED", "DONE", 10, pool="GPU_POOL")
    dropped.dropped, dropped.deleted_on = True, now - timedelta(minutes=1)
    dropped.message = "Scored 10 rows"
    add("THEIRS_PRIVATE", "RUNNING", 5, owner="ANALYST")
    async with Client(fake.server) as client:
        page = await call(client, "list_jobs", {"limit": 10})
    jobs = {j["job_id"].rsplit(".", 1)[-1]: j for j in page["items"]}
    assert list(jobs) == ["MINE_DROPPED", "THEIRS_SHARED", "MINE_DONE"]  # newest first, each once
    assert (jobs["THEIRS_SHARED"]["status"], jobs["THEIRS_SHARED"]["compute_pool"]) == ("RUNNING", "GPU_POOL")
    assert (jobs["MINE_DONE"]["status"], jobs["MINE_DONE"]["compute_pool"]) == ("DONE", "CPU_POOL")
    assert "dropped" not in (jobs["MINE_DONE"].get("message") or "")
    gone = jobs["MINE_DROPPED"]  # known from job history alone
    assert (gone["status"], gone["compute_pool"]) == ("DONE", "GPU_POOL")
    assert gone["message"] == "Scored 10 rows; job service dropped"
    assert page["total"] == 3 and "Older jobs may exist" in page["note"]


async def test_a_job_snowbatch_submitted_is_listed_with_what_it_ran_and_where_it_wrote(fake: Fake) -> None:
    fake.account.job_behaviour = "complete"
    async with Client(fake.server) as client:
        job = await running_job(fake, client)
        waited = (await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 10}))["job"]
        (listed,) = (await call(client, "list_jobs", {"limit": 10}))["items"]
    assert listed["job_id"] == job and listed["status"] == "DONE"
    assert (listed["model"], listed["version"], listed["function"]) == (
        "ML.PUBLIC.CHURN_CLASSIFIER",
        "V1",
        "PREDICT_PROBA",
    )
    assert listed["output_location"] == waited["output_location"] and listed["compute_pool"] == "CPU_POOL"
    assert listed["created_on"] and listed["completed_on"]


async def test_a_cancel_that_fails_for_another_reason_is_reported_without_a_second_form(fake: Fake) -> None:
    fake.account.fail(r"^CALL .*!spcs_cancel_job", "Internal error: the service is unavailable.", 1003)
    async with Client(fake.server) as client:
        job = await running_job(fake, client)
        asked = await call(client, "cancel_job", {"job_id": job})
        args = {"job_id": job, "confirmation_token": asked["confirmation_token"]}
        error = await error_of(client, "cancel_job", args)
    assert error["code"] == "backend_failure" and "service is unavailable" in error["problem"]
    assert [s.split()[0] for s in fake.cancels()] == ["CALL"]


async def test_when_the_select_form_is_refused_too_the_error_says_what_was_being_done(fake: Fake) -> None:
    fake.account.fail(
        r"^CALL .*!spcs_cancel_job", "SQL compilation error:\nsyntax error line 1 at 'CALL'", 1003
    )
    fake.account.deny(r"^SELECT .*SPCS_CANCEL_JOB", "Insufficient privileges to operate on service")
    async with Client(fake.server) as client:
        job = await running_job(fake, client)
        asked = await call(client, "cancel_job", {"job_id": job})
        args = {"job_id": job, "confirmation_token": asked["confirmation_token"]}
        error = await error_of(client, "cancel_job", args)
    assert error["code"] == "permission_denied" and error["problem"].startswith(f"Cancelling job {job}")
    assert "OPERATE" in error["next_step"]


async def test_jobs_still_being_submitted_or_refused_are_listed_once_with_why(fake: Fake) -> None:
    fake.account.image_build_seconds = 120
    async with Client(fake.server) as client:
        building = await approve_and_submit(client, await call(client, "plan_batch_job", TABLE_PLAN))
        listed = {j["job_id"]: j for j in (await call(client, "list_jobs", {}))["items"]}
        assert list(listed) == [building] and listed[building]["status"] == "PENDING"
        assert "container image" in listed[building]["message"]
        fake.account.release_builds()
        assert fake.backend._jobs.submitter.join(building, 30)
        fake.account.deny(r"^EXECUTE INFERENCE JOB SERVICE", "Insufficient privileges to operate on schema")
        plan = await call(
            client, "plan_batch_job", {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/two/"}
        )
        refused = await approve_and_submit(client, plan)
        assert fake.backend._jobs.submitter.join(refused, 30)
        page = await call(client, "list_jobs", {})
    jobs = {j["job_id"]: j for j in page["items"]}
    assert sorted(jobs) == sorted([building, refused]) and page["total"] == 2
    assert jobs[building]["status"] in ("PENDING", "RUNNING", "DONE")
    assert jobs[refused]["status"] == "FAILED" and "Insufficient privileges" in jobs[refused]["message"]


async def test_a_job_of_another_schema_is_not_listed_even_while_it_is_submitted(fake: Fake) -> None:
    fake.account.add_database("ML", "PUBLIC_2")
    fake.account.image_build_seconds = 120
    async with Client(fake.server) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "job_name": "ML.PUBLIC_2.ELSEWHERE"})
        elsewhere = await approve_and_submit(client, plan)
        here = await approve_and_submit(client, await call(client, "plan_batch_job", TABLE_PLAN))
        page = await call(client, "list_jobs", {})
        fake.account.release_builds()
        assert fake.backend._jobs.submitter.join(elsewhere, 30) and fake.backend._jobs.submitter.join(
            here, 30
        )
    assert elsewhere == "ML.PUBLIC_2.ELSEWHERE"
    assert [j["job_id"] for j in page["items"]] == [here] and page["total"] == 1
