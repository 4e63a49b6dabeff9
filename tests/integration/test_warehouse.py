"""run_in_warehouse over the local backend, driven through the MCP server as an assistant would.

Previews score in-process; writes are warehouse jobs (a detached runner per job), followed and
cancelled with the ordinary job tools. Predictions in the written table are compared with the
packaged model's own, loaded independently with snowflake-ml's packager.
"""

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mcp import Client

from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.integration.helpers import call, call_error, hints, wait_done

pytestmark = pytest.mark.anyio

CHURN = "ML.PUBLIC.CHURN_CLASSIFIER"
FEATURES = ["TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"]


def server(home: Path, **settings: Any) -> Any:
    return build_server(Settings(backend="local", home=home, **settings))


def read_table(home: Path, table: str) -> pd.DataFrame:
    import duckdb

    db, schema, name = table.split(".")
    con = duckdb.connect(str(home / "databases" / f"{db}.duckdb"), read_only=True)
    try:
        return con.execute(f'SELECT * FROM "{schema}"."{name}"').df()
    finally:
        con.close()


def table_exists(home: Path, table: str) -> bool:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.core.names import ObjectName

    return LocalBackend(home).tables.exists(ObjectName.parse(table))


def job_dirs(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "jobs").iterdir()) if (home / "jobs").exists() else []


def packaged_model(home: Path, model: str, version: str = "V1") -> Any:
    from snowflake.ml.model._packager.model_packager import ModelPackager

    db, schema, name = model.split(".")
    packager = ModelPackager(str(home / "models" / db / schema / name / version))
    packager.load(as_custom_model=True)
    return packager.model


