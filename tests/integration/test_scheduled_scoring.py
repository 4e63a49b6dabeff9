"""Scoring new rows on a schedule: a plan with only_new and a schedule is checked like any plan, approved
once, and creates a task (Snowflake: the procedure and task its code shows, started; local: stored and
shown, with no clock). Each run — the procedure there, `snowbatch local execute-task` here — scores the
keys not yet in the results table and appends them, so a second run finds nothing new."""

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from snowbatch.core.schedule import script_statements
from tests.integration.helpers import TABLE_PLAN, approve_and_submit, call, call_error, wait_done

pytestmark = pytest.mark.anyio

RESULTS = "ML.PUBLIC.CHURN_SCORES"
NEW_CUSTOMERS = {
    "kind": "table",
    "table": "ML.PUBLIC.CUSTOMERS",
    "only_new": {"key": "CUSTOMER_ID", "against": RESULTS},
}
NIGHTLY = {
    **TABLE_PLAN,
    "input": NEW_CUSTOMERS,
    "output_stage": "@ML.PUBLIC.BATCH_OUT/nightly/",
    "job_name": "CHURN_NIGHTLY",
    "schedule": "0 2 * * *",
    "include_code": True,
}


async def first_scores(client: Client) -> None:
    """The results table a schedule appends to: the first 1,000 customers, scored and saved once."""
    first = {"kind": "table", "query": "SELECT * FROM ML.PUBLIC.CUSTOMERS WHERE CUSTOMER_ID <= 1000"}
    plan = await call(
        client, "plan_batch_job", {**TABLE_PLAN, "input": first, "output_stage": "@ML.PUBLIC.BATCH_OUT/day1/"}
    )
    job_id = await approve_and_submit(client, plan)
    assert (await wait_done(client, job_id, deadline_s=120))["status"] == "DONE"
    args = {"job_id": job_id, "table": RESULTS, "mode": "error"}
    asked = await call(client, "save_results_to_table", args)
    await call(client, "save_results_to_table", {**args, "confirmation_token": asked["confirmation_token"]})


async def schedule(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    plan = await call(client, "plan_batch_job", NIGHTLY)
    assert plan["ok"], [c for c in plan["checks"] if c["status"] != "pass"]
    made = await call(
        client,
        "submit_batch_job",
        {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]},
    )
    return plan, made


async def test_one_yes_creates_the_task_the_summary_describes(deployment: Any) -> None:
    async with Client(deployment.make_server()) as client:
        await first_scores(client)
        plan, made = await schedule(client)
        again = await call_error(
            client,
            "submit_batch_job",
            {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]},
        )
        replan = await call(client, "plan_batch_job", NIGHTLY)

    summary = plan["summary"]
    assert "SCHEDULE creates task ML.PUBLIC.CHURN_NIGHTLY" in summary
    assert "every day at 02:00 UTC (cron '0 2 * * *')" in summary
    assert f"appends them to\n           {RESULTS}" in summary and "each run, at today's count" in summary
    runs_now = {
        "local": "`snowbatch local execute-task` runs it",
        "snowflake": "EXECUTE TASK runs it at once",
    }
    assert runs_now[deployment.kind] in summary  # how to run it at once, on this backend
    assert "(2,000 new rows" in summary  # what the first run would score, counted now
    assert made["status"] == "done" and made["result"]["schedule"]["task"] == "ML.PUBLIC.CHURN_NIGHTLY"
    assert "already created task ML.PUBLIC.CHURN_NIGHTLY" in again  # one plan, one task
    assert deployment.submitted_jobs() == 1  # the first scores only: creating a schedule runs no job
    (check,) = [c for c in replan["checks"] if c["name"] == "schedule"]
    assert check["status"] == "fail" and "already exists" in check["message"]


