"""Warehouse runs (ledger §9): `MODEL(...)!FN(...)` calls, the CTAS `save_as_table` sends, query cancel.

snowflake-ml's `ModelVersion.run()` writes its own SQL (F43/F44); each `MODEL(db.sc.m, V)!FN(` call is
taught to DuckDB as a function that runs the packaged model and returns a struct of the outputs, the
OBJECT the SQL form returns (d:model-function), read by the wrapping SELECT with `['<output>']`.
Query statuses (F47) come from `account.query_status` (default SUCCESS).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from tests.fakes import stagefiles
from tests.fakes.connection import Column, Result, Statement
from tests.fakes.routes.common import FQN, Routes, already_exists, qualify
from tests.fakes.state import resolve, split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection

MODEL_CALL = re.compile(
    r'MODEL\((?P<model>[^,()]+),\s*(?P<version>[^()]+?)\)!(?P<method>"(?:[^"]|"")*"|\w+)\('
)
DUCK_TYPES = {
    "INT64": "BIGINT",
    "INT32": "INTEGER",
    "INT16": "SMALLINT",
    "INT8": "TINYINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "STRING": "VARCHAR",
    "BOOL": "BOOLEAN",
}


class ModelFunctions:
    """MODEL(...)!FN calls rewritten into DuckDB functions that run the packaged model."""

    def __init__(self, acct: FakeAccount) -> None:
        self.acct = acct
        self.registered: set[str] = set()

    def rewrite(self, sql: str) -> str:
        return MODEL_CALL.sub(lambda m: self._function(m["model"], m["version"], m["method"]) + "(", sql)

    def _function(self, model_text: str, version_text: str, method_text: str) -> str:
        import duckdb
        import pyarrow as pa
        from snowflake.ml.model._client.model_spec.model_spec_parser import parse_model_spec
        from snowflake.ml.model._packager.model_packager import ModelPackager

        key = tuple(split_name(model_text))
        version = self.acct.models[key].versions[resolve(version_text)]  # type: ignore[index]
        name = re.sub(r"\W", "_", f"model_{'_'.join(key)}_{version.name}_{resolve(method_text)}").lower()
        if name in self.registered:
            return name
        # snowflake-ml's own reader of either spec layout, and its SQL-name rule (F12)
        signatures = parse_model_spec(yaml.safe_load(version.model_spec)).signatures
        method = next(m for m in signatures if resolve(method_text) in (m, m.upper()))
        inputs = [(f["name"], DUCK_TYPES[f["type"]]) for f in signatures[method]["inputs"]]
        outputs = [(f["name"], DUCK_TYPES[f["type"]]) for f in signatures[method]["outputs"]]
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
        self.registered.add(name)
        return name

    def frame(self, conn: FakeConnection, sql: str) -> pd.DataFrame:
        return stagefiles.evaluate_select(self.acct, conn, self.rewrite(sql), sql)


def result_of(frame: pd.DataFrame) -> Result:
    kinds = {"i": "FIXED", "u": "FIXED", "f": "REAL", "b": "BOOLEAN"}
    columns = [
        Column(
            str(c), kinds.get(t.kind, "TEXT"), 38 if t.kind in "iu" else None, 0 if t.kind in "iu" else None
        )
        for c, t in frame.dtypes.items()
    ]
    rows = [
        tuple(v.item() if hasattr(v, "item") else v for v in row) for row in frame.itertuples(index=False)
    ]
    return Result(columns, rows)


def build(acct: FakeAccount) -> Routes:
    r = Routes()
    functions = acct.model_functions

    @r.add(
        rf"CREATE\s+(?P<replace>OR\s+REPLACE\s+)?TABLE\s+(?P<t>{FQN})\s*\(.*?\)\s+AS\s+(?P<q>SELECT\b.*)",
        "F45",
        flags=re.S | re.I,
    )
    def create_table_as(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key in acct.tables and not m["replace"]:
            raise already_exists(key[2], st.sql)
        if not acct.hold_writes:  # a held write is accepted but still running: its table is not there yet
            stagefiles.store_table(acct, key, functions.frame(conn, m["q"]))
        return Result.status(f"Table {key[2]} successfully created.")

    @r.add(r"SELECT SYSTEM\$CANCEL_QUERY\(\?\)", "F48")
    def cancel_query(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        query_id = str((st.params or ("",))[0])
        acct.query_status[query_id] = "ABORTED"
        return Result([Column("SYSTEM$CANCEL_QUERY(?)")], [(f"query [{query_id}] terminated.",)])

    @r.add(r"(?:WITH|SELECT)\b.*MODEL\(.*", "F43", "F44", "F56", flags=re.S | re.I)
    def select_with_model(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return result_of(functions.frame(conn, st.sql))

    return r
