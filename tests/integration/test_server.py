"""The server in-process over both backends (local, and the SQL-level fake Snowflake session): the tool
contract, the checkpoints and a real job."""

import pytest
from mcp import Client

from snowbatch.settings import Settings
from tests.integration.deployments import Deployment
from tests.integration.helpers import TABLE_PLAN, approve_and_submit, call, call_error, wait_done

pytestmark = pytest.mark.anyio

GATED = {
    "create_stage",
    "create_compute_pool",
    "resume_compute_pool",
    "submit_batch_job",
    "cancel_job",
    "delete_job",
    "save_results_to_table",
}


async def test_every_tool_is_annotated_and_exactly_the_mutating_ones_are_gated(
    deployment: Deployment,
) -> None:
    async with Client(deployment.make_server()) as client:
        tools = (await client.list_tools()).tools
    names = {t.name for t in tools}
    assert {"get_environment", "list_models", "plan_batch_job", "wait_for_job", "preview_results"} <= names
    for tool in tools:
        a = tool.annotations
        # readOnlyHint is always said; the other hints only where they differ from MCP's defaults
        assert a is not None and a.read_only_hint is not None, tool.name
        if a.read_only_hint:
            assert (a.destructive_hint, a.idempotent_hint) == (None, None), tool.name
        props = (tool.input_schema or {}).get("properties", {})
        if tool.name in GATED:
            assert a.read_only_hint is False and "confirmation_token" in props, tool.name
    assert names >= GATED


async def test_read_only_mode_registers_no_gated_tool(deployment: Deployment) -> None:
    async with Client(deployment.make_server(read_only=True)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        env = await call(client, "get_environment")
    assert not names & GATED
    assert "plan_batch_job" in names
    assert env["read_only"] is True and env["auto_approve"] is False


async def test_submit_without_approval_starts_nothing(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        gated = await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert gated["status"] == "confirmation_required"
    assert "CHURN_CLASSIFIER" in gated["summary"] and "CPU_POOL" in gated["summary"]
    assert "STOP" in gated["next_step"]
    assert deployment.submitted_jobs() == 0


async def test_a_token_issued_for_another_plan_is_refused(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        plan_a = await call(client, "plan_batch_job", TABLE_PLAN)
        plan_b = await call(
            client, "plan_batch_job", {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/other/"}
        )
        token_a = (await call(client, "submit_batch_job", {"plan_id": plan_a["plan_id"]}))[
            "confirmation_token"
        ]
        text = await call_error(
            client, "submit_batch_job", {"plan_id": plan_b["plan_id"], "confirmation_token": token_a}
        )
    assert "different parameters" in text and "Nothing was done" in text
    assert deployment.submitted_jobs() == 0


async def test_a_missing_column_is_reported_by_the_plan_and_blocks_submit(deployment: Deployment) -> None:
    rows = [{"TENURE_MONTHS": 3, "MONTHLY_CHARGES": 20.5, "CONTRACT_MONTHS": 1}]  # no SUPPORT_CALLS
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "input": {"kind": "rows", "rows": rows}})
        failing = [c for c in plan["checks"] if c["status"] == "fail"]
        text = await call_error(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert plan["ok"] is False
    assert failing and "SUPPORT_CALLS" in failing[0]["message"] and failing[0]["fix"]
    assert "cannot be submitted" in text
    assert deployment.submitted_jobs() == 0


async def test_a_wrong_type_is_reported_before_any_job(deployment: Deployment) -> None:
    rows = [{"TENURE_MONTHS": "three", "MONTHLY_CHARGES": 20.5, "SUPPORT_CALLS": 1, "CONTRACT_MONTHS": 1}]
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "input": {"kind": "rows", "rows": rows}})
    assert not plan["ok"]
    assert any(c["name"] == "input_types" and "TENURE_MONTHS" in c["message"] for c in plan["checks"])


async def test_auto_approve_is_off_by_default_and_submits_directly_when_on(deployment: Deployment) -> None:
    async with Client(deployment.make_server(auto_approve=True)) as client:
        env = await call(client, "get_environment")
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        result = await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert env["auto_approve"] is True and any("auto_approve" in n for n in env["notes"])
    assert result["status"] == "started"
    assert Settings().auto_approve is False


async def test_a_plan_is_submitted_once(deployment: Deployment) -> None:
    async with Client(deployment.make_server(auto_approve=True)) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
        text = await call_error(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert "already submitted" in text


async def test_the_job_output_equals_the_models_own_predictions(deployment: Deployment) -> None:
    from snowflake.ml.model._packager.model_packager import ModelPackager

    from snowbatch import samples

    plan_args = {**TABLE_PLAN, "scaling": {"num_workers": 2, "max_batch_rows": 1000}}
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", plan_args)
        assert plan["ok"], plan["checks"]
        job_id = await approve_and_submit(client, plan)
        job = await wait_done(client, job_id)
        assert job["status"] == "DONE", job
        out = await call(client, "inspect_output", {"job_id": job_id})
        preview = await call(client, "preview_results", {"job_id": job_id, "limit": 3})
    assert out["state"] == "complete" and out["success_marker"]
    assert out["rows"] in (3000, None)  # None: the Snowflake backend lists files without reading footers
    assert preview["columns"][-2:] == ["output_feature_0", "output_feature_1"]
    assert len(preview["rows"]) == 3

    results = deployment.output_frame(job["output_location"])
    results = results.sort_values("CUSTOMER_ID").reset_index(drop=True)
    packager = ModelPackager(str(deployment.model_dir("CHURN_CLASSIFIER", "V1")))
    packager.load()
    frame = samples.customers_frame(3000)
    expected = packager.model.predict_proba(frame[samples.CHURN_FEATURES])  # type: ignore[union-attr]
    assert len(results) == 3000
    assert (results["CUSTOMER_ID"] == frame["CUSTOMER_ID"]).all()
    assert abs(results["output_feature_1"].to_numpy() - expected[:, 1]).max() < 1e-9


async def test_errors_name_the_problem_and_the_next_step(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        unknown_model = await call_error(
            client, "show_model_functions", {"model": "ML.PUBLIC.CHURN_CLASIFIER"}
        )
        bad_name = await call_error(client, "list_model_versions", {"model": "ML.PUBLIC.x;drop"})
        no_function = await call_error(client, "plan_batch_job", {**TABLE_PLAN, "function": None})
    assert "Did you mean ML.PUBLIC.CHURN_CLASSIFIER" in unknown_model and "Next step" in unknown_model
    assert "not a valid Snowflake name" in bad_name and "Next step" in bad_name
    assert "4 functions" in no_function and "function=" in no_function
