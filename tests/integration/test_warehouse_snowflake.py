"""run_in_warehouse over the Snowflake backend on the SQL-level fake account.

Real Snowpark and snowflake-ml run on top of the fake: `ModelVersion.run()` writes its own SQL
(`MODEL(ML.PUBLIC.CHURN_CLASSIFIER,V1)!PREDICT_PROBA(...)`), Snowpark describes and runs it, and
`save_as_table(block=False)` sends the CREATE TABLE … AS SELECT asynchronously (ledger §9; the fake runs
each `MODEL(...)!F(` call as a DuckDB function over the packaged model).
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mcp import Client

from snowbatch.core.names import ObjectName
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.fakes import make_fake_snowflake_backend
from tests.integration.helpers import call, call_error

pytestmark = pytest.mark.anyio

CHURN = "ML.PUBLIC.CHURN_CLASSIFIER"
FEATURES = ["TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"]


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Any]:
    yield make_fake_snowflake_backend(tmp_path)


def server(backend: Any, tmp_path: Path) -> Any:
    return build_server(Settings(backend="snowflake", home=tmp_path / "home"), backend=backend)


def table_frame(backend: Any, table: str) -> pd.DataFrame:
    db, schema, name = table.split(".")
    return backend.fake_account.db.execute(f'SELECT * FROM "{db}"."{schema}"."{name}"').df()


def model_predictions(backend: Any, method: str, frame: pd.DataFrame) -> pd.DataFrame:
    from snowflake.ml.model._packager.model_packager import ModelPackager

    packager = ModelPackager(
        str(backend.fake_account.models[("ML", "PUBLIC", "CHURN_CLASSIFIER")].versions["V1"].model_dir)
    )
    packager.load(as_custom_model=True)
    return getattr(packager.model, method)(frame[FEATURES])


async def test_a_preview_runs_model_version_run_and_collects_a_few_rows(backend: Any, tmp_path: Path) -> None:
    async with Client(server(backend, tmp_path)) as client:
        out = await call(
            client,
            "preview_in_warehouse",
            {"model": CHURN, "function": "predict_proba", "table": "ML.PUBLIC.CUSTOMERS", "preview_limit": 3},
        )
    log = " ".join(backend.fake_account.sql_log())
    assert "MODEL(ML.PUBLIC.CHURN_CLASSIFIER,V1)!PREDICT_PROBA(TENURE_MONTHS, MONTHLY_CHARGES" in log
    assert 'SELECT * FROM "ML"."PUBLIC"."CUSTOMERS"' in log and ") LIMIT 3" in log
    assert not [s for s in backend.fake_account.statements if s.kind == "async"]
    rows = pd.DataFrame(out["result"]["rows"])
    assert out["result"]["columns"][-2:] == ["output_feature_0", "output_feature_1"]
    source = table_frame(backend, "ML.PUBLIC.CUSTOMERS").set_index("CUSTOMER_ID").loc[rows["CUSTOMER_ID"]]
    expected = model_predictions(backend, "predict_proba", source.reset_index())
    assert rows["output_feature_1"].round(6).tolist() == expected["output_feature_1"].round(6).tolist()


async def test_a_write_is_save_as_table_without_blocking_and_holds_the_models_predictions(
    backend: Any, tmp_path: Path
) -> None:
    args = {
        "model": CHURN,
        "function": "PREDICT",
        "output_table": "ML.PUBLIC.CHURN_FLAGS",
        "query": "SELECT CUSTOMER_ID, TENURE_MONTHS, MONTHLY_CHARGES, SUPPORT_CALLS, CONTRACT_MONTHS "
        "FROM ML.PUBLIC.CUSTOMERS WHERE CONTRACT_MONTHS = 1",
    }
    async with Client(server(backend, tmp_path)) as client:
        gated = await call(client, "run_in_warehouse", args)
        assert not [s for s in backend.fake_account.statements if s.kind == "async"]  # nothing ran yet
        started = await call(
            client, "run_in_warehouse", {**args, "confirmation_token": gated["confirmation_token"]}
        )
    assert gated["status"] == "confirmation_required" and "ML.PUBLIC.CHURN_FLAGS (new)" in gated["summary"]
    (ctas,) = [s for s in backend.fake_account.statements if s.kind == "async"]
    assert ctas.sql.lstrip().startswith('CREATE    TABLE  "ML"."PUBLIC"."CHURN_FLAGS"')
    assert "WHERE CONTRACT_MONTHS = 1\n)" in ctas.sql  # the person's query, wrapped as a subquery
    job = started["result"]
    assert re.fullmatch(r"ML\.PUBLIC\.WAREHOUSE_QUERY_[0-9A-F]{32}", job["job_id"])
    written = table_frame(backend, "ML.PUBLIC.CHURN_FLAGS").sort_values("CUSTOMER_ID", ignore_index=True)
    source = table_frame(backend, "ML.PUBLIC.CUSTOMERS")
    source = source[source["CONTRACT_MONTHS"] == 1].sort_values("CUSTOMER_ID", ignore_index=True)
    assert written["CUSTOMER_ID"].tolist() == source["CUSTOMER_ID"].tolist()
    expected = model_predictions(backend, "predict", source)
    assert written["output_feature_0"].tolist() == expected["output_feature_0"].tolist()


async def test_a_gated_write_without_approval_writes_nothing(backend: Any, tmp_path: Path) -> None:
    async with Client(server(backend, tmp_path)) as client:
        gated = await call(
            client,
            "run_in_warehouse",
            {"model": CHURN, "function": "PREDICT", "table": "ML.PUBLIC.CUSTOMERS", "output_table": "OUT_T"},
        )
    assert gated["status"] == "confirmation_required" and "ML.PUBLIC.OUT_T" in gated["summary"]
    log = backend.fake_account.sql_log()
    assert not [s for s in log if s.startswith(("CREATE", "INSERT"))]
    assert ("ML", "PUBLIC", "OUT_T") not in backend.fake_account.tables


async def test_a_query_with_a_column_mismatch_is_reported_before_running(
    backend: Any, tmp_path: Path
) -> None:
    async with Client(server(backend, tmp_path)) as client:
        text = await call_error(
            client,
            "run_in_warehouse",
            {
                "model": CHURN,
                "function": "PREDICT",
                "output_table": "ML.PUBLIC.OUT_T",
                "query": "SELECT TENURE_MONTHS, SUPPORT_CALLS FROM ML.PUBLIC.CUSTOMERS",
            },
        )
    assert "MONTHLY_CHARGES" in text and "CONTRACT_MONTHS" in text and "not started" in text
    statements = backend.fake_account.statements
    assert [s.kind for s in statements if "SUPPORT_CALLS FROM ML.PUBLIC.CUSTOMERS" in s.sql] == ["describe"]
    assert not any("MODEL(" in s.sql for s in statements)


def test_the_query_job_has_a_status_and_can_be_cancelled(backend: Any) -> None:
    from snowbatch.core.warehouse import WarehouseRunSpec

    acct = backend.fake_account
    acct.hold_writes = True
    spec = WarehouseRunSpec(
        model=CHURN,
        version="V1",
        function_name="PREDICT",
        target_method="predict",
        input_table="ML.PUBLIC.CUSTOMERS",
        input_names=FEATURES,
        output_names=["output_feature_0"],
        output_table="ML.PUBLIC.HELD",
        mode="overwrite",
    )
    started = backend.submit_warehouse_job(spec)
    job_id = ObjectName.parse(started.job_id)
    query_id = backend._warehouse._query_id(job_id)[0]
    acct.query_status[query_id] = "RUNNING"
    # The backend's own job methods route warehouse query ids, as the job tools call them.
    running = backend.get_job(job_id)
    cancelled = backend.cancel_job(job_id)
    listed = backend.list_jobs(limit=5, cursor=None).items
    assert (
        started.kind == "warehouse"
        and started.job_id == f"ML.PUBLIC.WAREHOUSE_QUERY_{query_id.replace('-', '').upper()}"
    )
    assert running.status == "RUNNING" and running.output_location == "ML.PUBLIC.HELD"
    assert cancelled.status == "CANCELLED"
    assert "SELECT SYSTEM$CANCEL_QUERY(?)" in backend.fake_account.sql_log()
    assert [j.job_id for j in listed if j.kind == "warehouse"] == [started.job_id]
    assert ("ML", "PUBLIC", "HELD") not in backend.fake_account.tables
