"""Incremental scoring: `only_new: {key, against}` scores only the rows whose key is not yet in the results
table. The plan counts the new rows; the job's output equals a full run restricted to those keys; the
person's code reads the same rows; nothing new means nothing to run. On the local account and the fake
Snowflake account alike."""

from typing import Any

import pandas as pd
import pytest
from mcp import Client

from tests.integration.helpers import TABLE_PLAN, approve_and_submit, call, wait_done

pytestmark = pytest.mark.anyio

RESULTS = "ML.PUBLIC.CHURN_SCORES"
ONLY_NEW = {
    "kind": "table",
    "table": "ML.PUBLIC.CUSTOMERS",
    "only_new": {"key": "CUSTOMER_ID", "against": RESULTS},
}


async def run(client: Client, args: dict[str, Any], folder: str) -> tuple[dict[str, Any], str]:
    plan = await call(
        client, "plan_batch_job", {**TABLE_PLAN, **args, "output_stage": f"@ML.PUBLIC.BATCH_OUT/{folder}/"}
    )
    assert plan["ok"], [c for c in plan["checks"] if c["status"] != "pass"]
    job_id = await approve_and_submit(client, plan)
    assert (await wait_done(client, job_id, deadline_s=120))["status"] == "DONE"
    return plan, job_id


async def save(client: Client, job_id: str, mode: str) -> None:
    args = {"job_id": job_id, "table": RESULTS, "mode": mode}
    asked = await call(client, "save_results_to_table", args)
    await call(client, "save_results_to_table", {**args, "confirmation_token": asked["confirmation_token"]})


async def test_only_new_rows_are_scored_and_equal_a_full_run_restricted_to_them(deployment: Any) -> None:
    first_rows = "SELECT * FROM ML.PUBLIC.CUSTOMERS WHERE CUSTOMER_ID <= 1000"
    async with Client(deployment.make_server()) as client:
        _, first = await run(client, {"input": {"kind": "table", "query": first_rows}}, "day1")
        await save(client, first, "error")
        plan, second = await run(client, {"input": ONLY_NEW, "include_code": True}, "day2")
        full, _ = await run(client, {"input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"}}, "full")
        await save(client, second, "append")
        nothing_new = await call(client, "plan_batch_job", {**TABLE_PLAN, "input": ONLY_NEW})

    assert f"only CUSTOMER_ID not yet in {RESULTS} (2,000 new rows)" in plan["summary"]
    assert (
        "NOT EXISTS" in plan["code"] and '"CHURN_SCORES"' in plan["code"]
    )  # the person's code reads the same rows
    new = deployment.output_frame(plan["output_location"]).sort_values("CUSTOMER_ID", ignore_index=True)
    whole = deployment.output_frame(full["output_location"]).sort_values("CUSTOMER_ID", ignore_index=True)
    assert sorted(new["CUSTOMER_ID"]) == list(range(1001, 3001))
    expected = whole[whole["CUSTOMER_ID"] > 1000].reset_index(drop=True)
    pd.testing.assert_frame_equal(new[expected.columns], expected, check_dtype=False)

    assert not nothing_new["ok"]  # every key is scored now: nothing to run, and it says so
    (count,) = [c for c in nothing_new["checks"] if c["name"] == "row_count"]
    assert (
        count["message"]
        == f"No new rows: every CUSTOMER_ID of the input is already in {RESULTS}; nothing to score."
    )


@pytest.mark.parametrize(
    ("only_new", "says"),
    [
        (
            {"key": "CUSTOMER_ID", "against": "ML.PUBLIC.NO_SUCH_SCORES"},
            "for a first run, leave only_new out",
        ),
        ({"key": "NO_SUCH_KEY", "against": "ML.PUBLIC.CUSTOMERS"}, "the input has no column NO_SUCH_KEY"),
    ],
)
async def test_a_missing_results_table_or_key_blocks_the_plan_with_the_fix(
    deployment: Any, only_new: dict[str, str], says: str
) -> None:
    inp = {**ONLY_NEW, "only_new": only_new}
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "input": inp})
    assert not plan["ok"] and plan["confirmation_token"] is None
    (failed,) = [c for c in plan["checks"] if c["name"] == "input"]
    assert says in failed["message"]
    assert deployment.submitted_jobs() == 0