async def test_snowflake_runs_the_statements_its_code_shows_and_starts_the_task(tmp_path: Path) -> None:
    from tests.integration.deployments import fake_snowflake_deployment

    deployment = fake_snowflake_deployment(tmp_path)
    acct = deployment.fake_account
    async with Client(deployment.make_server()) as client:
        await first_scores(client)
        plan, created = await schedule(client)

    made = ("CREATE PROCEDURE", "CREATE TASK", "ALTER TASK")
    sent = [st.sql for st in acct.statements if st.sql.startswith(made)]  # as sent, spaces and all
    assert sent == script_statements(plan["code"])  # as pasted: the person's script is what ran
    task = acct.tasks[("ML", "PUBLIC", "CHURN_NIGHTLY")]
    assert task == {
        "schedule": "USING CRON 0 2 * * * UTC",
        "calls": "ML.PUBLIC.CHURN_NIGHTLY_RUN",
        "warehouse": "ML_WH",  # the session's: none was asked for
        "state": "started",
    }
    assert acct.procedures[("ML", "PUBLIC", "CHURN_NIGHTLY_RUN")]["ml"] == "2.6.0"  # newest in the channel
    assert created["result"]["schedule"]["run_now"] == 'EXECUTE TASK "ML"."PUBLIC"."CHURN_NIGHTLY"'


async def test_a_failing_create_task_leaves_no_procedure_behind(tmp_path: Path) -> None:
    from tests.integration.deployments import fake_snowflake_deployment

    deployment = fake_snowflake_deployment(tmp_path)
    acct = deployment.fake_account
    async with Client(deployment.make_server()) as client:
        await first_scores(client)
        plan = await call(client, "plan_batch_job", NIGHTLY)
        acct.fail_create_task = True
        text = await call_error(
            client,
            "submit_batch_job",
            {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]},
        )
    assert "does not exist" in text
    assert acct.tasks == {} and acct.procedures == {}


async def test_the_local_backend_stores_the_schedule_and_runs_it_on_demand(local_home: Path) -> None:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.core.names import Identifier, ObjectName
    from snowbatch.scheduled_run import run_scheduled
    from tests.integration.deployments import local_deployment

    deployment = local_deployment(local_home)
    async with Client(deployment.make_server()) as client:
        await first_scores(client)
        _, made = await schedule(client)

    assert made["result"]["schedule"]["state"].startswith("stored: the local backend has no scheduler")
    assert (
        made["result"]["next_step"]
        == "To run it once now: snowbatch local execute-task ML.PUBLIC.CHURN_NIGHTLY."
    )
    backend = LocalBackend(local_home)
    spec = backend.schedules.get(ObjectName.parse("ML.PUBLIC.CHURN_NIGHTLY"))
    said = run_scheduled(backend, spec)
    assert said.endswith(f"2,000 new rows scored, 2,000 appended to {RESULTS}")
    with backend.tables.connect(Identifier("ML")) as con:
        keys = con.execute('SELECT CUSTOMER_ID FROM "ML"."PUBLIC"."CHURN_SCORES"').fetchall()
    assert sorted(k for (k,) in keys) == list(range(1, 3001))  # every customer once
    assert run_scheduled(backend, spec) == "No new rows: nothing scored."


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"}}, "A schedule needs only_new"),
        ({"schedule": "0 25 * * *"}, "Cron hour '25' is not in 0-23."),
        ({"schedule": "0 2 * * * Mars/Olympus"}, "not an IANA name"),
    ],
)
async def test_a_schedule_that_could_not_be_made_blocks_the_plan(
    deployment: Any, change: dict[str, Any], says: str
) -> None:
    async with Client(deployment.make_server()) as client:
        await first_scores(client)
        plan = await call(client, "plan_batch_job", {**NIGHTLY, **change})
    assert not plan["ok"] and plan["confirmation_token"] is None
    (check,) = [c for c in plan["checks"] if c["name"] == "schedule"]
    assert says in check["message"] and check["fix"]


async def test_a_release_the_package_channel_lacks_blocks_the_plan_and_names_the_ones_it_has(
    tmp_path: Path,
) -> None:
    from tests.integration.deployments import fake_snowflake_deployment

    deployment = fake_snowflake_deployment(tmp_path)
    async with Client(deployment.make_server()) as client:
        await first_scores(client)
        plan = await call(client, "plan_batch_job", {**NIGHTLY, "snowml_version": "2.3.0"})
    (check,) = [c for c in plan["checks"] if c["name"] == "schedule"]
    assert check["status"] == "fail"
    assert check["message"] == (
        "snowflake-ml-python 2.3.0 is not in Snowflake's package channel "
        "(newest there: 2.6.0, 2.5.1, 1.28.0)."
    )
