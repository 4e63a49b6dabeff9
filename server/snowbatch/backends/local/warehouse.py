"""Warehouse runs on the local account: `ModelVersion.run()` through DuckDB and the packaged model.

Reads go through a private in-memory DuckDB with every database file attached READ_ONLY and file
access switched off, so a person's query can read tables and nothing else (no writes, no local
files). A preview scores the first rows in-process. A write is a local job (`kind="warehouse"`,
id DB.SCHEMA.WAREHOUSE_QUERY_<hex>) kept in the jobs/ folder like batch jobs: the input is
snapshotted to Parquet at submit (the server never holds a database file open for long), then a
detached `warehouse_runner` process streams it through the model in batches and writes the table in
one DuckDB transaction — a failed or cancelled job leaves the table as it was.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snowbatch.backends.local.account import LocalAccount
from snowbatch.backends.local.jobstate import JobFiles, now_iso
from snowbatch.backends.local.packaged import load_packaged
from snowbatch.backends.local.processes import start_detached
from snowbatch.backends.local.registry import LocalRegistry
from snowbatch.backends.local.tables import LocalTables, snowflake_type
from snowbatch.core.errors import BackendFailure, Conflict, InvalidRequest
from snowbatch.core.names import Identifier, ObjectName, SchemaName
from snowbatch.core.output import preview_rows
from snowbatch.core.records import ColumnInfo, RelationInfo, ResultPreview
from snowbatch.core.warehouse import (
    WarehouseRunSpec,
    check_query,
    new_local_job_name,
    query_as_relation,
    short_query,
)

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

BATCH_ROWS = 50_000  # rows per batch the runner scores (DuckDB record batches)
PREVIEW_MAX_ROWS = 100_000  # rows read for a preview of a partitioned function (whole partitions)
LOCK_RETRY_SECONDS = 10.0


def _path_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflict" in text or "already attached" in text


def duckdb_single_select(query: str) -> None:
    """DuckDB's own parser agrees that the checked query is one SELECT (defence in depth)."""
    import duckdb

    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise InvalidRequest(
            f"The query does not parse: {str(exc).splitlines()[0]}",
            "Fix the SQL (the local backend runs it in DuckDB; most Snowflake SELECT syntax "
            "works) and call again.",
        ) from None
    if len(statements) != 1 or statements[0].type.name != "SELECT":
        raise InvalidRequest(
            "The query must be exactly one SELECT statement.",
            "Give one SELECT (or WITH … SELECT), or pass table= instead.",
        )


