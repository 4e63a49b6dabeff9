"""Warehouse runs on Snowflake: `ModelVersion.run()` on a Snowpark DataFrame of a table or a query.

A preview is `mv.run(df).limit(n).collect()`. A write is `mv.run(df).write.save_as_table(..., block=False)`:
one CREATE TABLE … AS SELECT (or INSERT for append), atomic in Snowflake, started asynchronously. Its
query id is the job: the job id is DB.SCHEMA.WAREHOUSE_QUERY_<query id as 32 hex digits> in the output
table's schema, status comes from the connector's query status, cancel is SYSTEM$CANCEL_QUERY. The
facts Snowflake does not keep with a query (model, version, function, table) go in a small ledger.

A query's columns come from `session.sql(q).schema`, which describes the query without running it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from snowbatch.backends.snowflake.ledger import JobLedger
from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.backends.snowflake.tables import COUNT_TIMEOUT_SECONDS
from snowbatch.core.errors import BackendFailure, Conflict, InvalidRequest, NotFound
from snowbatch.core.joblist import Entry, seconds_since, sort_key
from snowbatch.core.names import Identifier, ObjectName, SchemaName
from snowbatch.core.output import preview_rows
from snowbatch.core.records import (
    TERMINAL_STATUSES,
    ColumnInfo,
    JobInfo,
    JobStatus,
    LogChunk,
    RelationInfo,
    ResultPreview,
)
from snowbatch.core.warehouse import (
    WarehouseRunSpec,
    check_query,
    job_name_for_query,
    query_as_relation,
    query_id_for_job_name,
    short_query,
)

RUN_GRANT = "USAGE on the model (and its database and schema) and SELECT on the input."
WRITE_GRANT = (
    RUN_GRANT + " CREATE TABLE on the output schema (INSERT on the table to append, OWNERSHIP to replace)."
)
SAVE_MODES = {"error": "errorifexists", "overwrite": "overwrite", "append": "append"}

NO_DATA_PATIENCE_SECONDS = 600
# Connector QueryStatus names (F47) → snowbatch job statuses.
_QUERY_STATUS: dict[str, JobStatus] = {
    "SUCCESS": "DONE",
    "RUNNING": "RUNNING",
    "RESUMING_WAREHOUSE": "RUNNING",
    "RESTARTED": "RUNNING",
    "QUEUED": "PENDING",
    "QUEUED_REPARING_WAREHOUSE": "PENDING",
    "BLOCKED": "PENDING",
    "NO_DATA": "PENDING",
    "ABORTING": "CANCELLING",
    "ABORTED": "CANCELLED",
    "FAILED_WITH_ERROR": "FAILED",
    "FAILED_WITH_INCIDENT": "FAILED",
    "DISCONNECTED": "FAILED",
}


class WarehouseLedger(JobLedger):
    """The ledger of warehouse query jobs (they are not in Snowflake's job history)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def column_name(snowpark_name: str) -> str:
    """A Snowpark column name as Snowflake stores it: `"abc"` → abc, `ABC` → ABC."""
    return Identifier.parse(snowpark_name).name if snowpark_name.startswith('"') else snowpark_name


def sql_type(datatype: Any) -> str:
    """A Snowpark DataType in the SQL terms `core.signatures.sql_type_fits` understands."""
    kind = type(datatype).__name__
    if kind == "DecimalType":
        return f"NUMBER({getattr(datatype, 'precision', 38)},{getattr(datatype, 'scale', 0)})"
    return {
        "LongType": "NUMBER(38,0)",
        "IntegerType": "NUMBER(38,0)",
        "ShortType": "NUMBER(38,0)",
        "ByteType": "NUMBER(38,0)",
        "DoubleType": "FLOAT",
        "FloatType": "FLOAT",
        "StringType": "VARCHAR",
        "BooleanType": "BOOLEAN",
        "BinaryType": "BINARY",
        "TimestampType": "TIMESTAMP_NTZ",
        "DateType": "DATE",
        "TimeType": "TIME",
        "VariantType": "VARIANT",
        "ArrayType": "ARRAY",
        "MapType": "OBJECT",
        "StructType": "OBJECT",
        "VectorType": "VECTOR",
    }.get(kind, kind.removesuffix("Type").upper())


class SnowflakeWarehouse:
    def __init__(self, sessions: SessionProvider, ledger: WarehouseLedger) -> None:
        self._s = sessions
        self._ledger = ledger
        self._registries: dict[tuple[str, str, int], Any] = {}

    # --- input ------------------------------------------------------------------------------------
    def describe_query(self, query: str, *, count_rows: bool = False) -> RelationInfo:
        checked = check_query(query)

        def go(session: Any) -> Any:
            return session.sql(f"SELECT * FROM {query_as_relation(checked)}").schema

        schema = self._s.run(go, context="Describing the input query", grant_hint=RUN_GRANT)
        columns = [
            ColumnInfo(name=column_name(f.name), sql_type=sql_type(f.datatype), nullable=bool(f.nullable))
            for f in schema.fields
        ]
        count = None
        if count_rows:  # F59: as a table's count (F14), bounded; a count that fails is left unknown
            try:
                (row,) = self._s.rows(
                    f"SELECT COUNT(*) FROM {query_as_relation(checked)}",
                    context="Counting the input query's rows",
                    statement_params={"STATEMENT_TIMEOUT_IN_SECONDS": COUNT_TIMEOUT_SECONDS},
                )
                count = int(next(iter(row.values())))
            except BackendFailure:
                count = None
        return RelationInfo(source=f"query: {short_query(checked)}", columns=columns, row_count=count)

    def _input(self, session: Any, spec: WarehouseRunSpec) -> Any:
        # session.sql, not session.table(): the name is already quoted by the value objects.
        return session.sql(f"SELECT * FROM {spec.input_sql()}")

    # --- the model ----------------------------------------------------------------------------------
    def _model_version(self, session: Any, spec: WarehouseRunSpec) -> Any:
        from snowflake.ml.registry import Registry

        model = ObjectName.parse(spec.model, what="model")
        assert model.database is not None and model.schema is not None
        if "'" in model.name.name:
            # Registry.get_model sends SHOW MODELS LIKE '<resolved name>' without escaping it (snowflake-ml
            # 2.6 model/_client/sql/model.py show_models): a quote would break that statement.
            raise InvalidRequest(
                f"snowflake-ml cannot look up model {model} for a warehouse run: its name holds a quote ('), "
                "which Registry.get_model puts unescaped into a SHOW MODELS LIKE literal.",
                "Log the model under a name without a single quote, or call it in SQL with the "
                "sql_model_function template (generate_code).",
            )
        key = (model.database.name, model.schema.name, self._s.generation)
        if key not in self._registries:  # construction costs 3 statements; keep one per schema and session
            self._registries[key] = Registry(
                session, database_name=model.database.sql, schema_name=model.schema.sql
            )
        try:
            return self._registries[key].get_model(model.name.sql).version(Identifier.parse(spec.version).sql)
        except ValueError as exc:
            raise NotFound(
                f"{exc}", "Call list_models / list_model_versions to pick an existing one."
            ) from None

    def _scored(self, session: Any, spec: WarehouseRunSpec) -> Any:
        mv = self._model_version(session, spec)
        partition = Identifier(spec.partition_column).sql if spec.partition_column else None
        try:
            return mv.run(
                self._input(session, spec), function_name=spec.function_name, partition_column=partition
            )
        except ValueError as exc:  # client-side checks: not runnable in a warehouse, unknown function, ...
            raise InvalidRequest(
                f"snowflake-ml refused the run: {exc}",
                "show_model_functions says whether this version runs in a warehouse; "
                "otherwise plan a batch job (plan_batch_job).",
            ) from None

    # --- preview ------------------------------------------------------------------------------------
    def preview(self, spec: WarehouseRunSpec, *, limit: int, max_cell_chars: int) -> ResultPreview:
        def go(session: Any) -> tuple[list[str], list[dict[str, Any]]]:
            frame = self._scored(session, spec)
            rows = frame.limit(int(limit)).collect()
            return [column_name(c) for c in frame.columns], [r.as_dict() for r in rows]

        columns, raw = self._s.run(
            go, context=f"Running {spec.function_name} of {spec.model} in the warehouse", grant_hint=RUN_GRANT
        )
        rows, cut = preview_rows(raw, max_cell_chars, key=column_name)
        return ResultPreview(
            location=f"{spec.model} {spec.version} {spec.function_name} on {spec.describe_input()}",
            columns=columns,
            rows=rows,
            total_rows=None,
            truncated_cells=cut,
        )

    def preview_sql_form(self, sql: str, *, limit: int, max_cell_chars: int) -> ResultPreview:
        """The rendered SQL form as the person pastes it, its rows capped by Snowpark's limit (F56)."""

        def go(session: Any) -> tuple[list[str], list[dict[str, Any]]]:
            frame = session.sql(sql).limit(int(limit))
            return [column_name(c) for c in frame.columns], [r.as_dict() for r in frame.collect()]

        columns, raw = self._s.run(go, context="Running the SQL form in the warehouse", grant_hint=RUN_GRANT)
        rows, cut = preview_rows(raw, max_cell_chars, key=column_name)
        return ResultPreview(
            location="the SQL form", columns=columns, rows=rows, total_rows=None, truncated_cells=cut
        )

    # --- write jobs ---------------------------------------------------------------------------------
    def _table_exists(self, table: ObjectName) -> bool:
        try:
            self._s.rows(f"DESCRIBE TABLE {table.sql}", context=f"Checking whether {table} exists")
        except NotFound:
            return False
        return True

    def submit(self, spec: WarehouseRunSpec, table: ObjectName) -> JobInfo:
        """Start the write; `table` is the qualified output table."""
        assert table.database is not None and table.schema is not None
        if spec.mode == "error" and self._table_exists(table):
            raise Conflict(
                f"Table {table} already exists and the mode is ERROR.",
                "Choose another output_table, or mode='overwrite' (replace) or 'append'.",
            )

        def go(session: Any) -> Any:
            frame = self._scored(session, spec)
            return frame.write.save_as_table(
                [table.database.sql, table.schema.sql, table.name.sql],  # type: ignore[union-attr]
                mode=SAVE_MODES[spec.mode],
                block=False,
            )

        handle = self._s.run(go, context=f"Starting the warehouse write to {table}", grant_hint=WRITE_GRANT)
        job_id = str(
            ObjectName(Identifier(job_name_for_query(str(handle.query_id))), table.schema, table.database)
        )
        facts = {
            "kind": "warehouse",
            "query_id": str(handle.query_id),
            "model": spec.model,
            "version": spec.version,
            "function": spec.function_name,
            "output_location": str(table),
            "mode": spec.mode,
            "created_on": _now(),
        }
        self._ledger.put(job_id, facts)
        return self.get_job(ObjectName.parse(job_id, what="job"))

    def _query_id(self, job_id: ObjectName) -> tuple[str, dict[str, Any]]:
        facts = self._ledger.get(str(job_id))
        query_id = facts.get("query_id") or query_id_for_job_name(job_id.name.name)
        if query_id is None or facts.get("deleted"):
            raise NotFound(f"No warehouse job {job_id}.", "Call list_jobs to see recent jobs.")
        return str(query_id), facts

    def get_job(self, job_id: ObjectName) -> JobInfo:
        query_id, facts = self._query_id(job_id)

        def go(session: Any) -> tuple[str, str | None]:
            connection = session.connection
            try:
                raw = connection.get_query_status(query_id)
            except KeyError as exc:  # a status the connector's QueryStatus enum lacks (F47, D18)
                return "UNKNOWN", f"Snowflake reported query status {exc}, which the connector does not know"
            name = str(getattr(raw, "name", raw)).upper()
            message = None
            if _QUERY_STATUS.get(name) == "FAILED":
                try:
                    connection.get_query_status_throw_if_error(query_id)
                except Exception as exc:  # the query's own error text is the message
                    message = str(getattr(exc, "msg", None) or exc).splitlines()[0][:500]
            return name, message

        name, message = self._s.run(go, context=f"Reading the status of warehouse job {job_id}")
        status: JobStatus = _QUERY_STATUS.get(name, "UNKNOWN")
        if (
            name == "NO_DATA"
            and seconds_since(facts.get("created_on"), unknown=0.0) > NO_DATA_PATIENCE_SECONDS
        ):
            # NO_DATA: the monitoring endpoint lists no such query; the connector counts it as still
            # running, which never ends for a query that is gone (F47, D18).
            status, message = (
                "UNKNOWN",
                (f"Snowflake no longer reports query {query_id}; check it in Snowsight → Query History."),
            )
        if status in TERMINAL_STATUSES and not facts.get("completed_on"):
            facts = {**facts, "completed_on": _now()}
            self._ledger.put(str(job_id), {"completed_on": facts["completed_on"]})
        if message is None:
            message = {
                "DONE": f"{facts.get('output_location')} written ({facts.get('mode', 'error')})",
                "CANCELLED": "cancelled; the table was not changed",
                "PENDING": f"query {query_id} is queued",
            }.get(status)
        return JobInfo(
            job_id=str(job_id),
            kind="warehouse",
            status=status,
            model=facts.get("model"),
            version=facts.get("version"),
            function=facts.get("function"),
            output_location=facts.get("output_location"),
            created_on=facts.get("created_on"),
            started_on=facts.get("created_on"),
            completed_on=facts.get("completed_on"),
            message=message,
        )

    def cancel_job(self, job_id: ObjectName) -> JobInfo:
        query_id, _ = self._query_id(job_id)
        info = self.get_job(job_id)
        if info.is_terminal:
            raise InvalidRequest(
                f"Warehouse job {job_id} is already {info.status}; there is nothing to cancel.",
                "Call wait_for_job for its outcome.",
            )
        self._s.rows(
            "SELECT SYSTEM$CANCEL_QUERY(?)",
            [query_id],
            context=f"Cancelling warehouse job {job_id}",
            grant_hint="OPERATE on the warehouse, or the role that started the query.",
        )
        self._ledger.put(str(job_id), {"cancel_requested": True})
        return self.get_job(job_id)

    def job_logs(self, job_id: ObjectName, *, tail: int, offset: int) -> LogChunk:
        """A warehouse query has no container logs: its query id, status and message stand in for them."""
        info = self.get_job(job_id)
        query_id, _ = self._query_id(job_id)
        lines = [f"warehouse query {query_id}: {info.status}"]
        if info.message:
            lines.append(info.message)
        lines.append(
            "Query details: Snowsight → Query History, or "
            "SELECT * FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY()) for this query id."
        )
        return LogChunk(job_id=str(job_id), lines=lines[-tail:] if offset == 0 else [], next_offset=None)

    def delete_job(self, job_id: ObjectName) -> JobInfo:
        info = self.get_job(job_id)
        if not info.is_terminal:
            raise InvalidRequest(f"Warehouse job {job_id} is {info.status}.", "Cancel it first (cancel_job).")
        self._ledger.put(str(job_id), {"deleted": True})
        return info.model_copy(
            update={"status": "DELETED", "message": "job record removed; the table is kept"}
        )

    def entries(self, schema: SchemaName) -> list[Entry[ObjectName]]:
        """The warehouse jobs snowbatch started in a schema (from its ledger), as list entries; their
        status is read only for the jobs on the page shown."""
        prefix = str(ObjectName(Identifier("X"), schema.schema, schema.database))[:-1]
        return [
            Entry(sort_key(facts.get("created_on")), job_id, ObjectName.parse(job_id, what="job"))
            for job_id, facts in self._ledger.all().items()
            if facts.get("kind") == "warehouse" and not facts.get("deleted") and job_id.startswith(prefix)
        ]
