"""`SnowflakeBackend`: the Backend protocol over one lazily created Snowpark Session.

Nothing Snowflake-, pandas- or pyarrow-related is imported here at module import time; the parts
import what they need when first called, so the server starts as fast as an empty one.
"""

from __future__ import annotations

from typing import Any, Literal

from snowbatch.backends.snowflake.joblist import JobLister
from snowbatch.backends.snowflake.jobs import Jobs
from snowbatch.backends.snowflake.ledger import JobLedger
from snowbatch.backends.snowflake.output import Output
from snowbatch.backends.snowflake.pools import Pools
from snowbatch.backends.snowflake.registry import RegistryReader
from snowbatch.backends.snowflake.schedules import Schedules
from snowbatch.backends.snowflake.session import SessionFactory, SessionProvider
from snowbatch.backends.snowflake.stages import Stages
from snowbatch.backends.snowflake.tables import Tables
from snowbatch.backends.snowflake.warehouse import SnowflakeWarehouse, WarehouseLedger
from snowbatch.core.errors import InvalidRequest
from snowbatch.core.joblist import Entry, page_newest_first
from snowbatch.core.names import Identifier, ObjectName, SchemaName, StageLocation, qualify, sql_string
from snowbatch.core.records import (
    EnvironmentInfo,
    FileListing,
    JobInfo,
    LogChunk,
    ModelSummary,
    OutputInfo,
    Page,
    PoolInfo,
    RelationInfo,
    ResultPreview,
    StageInfo,
    TableWriteMode,
    VersionDetail,
    VersionInfo,
    WarehouseInfo,
)
from snowbatch.core.requests import BatchJobSpec
from snowbatch.core.schedule import ScheduleFacts, ScheduleInfo
from snowbatch.core.warehouse import WarehouseRunSpec, is_warehouse_job
from snowbatch.settings import Settings


