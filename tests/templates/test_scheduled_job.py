"""The scheduled_job template: a script of three statements — the procedure (its Python between $$), the
task on its cron, the RESUME — that keeps every name exactly as given, pins the release it was written
for, and refuses what would break its own quoting."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from snowbatch.core.errors import InvalidRequest
from snowbatch.core.schedule import script_statements
from snowbatch.templates import render

BASE: dict[str, Any] = {
    "model": '"ml"."scores"."churn model"',
    "version": '"v 1"',
    "function_name": "predict_proba",
    "input_query": 'SELECT * FROM "ml"."scores"."new customers" WHERE NOTE <> \'it\'\'s $5\'',
    "output_stage": "@ML.PUBLIC.BATCH_OUT/nightly/",
    "compute_pool": "CPU_POOL",
    "output_table": '"ml"."scores"."churn scores"',
    "job_name": "ML.PUBLIC.CHURN_NIGHTLY",
    "task": "ML.PUBLIC.CHURN_NIGHTLY",
    "procedure": "ML.PUBLIC.CHURN_NIGHTLY_RUN",
    "cron": "30 1 * * MON-FRI",
    "time_zone": "America/New_York",
    "task_warehouse": "ML_WH",
}


def body_of(code: str) -> ast.Module:
    return ast.parse(code.split("$$\n", 1)[1].split("\n$$", 1)[0])


def constants(module: ast.Module) -> dict[str, Any]:
    return {
        node.targets[0].id: node.value.value
        for node in module.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }


@pytest.mark.parametrize("release", ["1.28.0", "2.6.0"])
def test_three_statements_the_procedure_the_task_on_its_cron_and_its_resume(release: str) -> None:
    code = render("scheduled_job", BASE, release).code
    procedure, task, resume = script_statements(code)
    assert procedure.startswith("CREATE PROCEDURE ML.PUBLIC.CHURN_NIGHTLY_RUN()")
    assert f"'snowflake-ml-python=={release}'" in procedure and "EXECUTE AS CALLER" in procedure
    assert "SCHEDULE = 'USING CRON 30 1 * * MON-FRI America/New_York'" in task
    assert task.endswith("CALL ML.PUBLIC.CHURN_NIGHTLY_RUN()") and "WAREHOUSE = ML_WH" in task
    assert resume == "ALTER TASK ML.PUBLIC.CHURN_NIGHTLY RESUME"


def test_names_and_the_query_reach_the_procedure_exactly() -> None:
    module = body_of(render("scheduled_job", BASE, "2.6.0").code)
    values = constants(module)
    assert values["NEW_ROWS"] == BASE["input_query"]  # quotes, '' and $ as written
    assert values["RESULTS_TABLE"] == '"ml"."scores"."churn scores"'
    registry = next(
        n for n in ast.walk(module) if isinstance(n, ast.Call) and ast.unparse(n.func) == "Registry"
    )
    assert {k.arg: ast.literal_eval(k.value) for k in registry.keywords} == {
        "database_name": '"ml"',
        "schema_name": '"scores"',
    }


def test_each_run_writes_its_own_job_and_folder_and_appends_only_a_complete_output() -> None:
    text = render("scheduled_job", BASE, "2.6.0").code
    assert 'JOB_NAME = "ML.PUBLIC.CHURN_NIGHTLY" + "_" + stamp' in text
    wait, success, copy = (text.index(s) for s in ("job.wait()", ".*_SUCCESS", "COPY INTO {RESULTS_TABLE}"))
    assert wait < success < copy  # waits, then requires _SUCCESS, then appends
    assert "MATCH_BY_COLUMN_NAME = CASE_SENSITIVE" in text


def test_a_run_loads_the_parts_of_its_own_folder_and_never_the_input_staged_in_a_subfolder() -> None:
    import re

    pattern = re.compile(constants(body_of(render("scheduled_job", BASE, "2.6.0").code))["RESULT_PARTS"])
    run = "nightly/CHURN_NIGHTLY_20261202020000/"
    for seen in ("data_0_0_0.parquet", f"{run}data_0_0_0.parquet", f"batch_out/{run}data_0_0_0.parquet"):
        assert pattern.fullmatch(seen), seen  # however much of the path COPY matches against
    for stray in (
        f"{run}_temporary/data_0.parquet",
        f"{run}_SUCCESS",
        "nightly/_snowflake_temporary/x/a.parquet",
    ):
        assert not pattern.fullmatch(stray), stray


def test_a_query_holding_the_body_delimiter_is_refused_in_our_words() -> None:
    with pytest.raises(InvalidRequest) as caught:
        render("scheduled_job", {**BASE, "input_query": "SELECT $$a$$ AS A"}, "2.6.0")
    assert "'$$'" in caught.value.problem and "single-quoted" in caught.value.next_step


def test_the_warehouse_task_inserts_exactly_the_rows_whose_key_is_new(local_home: Any) -> None:
    """The INSERT's SELECT, evaluated by the local account's SQL form engine: with CUSTOMER_ID 1-1000
    already in the results table, it scores 1001 onward and nothing else."""
    import pandas as pd

    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.core.names import ObjectName

    backend = LocalBackend(local_home)
    scored = ObjectName.parse("ML.PUBLIC.CHURN_SCORES")
    backend.tables.write(scored, pd.DataFrame({"CUSTOMER_ID": range(1, 1001)}), mode="error")
    code = render(
        "warehouse_task",
        {
            "model": "ML.PUBLIC.CHURN_CLASSIFIER",
            "version": "V1",
            "function_name": "PREDICT_PROBA",
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "columns": ["TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"],
            "new_key": "CUSTOMER_ID",
            "output_table": str(scored),
            "task": "ML.PUBLIC.CHURN_WH_NIGHTLY",
            "cron": "0 2 * * *",
            "task_warehouse": "ML_WH",
            "outputs": [{"name": "output_feature_1", "type": "DOUBLE", "as": "CHURN_PROBABILITY"}],
        },
        "2.6.0",
    ).code
    (task, _resume) = script_statements(code)
    select = task.split("INSERT INTO ML.PUBLIC.CHURN_SCORES\n", 1)[1]
    rows = backend.preview_sql_form(select, limit=5000, max_cell_chars=100).rows
    keys = sorted(int(r["CUSTOMER_ID"]) for r in rows)
    total = backend.describe_table(ObjectName.parse("ML.PUBLIC.CUSTOMERS"), count_rows=True).row_count
    assert int(total or 0) > 1000 and keys == list(range(1001, int(total or 0) + 1))
    assert all(0.0 <= float(r["CHURN_PROBABILITY"]) <= 1.0 for r in rows)
