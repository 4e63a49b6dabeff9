"""run_in_warehouse over the Snowflake backend on the SQL-level fake account.

Real Snowpark and snowflake-ml run on top of the fake: `ModelVersion.run()` writes its own SQL
(`MODEL(ML.PUBLIC.CHURN_CLASSIFIER,V1)!PREDICT_PROBA(...)`), Snowpark describes and runs it, and
`save_as_table(block=False)` sends the CREATE TABLE … AS SELECT asynchronously. The fake account does
not know model functions, so `WarehouseSupport` below teaches it: each `MODEL(...)!F(` call becomes a
DuckDB function that runs the packaged model, and the statements of a warehouse run get routes.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from mcp import Client

from snowbatch.core.names import ObjectName
from snowbatch.core.signatures import sql_function_name
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.fakes import make_fake_snowflake_backend
from tests.fakes.connection import Column, Result, Statement, fake_error
from tests.fakes.state import resolve, split_name
from tests.integration.helpers import call, call_error

pytestmark = pytest.mark.anyio

CHURN = "ML.PUBLIC.CHURN_CLASSIFIER"
FEATURES = ["TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"]
_MODEL_CALL = re.compile(
    r'MODEL\((?P<model>[^,()]+),\s*(?P<version>[^()]+?)\)!(?P<method>"(?:[^"]|"")*"|\w+)\('
)
_DUCK = {
    "INT64": "BIGINT",
    "INT32": "INTEGER",
    "INT16": "SMALLINT",
    "INT8": "TINYINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "STRING": "VARCHAR",
    "BOOL": "BOOLEAN",
}
_NAME = r'(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)'
_FQN = rf"{_NAME}(?:\.{_NAME}){{0,2}}"


class WarehouseSupport:
    """Model functions and the statements of a warehouse run, taught to one fake account."""

    def __init__(self, acct: Any) -> None:
        self.acct = acct
        self.functions: set[str] = set()
        self.query_status: dict[str, str] = {}  # query id -> connector status name (default SUCCESS)
        self.hold_writes = False  # True: a CTAS is accepted but its table does not appear (still running)
        describe = acct._describe_query
        acct._describe_query = lambda conn, st: describe(conn, self._rewritten(st))
        acct.routes[:0] = [
            (re.compile(p, re.S | re.I), h)
            for p, h in [
                (
                    rf"CREATE\s+(?P<replace>OR\s+REPLACE\s+)?TABLE\s+(?P<t>{_FQN})\s*\(.*?\)\s+AS\s+(?P<q>SELECT\b.*)",
                    self._create_table_as,
                ),
                (r"SELECT SYSTEM\$CANCEL_QUERY\(\?\)", self._cancel),
                (r"(?:WITH|SELECT)\b.*MODEL\(.*", self._select),
            ]
        ]

    def connect_status(self, connection: Any) -> None:
        """Query status answers from `query_status` for this connection (the fake's own says SUCCESS)."""
        connection.get_query_status = lambda qid: self.query_status.get(qid, "SUCCESS")
        connection.get_query_status_throw_if_error = lambda qid: self.query_status.get(qid, "SUCCESS")

    # --- model functions as DuckDB functions -----------------------------------------------------------
    def _rewritten(self, st: Statement) -> Statement:
        return Statement(self.rewrite(st.sql), st.params, st.statement_params, st.kind)

    def rewrite(self, sql: str) -> str:
        return _MODEL_CALL.sub(lambda m: self._function(m["model"], m["version"], m["method"]) + "(", sql)

    def _function(self, model_text: str, version_text: str, method_text: str) -> str:
        import duckdb
        import pyarrow as pa
        from snowflake.ml.model._packager.model_packager import ModelPackager

        key = tuple(split_name(model_text))
        version = self.acct.models[key].versions[resolve(version_text)]
        name = re.sub(r"\W", "_", f"model_{'_'.join(key)}_{version.name}_{resolve(method_text)}").lower()
        if name in self.functions:
            return name
        spec = yaml.safe_load(version.model_spec)
        method = next(
            m for m in spec["signatures"] if sql_function_name(m) in (method_text, resolve(method_text))
        )
        inputs = [(f["name"], _DUCK[f["type"]]) for f in spec["signatures"][method]["inputs"]]
        outputs = [(f["name"], _DUCK[f["type"]]) for f in spec["signatures"][method]["outputs"]]
        packager = ModelPackager(str(version.model_dir))
        packager.load(as_custom_model=True)
        model = packager.model

        def run(*arrays: Any) -> Any:
            frame = pd.DataFrame({n: a.to_pandas() for (n, _), a in zip(inputs, arrays, strict=True)})
            result = getattr(model, method)(frame)
            return pa.StructArray.from_arrays(
                [pa.array(result[n]) for n, _ in outputs], names=[n for n, _ in outputs]
            )

        args = ", ".join(f"a{i}" for i in range(len(inputs)))
        scope: dict[str, Any] = {"run": run}
        exec(f"def f({args}):\n    return run({args})", scope)  # DuckDB needs the exact arity
        self.acct.db.create_function(
            name, scope["f"], [t for _, t in inputs], duckdb.struct_type(dict(outputs)), type="arrow"
        )
        self.functions.add(name)
        return name

    # --- routes -----------------------------------------------------------------------------------
    def _frame(self, conn: Any, sql: str) -> pd.DataFrame:
        from tests.fakes.stagefiles import evaluate_select

        return evaluate_select(self.acct, conn, self.rewrite(sql), sql)

    def _select(self, conn: Any, st: Statement, m: re.Match[str]) -> Result:
        frame = self._frame(conn, st.sql)
        kinds = {"i": "FIXED", "u": "FIXED", "f": "REAL", "b": "BOOLEAN"}
        columns = [
            Column(
                str(c),
                kinds.get(t.kind, "TEXT"),
                38 if t.kind in "iu" else None,
                0 if t.kind in "iu" else None,
            )
            for c, t in frame.dtypes.items()
        ]
        rows = [
            tuple(v.item() if hasattr(v, "item") else v for v in row) for row in frame.itertuples(index=False)
        ]
        return Result(columns, rows)

    def _create_table_as(self, conn: Any, st: Statement, m: re.Match[str]) -> Result:
        from tests.fakes.routes import qualify
        from tests.fakes.stagefiles import store_table

        key = qualify(conn, m["t"])
        if key in self.acct.tables and not m["replace"]:
            raise fake_error(
                f"SQL compilation error:\nObject '{key[2]}' already exists.", 2002, "42710", st.sql
            )
        if not self.hold_writes:
            store_table(self.acct, key, self._frame(conn, m["q"]))
        return Result.status(f"Table {key[2]} successfully created.")

    def _cancel(self, conn: Any, st: Statement, m: re.Match[str]) -> Result:
        query_id = str((st.params or ("",))[0])
        self.query_status[query_id] = "ABORTED"
        return Result([Column("SYSTEM$CANCEL_QUERY(?)")], [(f"query [{query_id}] terminated.",)])


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Any]:
    backend = make_fake_snowflake_backend(tmp_path)
    backend.warehouse_support = WarehouseSupport(backend.fake_account)  # type: ignore[attr-defined]
    yield backend


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
            "run_in_warehouse",
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

    support = backend.warehouse_support
    support.hold_writes = True
    support.connect_status(backend.sessions.get().connection)
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
    support.query_status[query_id] = "RUNNING"
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
