"""What you preview is what your pipeline gets: the SQL form (a SELECT, a dbt model, a Dynamic Table)
previewed by generate_code(preview_rows=…) returns, for the same rows, the values the batch job writes
and that ModelVersion.run() (preview_in_warehouse) returns — on the local account and on the fake
Snowflake account alike."""

from typing import Any

import pandas as pd
import pytest
from mcp import Client

from tests.integration.deployments import Deployment
from tests.integration.helpers import approve_and_submit, call, call_error, wait_done

pytestmark = pytest.mark.anyio

KEY = "CUSTOMER_ID"
ROWS = 6
CASES: dict[str, dict[str, Any]] = {
    # a classifier's probability of class 1, as one typed column
    "classifier field": {
        "model": "ML.PUBLIC.CHURN_CLASSIFIER",
        "function": "PREDICT_PROBA",
        "columns": ["TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"],
        "outputs": {"output_feature_1": "CHURN_PROBABILITY"},
    },
    # a regressor's one output
    "regressor": {
        "model": "ML.PUBLIC.PRICE_REGRESSOR",
        "function": "PREDICT",
        "columns": ["TENURE_MONTHS", "SUPPORT_CALLS", "CONTRACT_MONTHS"],
        "outputs": {"output_feature_0": "PREDICTED_CHARGES"},
    },
    # every output of a multi-output function, each its own column
    "multi-output": {
        "model": "ML.PUBLIC.CHURN_CLASSIFIER",
        "function": "PREDICT_PROBA",
        "columns": ["TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"],
        "outputs": {"output_feature_0": "P_STAY", "output_feature_1": "P_CHURN"},
    },
}


def sql_parameters(case: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "model": case["model"],
        "version": "V1",
        "function_name": case["function"],
        "columns": case["columns"],
        "outputs": [
            {"name": name, "type": "DOUBLE", "as": column} for name, column in case["outputs"].items()
        ],
        **extra,
    }


async def sql_form_preview(client: Client, template: str, parameters: dict[str, Any]) -> pd.DataFrame:
    out = await call(
        client, "generate_code", {"template": template, "parameters": parameters, "preview_rows": ROWS}
    )
    assert "MODEL(" in out["previewed_sql"] and len(out["preview"]["rows"]) == ROWS
    return pd.DataFrame(out["preview"]["rows"]).set_index(KEY)


async def run_preview(client: Client, case: dict[str, Any]) -> pd.DataFrame:
    out = await call(
        client,
        "preview_in_warehouse",
        {
            "model": case["model"],
            "function": case["function"],
            "table": "ML.PUBLIC.CUSTOMERS",
            "preview_limit": 50,
        },
    )
    return pd.DataFrame(out["result"]["rows"]).set_index(KEY)


async def job_output(client: Client, deployment: Deployment, case: dict[str, Any], name: str) -> pd.DataFrame:
    plan = await call(
        client,
        "plan_batch_job",
        {
            "model": case["model"],
            "function": case["function"],
            "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"},
            "output_stage": f"@ML.PUBLIC.BATCH_OUT/sqlform-{name}/",
            "compute_pool": "CPU_POOL",
            "include_code": False,
        },
    )
    job_id = await approve_and_submit(client, plan)
    assert (await wait_done(client, job_id, deadline_s=120))["status"] == "DONE"
    view = await call(client, "inspect_output", {"job_id": job_id})
    return deployment.output_frame(view["location"]).set_index(KEY)