class SnowflakeBackend:
    name: Literal["snowflake"] = "snowflake"

    def __init__(self, settings: Settings, session_factory: SessionFactory | None = None) -> None:
        self.settings = settings
        self.sessions = SessionProvider(settings, session_factory)
        self._registry = RegistryReader(self.sessions)
        self._tables = Tables(self.sessions)
        self._stages = Stages(self.sessions)
        self._pools = Pools(self.sessions)
        ledger = JobLedger(settings.home / "snowflake-jobs.json")
        self._jobs = Jobs(self.sessions, self._stages, ledger)
        self._job_list = JobLister(self.sessions, self._jobs, ledger)
        self._output = Output(self.sessions, self._stages)
        self._schedules = Schedules(self.sessions)
        self._warehouse = SnowflakeWarehouse(
            self.sessions, WarehouseLedger(settings.home / "snowflake-warehouse-jobs.json")
        )

    # --- environment -------------------------------------------------------------------------
    def environment(self) -> EnvironmentInfo:
        from snowflake.ml.version import VERSION

        (row,) = self.sessions.rows(
            "SELECT CURRENT_ACCOUNT(), CURRENT_USER(), CURRENT_ROLE(), "
            "CURRENT_WAREHOUSE(), CURRENT_DATABASE(), CURRENT_SCHEMA()",
            context="Reading the session's context",
        )
        account, user, role, warehouse, database, schema = (v or None for v in row.values())
        return EnvironmentInfo(
            backend="snowflake",
            account=account,
            user=user,
            role=role,
            warehouse=warehouse,
            database=database,
            schema=schema,
            snowml_version=str(VERSION),
        )

    def _show_warehouse(self, name: str) -> dict[str, Any] | None:
        """F58: SHOW WAREHOUSES LIKE the name; the row whose `name` is exactly it (LIKE has wildcards)."""
        rows = self.sessions.rows(
            f"SHOW WAREHOUSES LIKE {sql_string(name)}", context=f"Reading the size of warehouse {name}"
        )
        return next((r for r in rows if r.get("name") == name), None)

    def warehouse_info(self) -> WarehouseInfo | None:
        """F58 for the session's warehouse; `size`, `type` and `generation` as written."""
        name = self.environment().warehouse
        if not name:
            return None
        row = self._show_warehouse(name)
        if row is None:
            return WarehouseInfo(name=name)
        return WarehouseInfo(
            name=name, size=row.get("size"), type=row.get("type"), generation=row.get("generation")
        )

    # --- schedules ----------------------------------------------------------------------------
    def schedule_facts(self, task: ObjectName, procedure: ObjectName) -> ScheduleFacts:
        return self._schedules.facts(task, procedure, self.environment().warehouse)

    def create_schedule(self, spec: BatchJobSpec) -> ScheduleInfo:
        return self._schedules.create(spec)

    def default_schema(self) -> SchemaName | None:
        def current(session: object) -> tuple[str | None, str | None]:
            return session.get_current_database(), session.get_current_schema()  # type: ignore[attr-defined]

        database, schema = self.sessions.run(current, context="Reading the session's database and schema")
        if not database or not schema:
            return None
        return SchemaName(Identifier.parse(database), Identifier.parse(schema))

    def _qualify(self, name: ObjectName) -> ObjectName:
        return name if name.is_qualified else qualify(name, self.default_schema())  # no session call needed

    def _qualify_location(self, location: StageLocation) -> StageLocation:
        return StageLocation(self._qualify(location.stage), location.path)

    # --- registry ----------------------------------------------------------------------------
    def list_models(
        self, schema: SchemaName, *, like: str | None, limit: int, cursor: str | None
    ) -> Page[ModelSummary]:
        return self._registry.list_models(schema, like=like, limit=limit, cursor=cursor)

    def list_model_versions(self, model: ObjectName) -> list[VersionInfo]:
        return self._registry.list_model_versions(self._qualify(model))

    def version_detail(self, model: ObjectName, version: Identifier | None) -> VersionDetail:
        return self._registry.version_detail(self._qualify(model), version)

    def class_labels(self, model: ObjectName, version: Identifier) -> list[str] | None:
        # No statement returns them: snowflake-ml's model metadata has no field for class labels, and
        # reading the pickled estimator needs ModelVersion.load() (owner role, a local environment that
        # matches) — too much for a discovery call (docs/research/sql-forms.md §4).
        return None

    # --- data --------------------------------------------------------------------------------
    def describe_table(self, table: ObjectName, *, count_rows: bool) -> RelationInfo:
        return self._tables.describe_table(self._qualify(table), count_rows=count_rows)

    def append_audit(self, table: ObjectName, record: dict[str, Any]) -> None:
        self._tables.append_audit(self._qualify(table), record)

    def describe_query(self, query: str, *, count_rows: bool = False) -> RelationInfo:
        return self._warehouse.describe_query(query, count_rows=count_rows)

    # --- stages ------------------------------------------------------------------------------
    def list_stages(self, schema: SchemaName) -> list[StageInfo]:
        return self._stages.list_stages(schema)

    def describe_stage(self, stage: ObjectName) -> StageInfo:
        return self._stages.describe_stage(self._qualify(stage))

    def create_stage(self, stage: ObjectName, *, comment: str | None) -> StageInfo:
        return self._stages.create_stage(self._qualify(stage), comment=comment)

    def list_stage_files(self, location: StageLocation, *, pattern: str | None, limit: int) -> FileListing:
        return self._stages.list_stage_files(self._qualify_location(location), pattern=pattern, limit=limit)

    # --- compute pools -----------------------------------------------------------------------
    def list_compute_pools(self) -> list[PoolInfo]:
        return self._pools.list_compute_pools()

    def create_compute_pool(
        self,
        name: Identifier,
        *,
        instance_family: str,
        min_nodes: int,
        max_nodes: int,
        auto_suspend_secs: int,
    ) -> PoolInfo:
        return self._pools.create_compute_pool(
            name,
            instance_family=instance_family,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            auto_suspend_secs=auto_suspend_secs,
        )

    def resume_compute_pool(self, name: Identifier) -> PoolInfo:
        return self._pools.resume_compute_pool(name)

    # --- batch jobs --------------------------------------------------------------------------
    def submit_job(self, spec: BatchJobSpec) -> JobInfo:
        return self._jobs.submit_job(spec)

    def get_job(self, job_id: ObjectName) -> JobInfo:
        if is_warehouse_job(job_id):
            return self._warehouse.get_job(self._qualify(job_id))
        return self._jobs.get_job(self._qualify(job_id))

    def list_jobs(self, *, limit: int, cursor: str | None) -> Page[JobInfo]:
        default = self.default_schema()
        if default is None:
            raise InvalidRequest(
                "The session has no current database and schema, so there is no job list.",
                "Set database and schema in the connection (or SNOWFLAKE_DATABASE/SCHEMA).",
            )
        batch, note = self._job_list.entries(default)
        warehouse = self._warehouse.entries(default)
        entries: list[Entry[JobInfo | ObjectName]] = [*batch, *warehouse]  # type: ignore[list-item]
        chunk, nxt, total = page_newest_first(entries, limit=limit, cursor=cursor)
        items = [i if isinstance(i, JobInfo) else self._warehouse.get_job(i) for i in chunk]
        return Page(items=items, next_cursor=nxt, total=total, note=note)

    def job_logs(self, job_id: ObjectName, *, tail: int, offset: int) -> LogChunk:
        if is_warehouse_job(job_id):
            return self._warehouse.job_logs(self._qualify(job_id), tail=tail, offset=offset)
        return self._jobs.job_logs(self._qualify(job_id), tail=tail, offset=offset)

    def cancel_job(self, job_id: ObjectName) -> JobInfo:
        if is_warehouse_job(job_id):
            return self._warehouse.cancel_job(self._qualify(job_id))
        return self._jobs.cancel_job(self._qualify(job_id))

    def delete_job(self, job_id: ObjectName) -> JobInfo:
        if is_warehouse_job(job_id):
            return self._warehouse.delete_job(self._qualify(job_id))
        return self._jobs.delete_job(self._qualify(job_id))

    # --- output ------------------------------------------------------------------------------
    def inspect_output(self, location: StageLocation) -> OutputInfo:
        return self._output.inspect_output(self._qualify_location(location))

    def preview_results(self, location: StageLocation, *, limit: int, max_cell_chars: int) -> ResultPreview:
        return self._output.preview_results(
            self._qualify_location(location), limit=limit, max_cell_chars=max_cell_chars
        )

    def save_results_to_table(
        self, location: StageLocation, table: ObjectName, *, mode: TableWriteMode
    ) -> int:
        return self._output.save_results_to_table(
            self._qualify_location(location), self._qualify(table), mode=mode
        )

    # --- warehouse (ModelVersion.run) --------------------------------------------------------
    def run_in_warehouse(
        self, spec: WarehouseRunSpec, *, preview_limit: int, max_cell_chars: int
    ) -> ResultPreview:
        return self._warehouse.preview(spec, limit=preview_limit, max_cell_chars=max_cell_chars)

    def preview_sql_form(self, sql: str, *, limit: int, max_cell_chars: int) -> ResultPreview:
        return self._warehouse.preview_sql_form(sql, limit=limit, max_cell_chars=max_cell_chars)

    def submit_warehouse_job(self, spec: WarehouseRunSpec) -> JobInfo:
        table = self._qualify(ObjectName.parse(spec.output_table or "", what="table"))
        return self._warehouse.submit(spec.model_copy(update={"output_table": str(table)}), table)


def from_settings(settings: Settings) -> SnowflakeBackend:
    """The registry's factory (snowbatch.backends.BACKENDS)."""
    return SnowflakeBackend(settings)
