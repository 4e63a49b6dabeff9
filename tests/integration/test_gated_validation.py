"""A gated request that cannot succeed is refused with its fix before anyone is asked to approve it."""

import pytest
from mcp import Client

from tests.integration.deployments import Deployment
from tests.integration.helpers import call, call_error

pytestmark = pytest.mark.anyio


async def test_impossible_pool_requests_are_refused_before_approval(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        min_over_max = await call_error(
            client,
            "create_compute_pool",
            {"name": "NEW_POOL", "instance_family": "CPU_X64_S", "min_nodes": 3, "max_nodes": 1},
        )
        existing = await call_error(
            client, "create_compute_pool", {"name": "CPU_POOL", "instance_family": "CPU_X64_S"}
        )
        missing = await call_error(client, "resume_compute_pool", {"name": "NO_SUCH_POOL"})
        running = await call_error(client, "resume_compute_pool", {"name": "CPU_POOL"})
        pools = await call(client, "list_compute_pools")
    assert "min_nodes (3) is above max_nodes (1)" in min_over_max and "Next step" in min_over_max
    assert "already exists" in existing
    assert "does not exist" in missing and "CPU_POOL" in missing
    assert "nothing to resume" in running
    assert "NEW_POOL" not in {p["name"] for p in pools["pools"]}


async def test_an_unknown_family_is_refused_locally_and_flagged_on_snowflake(deployment: Deployment) -> None:
    args = {"name": "NEW_POOL", "instance_family": "GEN_X64_G9_Z"}
    async with Client(deployment.make_server()) as client:
        if deployment.kind == "local":
            text = await call_error(client, "create_compute_pool", args)
            assert "Unknown instance family" in text and "CPU_X64_S" in text
        else:
            gated = await call(client, "create_compute_pool", args)
            assert gated["status"] == "confirmation_required"
            assert "not in snowbatch's family table" in gated["summary"]


async def test_stage_requests_that_cannot_succeed_are_refused_before_approval(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        legacy = await call_error(client, "create_stage", {"stage": "ML.PUBLIC.LEGACY_STAGE"})
        missing_db = await call_error(client, "create_stage", {"stage": "NO_SUCH_DB.PUBLIC.OUT"})
        same = await call(client, "create_stage", {"stage": "ML.PUBLIC.BATCH_OUT"})
    assert "SNOWFLAKE_FULL" in legacy and "new stage name" in legacy
    assert "NO_SUCH_DB" in missing_db
    assert same["status"] == "confirmation_required" and "nothing will change" in same["summary"]


async def test_column_handling_for_a_column_the_function_lacks_fails_the_plan(deployment: Deployment) -> None:
    from tests.integration.helpers import TABLE_PLAN

    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "column_handling": {"PHOTO": "RAW_BYTES"}})
    failing = [c for c in plan["checks"] if c["status"] == "fail"]
    assert not plan["ok"] and any("PHOTO" in c["message"] for c in failing)