@pytest.mark.parametrize("case_name", list(CASES))
async def test_the_sql_form_returns_what_the_job_and_run_return_for_the_same_rows(
    deployment: Deployment, case_name: str
) -> None:
    case = CASES[case_name]
    parameters = sql_parameters(case, input_table="ML.PUBLIC.CUSTOMERS")
    async with Client(deployment.make_server()) as client:
        previewed = await sql_form_preview(client, "sql_model_function", parameters)
        by_run = await run_preview(client, case)
        by_job = await job_output(client, deployment, case, case_name.replace(" ", "-"))
    assert list(previewed.columns[-len(case["outputs"]) :]) == list(case["outputs"].values())
    for output, column in case["outputs"].items():
        shown = previewed[column].round(6)
        assert shown.tolist() == by_job.loc[previewed.index, output].round(6).tolist()
        common = previewed.index.intersection(by_run.index)
        assert len(common) > 0
        assert shown.loc[common].tolist() == by_run.loc[common, output].round(6).tolist()


async def test_the_dbt_and_dynamic_table_forms_preview_the_same_values(deployment: Deployment) -> None:
    case = CASES["classifier field"]
    async with Client(deployment.make_server()) as client:
        plain = await sql_form_preview(
            client, "sql_model_function", sql_parameters(case, input_table="ML.PUBLIC.CUSTOMERS")
        )
        dbt = await sql_form_preview(
            client, "dbt_model", sql_parameters(case, dbt_ref="customers", input_table="ML.PUBLIC.CUSTOMERS")
        )
        dynamic = await sql_form_preview(
            client,
            "dynamic_table",
            sql_parameters(
                case,
                dynamic_table="ML.PUBLIC.CHURN_SCORES",
                input_table="ML.PUBLIC.CUSTOMERS",
                refresh_warehouse="WH",
            ),
        )
    for other in (dbt, dynamic):
        assert other["CHURN_PROBABILITY"].round(6).to_dict() == plain["CHURN_PROBABILITY"].round(6).to_dict()


async def test_without_outputs_the_column_is_the_object_of_all_outputs(deployment: Deployment) -> None:
    case = CASES["multi-output"]
    parameters = {
        k: v for k, v in sql_parameters(case, input_table="ML.PUBLIC.CUSTOMERS").items() if k != "outputs"
    }
    async with Client(deployment.make_server()) as client:
        out = await call(
            client,
            "generate_code",
            {"template": "sql_model_function", "parameters": parameters, "preview_rows": 2},
        )
    assert "OBJECT" in out["code"]
    cell = out["preview"]["rows"][0]["PREDICTION"]
    assert set(cell if isinstance(cell, dict) else __import__("json").loads(cell)) == {
        "output_feature_0",
        "output_feature_1",
    }


async def test_a_preview_of_code_that_is_not_a_sql_form_is_refused_with_the_way_forward(
    deployment: Deployment,
) -> None:
    async with Client(deployment.make_server()) as client:
        message = await call_error(
            client,
            "generate_code",
            {"template": "job_status", "parameters": {"job_id": "ML.PUBLIC.J"}, "preview_rows": 3},
        )
        dbt_without_table = await call_error(
            client,
            "generate_code",
            {
                "template": "dbt_model",
                "parameters": sql_parameters(CASES["regressor"], dbt_ref="x"),
                "preview_rows": 3,
            },
        )
    assert "SQL forms only" in message and "preview_results" in message
    assert "input_table" in dbt_without_table


async def test_which_output_is_which_is_said_from_the_model_or_marked_as_an_assumption(
    deployment: Deployment,
) -> None:
    async with Client(deployment.make_server()) as client:
        shown = await call(client, "show_model_functions", {"model": "ML.PUBLIC.CHURN_CLASSIFIER"})
    meaning = {f["name"]: f.get("meaning") for f in shown["functions"]}
    assert meaning["PREDICT"] is None  # one output, nothing to explain
    if deployment.kind == "local":  # the pickled estimator is at hand: its classes_ name each column
        assert meaning["PREDICT_PROBA"].startswith("output_feature_0 = P('0'), output_feature_1 = P('1')")
    else:  # Snowflake keeps no labels with the model: the order is said to be an assumption
        assert "ASSUMED" in meaning["PREDICT_PROBA"] and "classes_" in meaning["PREDICT_PROBA"]
