"""What a real account does that the first fake never showed (docs/snowflake-fidelity.md, D1–D24),
driven through the MCP tools over the rebuilt fake: the image build that blocks EXECUTE, the job-history
window and role filter, container messages, every service status, dropped services, resolved names, the
2.0 model spec, NULL runnable_in, external stage URLs, the log cap and the save-mode scope."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.fakes import make_fake_snowflake_backend
from tests.fakes.seed import EDGE, EDGE_MODEL, EDGE_STAGE, EXTERNAL_STAGE
from tests.fakes.state import FakeJob
from tests.integration.helpers import TABLE_PLAN, call, call_error

pytestmark = [pytest.mark.anyio]


class Fake:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.backend = make_fake_snowflake_backend(tmp_path)
        self.account = self.backend.fake_account  # type: ignore[attr-defined]

    def server(self, backend: Any = None) -> Any:
        settings = Settings(backend="snowflake", home=self.tmp_path / "snowbatch-home")
        return build_server(settings, backend=backend or self.backend)

    def restarted(self) -> Any:
        """A new backend on the same home and account: what a restarted server sees."""
        from snowbatch.backends.snowflake import SnowflakeBackend

        settings = Settings.model_validate({"backend": "snowflake", "home": self.tmp_path / "snowbatch-home"})
        return SnowflakeBackend(settings, session_factory=self.account.session)


@pytest.fixture
def fake(tmp_path: Path) -> Fake:
    return Fake(tmp_path)


async def plan_and_approve(client: Client, run: str, **changes: Any) -> tuple[str, str]:
    plan = await call(
        client, "plan_batch_job", {**TABLE_PLAN, "output_stage": f"@ML.PUBLIC.BATCH_OUT/{run}/", **changes}
    )
    assert plan["ok"], plan["checks"]
    asked = await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    return plan["plan_id"], asked["confirmation_token"]


async def test_a_submit_during_a_two_minute_image_build_answers_at_once_and_the_wait_reports_the_build(
    fake: Fake,
) -> None:
    fake.account.image_build_seconds = 120
    async with Client(fake.server()) as client:
        plan_id, token = await plan_and_approve(client, "build")
        started = time.monotonic()
        done = await call(client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token})
        assert time.monotonic() - started < 2.0
        job = done["result"]["job_id"]
        waited = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 1})
        assert waited["job"]["status"] == "PENDING" and "container image" in waited["job"]["message"]
        again = await call_error(
            client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token}
        )
        assert "already submitted" in again
        fake.account.release_builds()
        assert fake.backend._jobs.submitter.join(job, 30)
        view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 10})
    assert view["job"]["status"] == "DONE" and view["output"]["state"] == "complete"
    assert sum(1 for s in fake.account.sql_log() if s.startswith("EXECUTE INFERENCE JOB SERVICE")) == 1


async def test_a_restarted_server_finds_a_job_that_was_being_built_by_its_name(fake: Fake) -> None:
    fake.account.image_build_seconds = 120
    async with Client(fake.server()) as client:
        plan_id, token = await plan_and_approve(client, "restart")
        done = await call(client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token})
    job = done["result"]["job_id"]
    later = fake.restarted()
    async with Client(fake.server(later)) as client:
        during = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
        assert during["job"]["status"] == "PENDING" and "restarted" in during["job"]["message"]
        refused = await client.call_tool("cancel_job", {"job_id": job})  # no job service to cancel yet:
        assert refused.is_error and "still being submitted" in refused.content[0].text  # said before a yes
        fake.account.release_builds()
        assert fake.backend._jobs.submitter.join(job, 30)  # the old server's submission goes on
        after = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
    assert after["job"]["status"] == "DONE"


async def test_a_submission_refused_during_the_build_becomes_a_failed_job_with_the_reason(fake: Fake) -> None:
    fake.account.deny(
        r"^EXECUTE INFERENCE JOB SERVICE", "Insufficient privileges to operate on schema 'PUBLIC'"
    )
    async with Client(fake.server()) as client:
        plan_id, token = await plan_and_approve(client, "denied")
        done = await call(client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token})
        job = done["result"]["job_id"]
        assert fake.backend._jobs.submitter.join(job, 30)
        status = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
    assert status["job"]["status"] == "FAILED"
    assert (
        "Insufficient privileges" in status["job"]["message"] and "CREATE SERVICE" in status["job"]["message"]
    )


def seed_history(fake: Fake) -> set[str]:
    """150 jobs over 20 days from two roles; returns the ids this role (ML_ENGINEER) can see."""
    acct, now = fake.account, fake.account.now()
    visible: set[str] = set()
    for i in range(150):
        mine = i % 3 != 2  # 100 of this role's own, 50 of another's, interleaved over 20 days
        created = now - timedelta(minutes=i * 20 * 24 * 60 // 150)
        model = ("ML", "PUBLIC", "CHURN_CLASSIFIER")
        job = FakeJob(("ML", "PUBLIC", f"HIST_{i:03d}"), "CPU_POOL", model, "V1", "predict", "", "", "")
        job.status, job.created_on, job.completed_on = "DONE", created, created
        job.owner = "ML_ENGINEER" if mine else "ANALYST"
        if not mine and i % 2:
            job.visible_to.add("ML_ENGINEER")  # another role's job this role was granted MONITOR on
        if created < now - timedelta(days=14) and not mine:
            job.dropped = True  # past the retention: gone from SHOW, and another role's history is not ours
        acct.jobs[job.key] = job
        if mine or (job.live and "ML_ENGINEER" in job.visible_to):
            visible.add(f"ML.PUBLIC.{job.key[2]}")
    return visible


async def test_list_jobs_finds_every_job_this_role_can_see_over_20_days_and_says_older_ones_may_exist(
    fake: Fake,
) -> None:
    expected = seed_history(fake)
    seen: list[str] = []
    notes: set[str] = set()
    async with Client(fake.server()) as client:
        args: dict[str, Any] = {"limit": 40}
        while True:
            page = await call(client, "list_jobs", args)
            seen += [j["job_id"] for j in page["items"]]
            notes.add(page.get("note") or "")
            if not page.get("next_cursor"):
                break
            args["cursor"] = page["next_cursor"]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert len([j for j in seen if int(j[-3:]) % 3 != 2]) == 100  # all of its own, 20 days back
    assert any("Older jobs may exist" in n for n in notes)
    # the documented defaults (14 days, newest 100) would have missed some of them
    from tests.fakes.jobs import history

    assert len(history(fake.account, "ML_ENGINEER", since=None, limit=None)) < 100


@pytest.mark.parametrize("status", ["SUSPENDING", "SUSPENDED", "DELETING", "SOMETHING_NEW"])
async def test_a_wait_on_a_job_that_cannot_move_returns_at_once_with_what_to_do(
    fake: Fake, status: str
) -> None:
    fake.account.job_behaviour = "pending"
    async with Client(fake.server()) as client:
        plan_id, token = await plan_and_approve(client, "stalled")
        done = await call(client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token})
        job = done["result"]["job_id"]
        assert fake.backend._jobs.submitter.join(job, 30)
        fake.account.jobs[tuple(job.split("."))].status = status  # type: ignore[index]
        started = time.monotonic()
        view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 30})
    assert time.monotonic() - started < 5
    shown = "UNKNOWN" if status == "SOMETHING_NEW" else status
    assert view["job"]["status"] == shown and view["next_step"]
    if shown == "UNKNOWN":
        assert "SOMETHING_NEW" in view["job"]["message"]


async def test_a_dropped_job_service_keeps_its_final_status_from_job_history(fake: Fake) -> None:
    async with Client(fake.server()) as client:
        plan_id, token = await plan_and_approve(client, "dropped")
        done = await call(client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token})
        job = done["result"]["job_id"]
        assert fake.backend._jobs.submitter.join(job, 30)
        fake.account.jobs[tuple(job.split("."))].dropped = True  # type: ignore[index]
        status = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
    assert status["job"]["status"] == "DONE" and "dropped" in status["job"]["message"]


async def test_names_snowflake_lists_resolved_round_trip_and_old_and_2_0_versions_show_their_functions(
    fake: Fake,
) -> None:
    async with Client(fake.server()) as client:
        models = await call(client, "list_models", {"database": "ML", "schema": EDGE})
        (name,) = [m["name"] for m in models["items"]]
        # SHOW gives the resolved text; the tool gives it back qualified and quoted, to pass back as is
        assert name == f'ML.{EDGE}."{EDGE_MODEL}"'
        versions = await call(client, "list_model_versions", {"model": name})
        listed = {v["version"]: v for v in versions["versions"]}
        assert set(listed) == {'"v1"', "V2SPEC"}
        for version in listed:
            fns = await call(client, "show_model_functions", {"model": name, "version": version})
            assert [f["name"] for f in fns["functions"]] == ["PREDICT"]
            # v1 was logged before runnable_in existed (NULL): no restriction, as snowflake-ml reads it
            assert fns["warehouse_runnable"] is True, version


async def test_files_on_an_external_stage_keep_their_paths_and_a_quoted_stage_works(fake: Fake) -> None:
    ext = fake.account.stages[("ML", EDGE, EXTERNAL_STAGE)]
    (ext.folder / "calls").mkdir(parents=True)
    (ext.folder / "calls" / "a.wav").write_bytes(b"RIFF")
    async with Client(fake.server()) as client:
        listing = await call(
            client, "list_stage_files", {"stage_location": f"@ML.{EDGE}.{EXTERNAL_STAGE}/calls/"}
        )
        stages = await call(client, "list_stages", {"database": "ML", "schema": EDGE})
    assert [f["path"] for f in listing["files"]] == [f"@ML.{EDGE}.{EXTERNAL_STAGE}/calls/a.wav"]
    assert f'ML.{EDGE}."{EDGE_STAGE}"' in stages["usable_for_output"]


async def test_results_load_into_a_table_although_their_folder_holds_the_success_marker(fake: Fake) -> None:
    async with Client(fake.server()) as client:
        plan_id, token = await plan_and_approve(client, "load")
        done = await call(client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token})
        job = done["result"]["job_id"]
        assert fake.backend._jobs.submitter.join(job, 30)
        asked = await call(client, "save_results_to_table", {"job_id": job, "table": "ML.PUBLIC.SCORED"})
        saved = await call(
            client,
            "save_results_to_table",
            {"job_id": job, "table": "ML.PUBLIC.SCORED", "confirmation_token": asked["confirmation_token"]},
        )
    assert saved["result"]["rows"] == 3000
    infer = [s for s in fake.account.sql_log() if "INFER_SCHEMA" in s]
    assert infer and all("FILES =>" in s and "WITHIN GROUP (ORDER BY ORDER_ID)" in s for s in infer)


@pytest.mark.parametrize("scope", ["base", "job"])
async def test_an_output_base_holding_other_results_is_safe_under_either_reading_of_the_save_mode(
    fake: Fake, scope: str
) -> None:
    fake.account.save_mode_scope = scope
    async with Client(fake.server()) as client:
        plan_id, token = await plan_and_approve(client, "shared")
        done = await call(client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token})
        assert fake.backend._jobs.submitter.join(done["result"]["job_id"], 30)
        second = await call(
            client, "plan_batch_job", {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/shared/"}
        )
        overwrite = await call(
            client,
            "plan_batch_job",
            {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/shared/", "mode": "overwrite"},
        )
    checks = {c["name"]: c for c in second["checks"]}
    assert not second["ok"] and checks["output_location"]["status"] == "fail"  # refused before any yes
    warned = {c["name"]: c for c in overwrite["checks"]}["output_location"]
    assert warned["status"] == "warn" and "other jobs' results" in warned["message"]
    assert "may remove everything under the output base" in overwrite["summary"]


async def test_a_long_log_says_snowflake_keeps_only_its_newest_part(fake: Fake) -> None:
    async with Client(fake.server()) as client:
        plan_id, token = await plan_and_approve(client, "logs")
        done = await call(client, "submit_batch_job", {"plan_id": plan_id, "confirmation_token": token})
        job = done["result"]["job_id"]
        assert fake.backend._jobs.submitter.join(job, 30)
        fake.account.jobs[tuple(job.split("."))].logs += [f"line {i} " + "x" * 100 for i in range(2000)]  # type: ignore[index]
        chunk = await call(client, "get_job_logs", {"job_id": job, "tail": 500})
        while chunk.get("next_offset"):
            chunk = await call(
                client, "get_job_logs", {"job_id": job, "tail": 500, "offset": chunk["next_offset"]}
            )
    assert "100 KB" in chunk["note"] and not chunk["lines"][0].startswith("Starting")


async def test_a_quoted_job_name_is_refused_in_the_plan_with_a_plain_alternative(fake: Fake) -> None:
    async with Client(fake.server()) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "job_name": '"nightly run"'})
        plain = await call(
            client,
            "plan_batch_job",
            {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/p/", "job_name": "nightly_run"},
        )
    check = {c["name"]: c for c in plan["checks"]}["job_name"]
    assert not plan["ok"] and check["status"] == "fail" and "plain name" in check["fix"]
    assert plain["ok"] and plain["output_location"] == "@ML.PUBLIC.BATCH_OUT/p/NIGHTLY_RUN/"
