"""Every plan and warehouse-write summary says what the run will take, on what evidence — a timed sample
of the input, or the last finished job of the same version on the same pool — and says "unknown" when
there is none. On the local backend the sample is a real run; on the fake Snowflake account it is
ModelVersion.run() in the session's warehouse (an X-Small standard warehouse: 1 credit an hour)."""

import re
from typing import Any

import pytest
from mcp import Client

from tests.integration.helpers import TABLE_PLAN, approve_and_submit, call, wait_done

pytestmark = pytest.mark.anyio


def cost_line(summary: str) -> str:
    (line,) = [line for line in summary.splitlines() if line.strip().startswith("cost ")]
    return line.strip()


def seconds_taken(line: str) -> list[float]:
    return [float(s) for s in re.findall(r"rows ([0-9.]+) s", line)]


async def test_a_table_plan_is_estimated_from_a_timed_sample_of_its_input(deployment: Any) -> None:
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
    line = cost_line(plan["summary"])
    assert "basis: timed sample: 100 rows" in line and "1,000 rows" in line
    assert all(s > 0 for s in seconds_taken(line)) and len(seconds_taken(line)) == 2
    assert "node-hours of" in line
    if deployment.kind == "local":
        assert "local: not billed" in line
    else:
        assert "run() in the warehouse" in line and "Service Consumption Table" in line
        assert "image build" in line


async def test_after_a_finished_job_the_next_plan_is_estimated_from_that_job(deployment: Any) -> None:
    async with Client(deployment.make_server()) as client:
        first = await call(
            client, "plan_batch_job", {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/a/"}
        )
        job_id = await approve_and_submit(client, first)
        assert (await wait_done(client, job_id))["status"] == "DONE"
        second = await call(
            client, "plan_batch_job", {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/b/"}
        )
        other_function = await call(
            client,
            "plan_batch_job",
            {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/c/", "function": "PREDICT"},
        )
    line = cost_line(second["summary"])
    assert re.search(rf"basis: job {job_id}: 3,000 rows in (<1|[0-9.]+) s on 1 node\(s\)", line), line
    assert "image build" not in line  # that job's time from creation to completion includes its start
    assert "timed sample" in cost_line(other_function["summary"])  # another function: that job says nothing


async def test_files_without_a_finished_job_are_estimated_as_unknown(media_server: Any) -> None:
    request = {
        "model": "ML.PUBLIC.FILE_INSPECTOR",
        "input": {"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/"},
        "output_stage": "@ML.PUBLIC.BATCH_OUT/files-cost/",
        "compute_pool": "CPU_POOL",
        "column_handling": {"FILE": "RAW_BYTES"},
    }
    async with Client(media_server) as client:
        plan = await call(client, "plan_batch_job", request)
    assert plan["ok"], plan["checks"]
    line = cost_line(plan["summary"])
    assert line.startswith("cost     unknown: no finished job") and "trial" in line


async def test_a_warehouse_write_summary_carries_its_estimate_and_asks_once(deployment: Any) -> None:
    args = {
        "model": "ML.PUBLIC.CHURN_CLASSIFIER",
        "function": "PREDICT",
        "table": "ML.PUBLIC.CUSTOMERS",
        "output_table": "ML.PUBLIC.COSTED",
    }
    async with Client(deployment.make_server()) as client:
        asked = await call(client, "run_in_warehouse", args)
        again = await call(client, "run_in_warehouse", args)
    assert asked["status"] == "confirmation_required"
    line = cost_line(asked["summary"])
    assert "basis: timed sample" in line
    assert asked["summary"] == again["summary"]  # measured once: the same question while it can be approved
    if deployment.kind == "snowflake":
        assert "hours of a X-Small warehouse ≈" in line and "1 credits/hour" in line
    else:
        assert "local: not billed" in line


async def test_a_blocked_plan_spends_nothing_on_an_estimate(tmp_path: Any) -> None:
    """A plan that cannot be submitted gets no cost line, and no timed sample runs for it: on Snowflake a
    sample is ModelVersion.run() in the session's warehouse, which bills."""
    from tests.integration.deployments import fake_snowflake_deployment

    deployment = fake_snowflake_deployment(tmp_path)
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "compute_pool": "NO_SUCH_POOL"})
    assert not plan["ok"] and "cost " not in plan["summary"]
    assert not [s for s in deployment.fake_account.sql_log() if "MODEL(" in s.upper()]