@contextmanager
def readonly_connection(
    account: LocalAccount, default: SchemaName | None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the account's databases attached READ_ONLY, no file access."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        for database in account.databases():
            path = account.database_file(database)
            deadline = time.monotonic() + LOCK_RETRY_SECONDS
            while True:
                try:
                    con.execute(f"ATTACH {_path_literal(path)} AS {database.sql} (READ_ONLY)")
                    break
                except duckdb.Error as exc:  # a writer holds the file for a moment: wait for it
                    if not _is_lock_conflict(exc) or time.monotonic() > deadline:
                        raise BackendFailure(
                            f"Database {database} is busy ({str(exc).splitlines()[0]}).",
                            "Try again in a moment.",
                        ) from None
                    time.sleep(0.1)
        if default is not None and default.database in account.databases():
            con.execute(f"USE {default.database.sql}.{default.schema.sql}")
        con.execute("SET enable_external_access = false")
        yield con
    finally:
        con.close()


def _query_error(exc: BaseException) -> InvalidRequest:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InvalidRequest(
        f"The input query failed in the local account: {first}",
        "Check table and column names (unqualified names resolve in ML.PUBLIC); "
        "describe_input shows a table's columns.",
    )


# --- scoring (shared by previews in the server and the runner process) --------------------------------
@lru_cache(maxsize=8)
def _load_model_cached(model_path: str, stamp: float) -> Any:
    return load_packaged(model_path)


def load_model(model_path: str | Path) -> Any:
    spec_file = Path(model_path) / "model.yaml"
    return _load_model_cached(str(model_path), spec_file.stat().st_mtime if spec_file.exists() else 0.0)


def _model_inputs(frame: pd.DataFrame, input_names: list[str]) -> pd.DataFrame:
    """The signature's inputs in order; a column matches exactly, else ignoring case (as Snowflake)."""
    renamed: dict[str, str] = {}
    for name in input_names:
        if name not in frame.columns:
            match = next((c for c in frame.columns if str(c).upper() == name.upper()), None)
            if match is not None:
                renamed[match] = name
    return frame.rename(columns=renamed)[input_names]


def _call(model: Any, spec: WarehouseRunSpec, frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    result = getattr(model, spec.target_method)(_model_inputs(frame, spec.input_names))
    return result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)


def score(model: Any, spec: WarehouseRunSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """What `ModelVersion.run()` returns for a Snowpark input: input columns + outputs, or for a
    partitioned method its outputs only, computed per partition."""
    import pandas as pd

    if spec.partitioned:
        if spec.partition_column is None or frame.empty:
            return _call(model, spec, frame)
        parts = [
            _call(model, spec, group)
            for _, group in frame.groupby(spec.partition_column, dropna=False, sort=False)
        ]
        return pd.concat(parts, ignore_index=True) if parts else _call(model, spec, frame)
    result = _call(model, spec, frame)
    if len(result) != len(frame):  # a table function that returns other rows than it was given
        return result.reset_index(drop=True)
    result.index = frame.index
    overlap = [c for c in result.columns if c in frame.columns]
    return pd.concat([frame.drop(columns=overlap), result], axis=1).reset_index(drop=True)


# --- the backend part -----------------------------------------------------------------------------------
class LocalWarehouse:
    def __init__(
        self, account: LocalAccount, tables: LocalTables, registry: LocalRegistry, default_schema: SchemaName
    ) -> None:
        self.account = account
        self.tables = tables
        self.registry = registry
        self.default_schema = default_schema

    def _connection(self) -> Any:
        return readonly_connection(self.account, self.default_schema)

    def describe_query(self, query: str, *, count_rows: bool = False) -> RelationInfo:
        import duckdb

        checked = check_query(query)
        duckdb_single_select(checked)
        count = None
        with self._connection() as con:
            try:
                rows = con.execute(f"DESCRIBE SELECT * FROM {query_as_relation(checked)}").fetchall()
                if count_rows:
                    (count,) = con.execute(
                        f"SELECT COUNT(*) FROM {query_as_relation(checked)}"
                    ).fetchone() or (0,)
            except duckdb.Error as exc:
                raise _query_error(exc) from None
        return RelationInfo(
            source=f"query: {short_query(checked)}",
            columns=[
                ColumnInfo(name=str(r[0]), sql_type=snowflake_type(str(r[1])), nullable=r[2] == "YES")
                for r in rows
            ],
            row_count=int(count) if count is not None else None,
        )

    def _model_path(self, spec: WarehouseRunSpec) -> Path:
        return self.registry.version_path(
            ObjectName.parse(spec.model, what="model"), Identifier.parse(spec.version)
        )

    def _select(self, spec: WarehouseRunSpec, *, limit: int | None = None) -> str:
        if spec.input_query is not None:
            duckdb_single_select(spec.input_query)
        source = f"SELECT * FROM {spec.input_sql()}"
        if spec.partitioned and spec.partition_column:
            column = Identifier(spec.partition_column).sql
            if limit is None:  # whole partitions arrive together: the runner carries one over batches
                return f"{source} ORDER BY {column} NULLS LAST"
            return (
                f"WITH src AS ({source}), keys AS (SELECT DISTINCT {column} AS k FROM src "
                f"ORDER BY 1 NULLS LAST LIMIT {int(limit)}) SELECT src.* FROM src JOIN keys "
                f"ON src.{column} IS NOT DISTINCT FROM keys.k LIMIT {PREVIEW_MAX_ROWS}"
            )
        return source if limit is None else f"{source} LIMIT {int(limit)}"

    def preview(self, spec: WarehouseRunSpec, *, limit: int, max_cell_chars: int) -> ResultPreview:
        import duckdb

        model = load_model(self._model_path(spec))
        with self._connection() as con:
            try:
                frame = con.execute(self._select(spec, limit=limit)).df()
            except duckdb.Error as exc:
                raise _query_error(exc) from None
        try:
            scored = score(model, spec, frame).head(limit)
        except Exception as exc:
            raise InvalidRequest(
                f"{spec.function_name} failed on the input: {type(exc).__name__}: {exc}"[:800],
                "Check the input's values and types against the signature (show_model_functions).",
            ) from None
        rows, cut = preview_rows(scored.to_dict(orient="records"), max_cell_chars, value=_plain)
        return ResultPreview(
            location=f"{spec.model} {spec.version} {spec.function_name} on {spec.describe_input()}",
            columns=[str(c) for c in scored.columns],
            rows=rows,
            total_rows=None,
            truncated_cells=cut,
        )

    # --- write jobs ---------------------------------------------------------------------------
    def preview_sql_form(self, sql: str, *, limit: int, max_cell_chars: int) -> ResultPreview:
        """The rows the pasted SQL form returns (backends/local/sql_forms.py evaluates the model calls)."""
        import duckdb

        from snowbatch.backends.local.sql_forms import evaluate

        with self._connection() as con:
            try:
                frame = evaluate(con, sql, registry=self.registry, default=self.default_schema, limit=limit)
            except duckdb.Error as exc:
                raise _query_error(exc) from None
        rows, cut = preview_rows(frame.to_dict(orient="records"), max_cell_chars, value=_plain)
        return ResultPreview(
            location="the SQL form",
            columns=[str(c) for c in frame.columns],
            rows=rows,
            total_rows=None,
            truncated_cells=cut,
        )

    def _snapshot(self, spec: WarehouseRunSpec, target: Path) -> int:
        import duckdb
        import pyarrow.parquet as pq

        target.parent.mkdir(parents=True, exist_ok=True)
        rows = 0
        with self._connection() as con:
            try:
                reader = con.sql(self._select(spec)).to_arrow_reader(BATCH_ROWS)
            except duckdb.Error as exc:
                raise _query_error(exc) from None
            with pq.ParquetWriter(target, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch, row_group_size=BATCH_ROWS)
                    rows += batch.num_rows
        return rows

    def submit(self, spec: WarehouseRunSpec) -> str:
        """Snapshot the input, record the job and start its runner; returns the job id."""
        if spec.output_table is None:
            raise InvalidRequest(
                "A warehouse write needs output_table.", "Pass output_table=DB.SCHEMA.TABLE."
            )
        table = ObjectName.parse(spec.output_table, what="table").qualified(
            self.default_schema.database, self.default_schema.schema
        )
        if spec.mode == "error" and self.tables.exists(table):
            raise Conflict(
                f"Table {table} already exists and the mode is ERROR.",
                "Choose another output_table, or mode='overwrite' (replace) or 'append'.",
            )
        name = new_local_job_name()
        assert table.schema is not None and table.database is not None
        job_id = str(ObjectName(Identifier(name), table.schema, table.database))
        files = JobFiles(self.account.job_dir(name))
        files.dir.mkdir(parents=True)
        try:
            model_path = self._model_path(spec)
            rows = self._snapshot(spec, files.input_file)
            record = spec.model_copy(update={"output_table": str(table)}).model_dump(mode="json")
            files.write_job(
                {
                    "job_id": job_id,
                    "job_name": name,
                    "kind": "warehouse",
                    "spec": {**record, "compute_pool": None},
                    "warehouse_spec": record,
                    "home": str(self.account.home),
                    "model_path": str(model_path),
                    "input_file": str(files.input_file),
                    "output_dir": str(files.dir / "output"),
                    "output_location": str(table),
                    "row_count": rows,
                    "batch_rows": BATCH_ROWS,
                    "created_on": now_iso(),
                }
            )
            files.update_state(status="PENDING", rows_total=rows, rows_done=0)
            self._start_runner(files)
        except BaseException:
            shutil.rmtree(files.dir, ignore_errors=True)
            raise
        return job_id

    @staticmethod
    def _start_runner(files: JobFiles) -> None:
        start_detached(files, "snowbatch.backends.local.warehouse_runner")


def _plain(value: Any) -> Any:
    """numpy scalars and pandas NA as plain Python values for JSON."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # arrays and lists: not a single NA
        pass
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    if hasattr(value, "tolist"):
        return value.tolist()
    return value