async def approve(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    """The two-phase gate: confirmation_required with a token, then the same call with the token."""
    first = await call(client, "run_in_warehouse", args)
    assert first["status"] == "confirmation_required", first
    second = await call(
        client, "run_in_warehouse", {**args, "confirmation_token": first["confirmation_token"]}
    )
    assert second["status"] == "started", second
    return second


async def test_a_preview_scores_the_first_rows_without_approval_and_writes_nothing(local_home: Path) -> None:
    async with Client(server(local_home)) as client:
        out = await call(
            client,
            "preview_in_warehouse",
            {"model": CHURN, "function": "predict_proba", "table": "ML.PUBLIC.CUSTOMERS", "preview_limit": 5},
        )
    assert out["status"] == "done" and "nothing was written" in out["summary"]
    result = out["result"]
    assert result["columns"] == ["CUSTOMER_ID", *FEATURES, "output_feature_0", "output_feature_1"]
    assert result["output_columns"] == ["output_feature_0", "output_feature_1"]
    assert len(result["rows"]) == 5
    shown = pd.DataFrame(result["rows"])
    source = read_table(local_home, "ML.PUBLIC.CUSTOMERS").set_index("CUSTOMER_ID").loc[shown["CUSTOMER_ID"]]
    expected = packaged_model(local_home, CHURN).predict_proba(source[FEATURES].reset_index(drop=True))
    assert shown["output_feature_1"].round(6).tolist() == expected["output_feature_1"].round(6).tolist()
    assert job_dirs(local_home) == []


async def test_predictions_written_to_the_table_equal_the_models_own(local_home: Path) -> None:
    args = {
        "model": CHURN,
        "function": "PREDICT_PROBA",
        "output_table": "ML.PUBLIC.CHURN_SCORES",
        "query": "SELECT CUSTOMER_ID, TENURE_MONTHS, MONTHLY_CHARGES, SUPPORT_CALLS, CONTRACT_MONTHS\n"
        "FROM CUSTOMERS WHERE TENURE_MONTHS > 12 -- long-standing customers",
    }
    async with Client(server(local_home)) as client:
        gated = await call(client, "run_in_warehouse", args)
        summary = gated["summary"]
        started = await call(
            client, "run_in_warehouse", {**args, "confirmation_token": gated["confirmation_token"]}
        )
        job_id = started["result"]["job_id"]
        job = await wait_done(client, job_id)
        listed = await call(client, "list_jobs", {})
    for fact in (
        CHURN,
        "version V1",
        "PREDICT_PROBA",
        "TENURE_MONTHS > 12",
        "ML.PUBLIC.CHURN_SCORES (new)",
        "ERROR",
    ):
        assert fact in summary, fact
    assert job_id.startswith("ML.PUBLIC.WAREHOUSE_QUERY_")
    assert job["status"] == "DONE" and job["kind"] == "warehouse", job
    assert job["output_location"] == "ML.PUBLIC.CHURN_SCORES"
    assert any(j["job_id"] == job_id and j["kind"] == "warehouse" for j in listed["items"])

    written = read_table(local_home, "ML.PUBLIC.CHURN_SCORES").sort_values("CUSTOMER_ID", ignore_index=True)
    source = read_table(local_home, "ML.PUBLIC.CUSTOMERS")
    source = source[source["TENURE_MONTHS"] > 12].sort_values("CUSTOMER_ID", ignore_index=True)
    assert list(written.columns) == ["CUSTOMER_ID", *FEATURES, "output_feature_0", "output_feature_1"]
    assert written["CUSTOMER_ID"].tolist() == source["CUSTOMER_ID"].tolist()
    expected = packaged_model(local_home, CHURN).predict_proba(source[FEATURES])
    pd.testing.assert_frame_equal(
        written[["output_feature_0", "output_feature_1"]],
        expected[["output_feature_0", "output_feature_1"]],
        check_dtype=False,
    )


async def test_a_gated_write_without_approval_writes_nothing(local_home: Path) -> None:
    args = {
        "model": CHURN,
        "function": "PREDICT",
        "table": "ML.PUBLIC.CUSTOMERS",
        "output_table": "ML.PUBLIC.PREDICTIONS",
        "mode": "overwrite",
    }
    async with Client(server(local_home)) as client:
        gated = await call(client, "run_in_warehouse", args)
        other = {**args, "output_table": "ML.PUBLIC.OTHER"}
        refused = await call_error(
            client, "run_in_warehouse", {**other, "confirmation_token": gated["confirmation_token"]}
        )
    assert gated["status"] == "confirmation_required" and "STOP" in gated["next_step"]
    assert "OVERWRITE" in gated["summary"] and "ML.PUBLIC.PREDICTIONS" in gated["summary"]
    assert "different parameters" in refused and "Nothing was done" in refused
    assert not table_exists(local_home, "ML.PUBLIC.PREDICTIONS")
    assert not table_exists(local_home, "ML.PUBLIC.OTHER")
    assert job_dirs(local_home) == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_with_elicitation_only_the_write_is_asked_about(local_home: Path, mode: str) -> None:
    import mcp.types as types

    asked: list[str] = []

    async def no(ctx: Any, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="decline")

    base = {"model": CHURN, "function": "PREDICT", "table": "ML.PUBLIC.CUSTOMERS"}
    async with Client(server(local_home), mode=mode, elicitation_callback=no) as client:
        preview = await call(client, "preview_in_warehouse", {**base, "preview_limit": 1})
        assert asked == [] and len(preview["result"]["rows"]) == 1
        declined = await call_error(client, "run_in_warehouse", {**base, "output_table": "ML.PUBLIC.ASKED"})
    assert len(asked) == 1 and "ML.PUBLIC.ASKED" in asked[0] and "declined" in declined
    assert job_dirs(local_home) == [] and not table_exists(local_home, "ML.PUBLIC.ASKED")


async def test_a_query_with_a_column_mismatch_is_reported_before_running(local_home: Path) -> None:
    base = {"model": CHURN, "function": "PREDICT", "output_table": "ML.PUBLIC.OUT"}
    async with Client(server(local_home)) as client:
        missing = await call_error(
            client,
            "run_in_warehouse",
            {
                **base,
                "query": "SELECT TENURE_MONTHS, MONTHLY_CHARGES, CONTRACT_MONTHS FROM ML.PUBLIC.CUSTOMERS",
            },
        )
        wrong_type = await call_error(
            client,
            "run_in_warehouse",
            {
                **base,
                "query": "SELECT TENURE_MONTHS, MONTHLY_CHARGES, CAST(SUPPORT_CALLS AS VARCHAR) AS "
                "SUPPORT_CALLS, CONTRACT_MONTHS FROM ML.PUBLIC.CUSTOMERS",
            },
        )
        two_statements = await call_error(
            client,
            "run_in_warehouse",
            {**base, "query": "SELECT * FROM ML.PUBLIC.CUSTOMERS; DROP TABLE ML.PUBLIC.CUSTOMERS"},
        )
        not_a_select = await call_error(
            client, "run_in_warehouse", {**base, "query": "DELETE FROM ML.PUBLIC.CUSTOMERS"}
        )
    assert "SUPPORT_CALLS" in missing and "not started" in missing and "Next step" in missing
    assert "SUPPORT_CALLS is VARCHAR" in wrong_type
    assert "more than one statement" in two_statements
    assert "starts with DELETE" in not_a_select
    assert job_dirs(local_home) == [] and not table_exists(local_home, "ML.PUBLIC.OUT")
    assert len(read_table(local_home, "ML.PUBLIC.CUSTOMERS")) == 3000


async def test_a_partitioned_function_scores_whole_partitions(
    local_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import snowbatch.backends.local.warehouse as local_warehouse

    sales = log_partitioned_model(local_home)
    # Small batches, so partitions span several batches and the runner must carry them over.
    monkeypatch.setattr(local_warehouse, "BATCH_ROWS", 7)
    args = {"model": "ML.PUBLIC.STORE_TOTALS", "table": "ML.PUBLIC.SALES", "partition_column": "store_id"}
    async with Client(server(local_home)) as client:
        functions = await call(client, "show_model_functions", {"model": "ML.PUBLIC.STORE_TOTALS"})
        preview = await call(client, "preview_in_warehouse", {**args, "preview_limit": 2})
        started = await approve(client, {**args, "output_table": "ML.PUBLIC.STORE_TOTALS_OUT"})
        job = await wait_done(client, started["result"]["job_id"])
        no_column = await call_error(client, "preview_in_warehouse", {**args, "partition_column": "REGION"})
    assert functions["functions"][0]["partitioned"] is True
    assert preview["result"]["columns"] == ["STORE_ID", "TOTAL_SALES", "ROWS"]
    assert len(preview["result"]["rows"]) == 2
    assert job["status"] == "DONE", job
    written = read_table(local_home, "ML.PUBLIC.STORE_TOTALS_OUT").sort_values("STORE_ID", ignore_index=True)
    expected = sales.groupby("STORE_ID", as_index=False).agg(
        TOTAL_SALES=("SALES", "sum"), ROWS=("SALES", "size")
    )
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert "no column 'REGION'" in no_column


async def test_a_warehouse_write_is_a_job_the_job_tools_follow_and_cancel(local_home: Path) -> None:
    args = {
        "model": CHURN,
        "function": "PREDICT",
        "table": "ML.PUBLIC.CUSTOMERS",
        "output_table": "ML.PUBLIC.TO_CANCEL",
    }
    async with Client(server(local_home)) as client:
        job_id = (await approve(client, args))["result"]["job_id"]
        status = await call(client, "wait_for_job", {"job_id": job_id, "timeout_seconds": 0})
        listed = await call(client, "list_jobs", {})
        gated = await call(client, "cancel_job", {"job_id": job_id})
        cancelled = await call(
            client, "cancel_job", {"job_id": job_id, "confirmation_token": gated["confirmation_token"]}
        )
        final = await call(client, "wait_for_job", {"job_id": job_id, "timeout_seconds": 0})
    assert status["job"]["kind"] == "warehouse" and status["job"]["status"] in ("PENDING", "RUNNING")
    assert [j["job_id"] for j in listed["items"]] == [job_id]
    assert cancelled["status"] == "done"
    assert final["job"]["status"] == "CANCELLED"
    assert not table_exists(local_home, "ML.PUBLIC.TO_CANCEL")


async def test_show_model_functions_points_a_gpu_only_model_to_a_batch_job(local_home: Path) -> None:
    import yaml

    spec_file = local_home / "models" / "ML" / "PUBLIC" / "PRICE_REGRESSOR" / "V1" / "model.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    # Packaged for a GPU runtime only (a CUDA version alone adds a GPU runtime beside the CPU one).
    spec["runtimes"] = {"gpu": spec["runtimes"]["cpu"]}
    spec.setdefault("env", {})["cuda_version"] = "12.4"
    spec_file.write_text(yaml.safe_dump(spec))
    async with Client(server(local_home)) as client:
        gpu = await call(client, "show_model_functions", {"model": "ML.PUBLIC.PRICE_REGRESSOR"})
        cpu = await call(client, "show_model_functions", {"model": CHURN})
        refused = await call_error(
            client,
            "preview_in_warehouse",
            {"model": "ML.PUBLIC.PRICE_REGRESSOR", "table": "ML.PUBLIC.CUSTOMERS"},
        )
    assert gpu["warehouse_runnable"] is False and "plan_batch_job" in gpu["warehouse"]
    assert cpu["warehouse_runnable"] is True and "preview_in_warehouse" in cpu["warehouse"]
    assert "cannot run in a warehouse" in refused and "plan_batch_job" in refused


async def test_read_only_mode_offers_the_preview_and_not_the_write(local_home: Path) -> None:
    async with Client(server(local_home, read_only=True)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        preview = await call(
            client,
            "preview_in_warehouse",
            {"model": CHURN, "function": "PREDICT", "table": "ML.PUBLIC.CUSTOMERS", "preview_limit": 2},
        )
    assert "run_in_warehouse" not in tools
    tool = tools["preview_in_warehouse"]
    assert tool.annotations is not None and tool.annotations.read_only_hint is True
    assert len(preview["result"]["rows"]) == 2


async def test_the_preview_is_read_only_and_the_write_is_annotated_destructive_and_gated(
    local_home: Path,
) -> None:
    async with Client(server(local_home)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    preview, write = (
        hints(tools["preview_in_warehouse"].annotations),
        hints(tools["run_in_warehouse"].annotations),
    )
    assert preview["read_only"] is True
    assert write == {"read_only": False, "destructive": True, "idempotent": False, "open_world": True}
    props = (tools["run_in_warehouse"].input_schema or {}).get("properties", {})
    assert "confirmation_token" in props and "preview_limit" not in props
    assert "output_table" in (tools["run_in_warehouse"].input_schema or {}).get("required", [])


def log_partitioned_model(home: Path) -> pd.DataFrame:
    """A partitioned CustomModel (one output row per store) and a SALES table of 5 stores."""
    from snowflake.ml.model import custom_model

    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.core.names import Identifier, ObjectName

    class StoreTotals(custom_model.CustomModel):  # defined here so the packager pickles it by value
        @custom_model.partitioned_api
        def predict(self, df: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame(
                {
                    "STORE_ID": [int(df["STORE_ID"].iloc[0])],
                    "TOTAL_SALES": [float(df["SALES"].sum())],
                    "ROWS": [len(df)],
                }
            )

    backend = LocalBackend(home)
    sales = pd.DataFrame(
        {"STORE_ID": [(i * 7) % 5 + 1 for i in range(41)], "SALES": [float(i % 9) + 0.5 for i in range(41)]}
    )
    backend.tables.write(ObjectName.parse("ML.PUBLIC.SALES"), sales, mode="error")
    backend.registry.log_model(
        ObjectName.parse("ML.PUBLIC.STORE_TOTALS"),
        Identifier("V1"),
        StoreTotals(custom_model.ModelContext()),
        sample_input=sales.head(6),
    )
    return sales
