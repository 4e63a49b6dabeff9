"""LocalBackend: the Backend protocol over a local account on disk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from snowbatch.backends.local.account import LocalAccount
from snowbatch.backends.local.jobs import LocalJobs
from snowbatch.backends.local.output import LocalOutput
from snowbatch.backends.local.pools import LocalPools, machine_has_gpu
from snowbatch.backends.local.registry import LocalRegistry
from snowbatch.backends.local.schedules import LocalSchedules
from snowbatch.backends.local.stages import LocalStages
from snowbatch.backends.local.tables import LocalTables
from snowbatch.backends.local.warehouse import LocalWarehouse
from snowbatch.core.errors import NotFound, did_you_mean
from snowbatch.core.names import Identifier, ObjectName, SchemaName, StageLocation, qualify
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
)
from snowbatch.core.requests import BatchJobSpec
from snowbatch.core.schedule import ScheduleFacts, ScheduleInfo
from snowbatch.core.warehouse import WarehouseRunSpec
from snowbatch.resources import installed_snowml_version
from snowbatch.samples import DATABASE, SCHEMA

if TYPE_CHECKING:
    from snowbatch.settings import Settings


class LocalBackend:
    name: Literal["local"] = "local"

    def __init__(self, home: Path) -> None:
        self.account = LocalAccount(home)
        self.account.ensure()
        self.tables = LocalTables(self.account)
        self.stages = LocalStages(self.account)
        self.registry = LocalRegistry(self.account)
        self.pools = LocalPools(self.account)
        self.jobs = LocalJobs(
            self.account, self.tables, self.stages, self.registry, self.pools, self.default_schema()
        )
        self.pools.busy = self.jobs.busy_pools
        self.output = LocalOutput(self.account, self.stages, self.tables)
        self.warehouse = LocalWarehouse(self.account, self.tables, self.registry, self.default_schema())
        self.schedules = LocalSchedules(self.account)

    def warehouse_info(self) -> None:
        return None  # warehouse calls run in this process: no warehouse, no size, nothing billed

    def environment(self) -> EnvironmentInfo:
        return EnvironmentInfo(
            backend="local",
            account="local",
            user=None,
            role="LOCAL_OWNER",
            warehouse="LOCAL_WH",
            database=DATABASE,
            schema=SCHEMA,
            snowml_version=installed_snowml_version(),
            home=str(self.account.home),
            gpu_available=machine_has_gpu(),
        )

    def default_schema(self) -> SchemaName:
        return SchemaName(Identifier(DATABASE), Identifier(SCHEMA))

    # registry
    def list_models(
        self, schema: SchemaName, *, like: str | None, limit: int, cursor: str | None
    ) -> Page[ModelSummary]:
        self._require_database(schema.database)
        models = self.registry.list_models(schema)
        if like:
            from fnmatch import fnmatch

            pattern = like.replace("%", "*").replace("_", "?").upper()
            models = [m for m in models if fnmatch(m.name.rsplit(".", 1)[-1].upper(), pattern)]
        start = int(cursor) if cursor and cursor.isdigit() else 0
        return Page(
            items=models[start : start + limit],
            total=len(models),
            next_cursor=str(start + limit) if start + limit < len(models) else None,
        )

    def list_model_versions(self, model: ObjectName) -> list[VersionInfo]:
        return self.registry.list_versions(model)

    def version_detail(self, model: ObjectName, version: Identifier | None) -> VersionDetail:
        return self.registry.version_detail(model, version)

    def class_labels(self, model: ObjectName, version: Identifier) -> list[str] | None:
        return self.registry.class_labels(model, version)

    # data
    def describe_table(self, table: ObjectName, *, count_rows: bool) -> RelationInfo:
        return self.tables.describe(table, count_rows=count_rows)

    def append_audit(self, table: ObjectName, record: dict[str, Any]) -> None:
        """One row (RECORDED_AT, RECORD as JSON text) appended in one transaction; the table is made by
        the first record."""
        import json
        from datetime import datetime, timezone

        import pyarrow as pa

        row = pa.table(
            {"RECORDED_AT": [datetime.now(timezone.utc)], "RECORD": [json.dumps(record, sort_keys=True)]}
        )
        self.tables.write(qualify(table, self.default_schema()), row, mode="append")

    def describe_query(self, query: str, *, count_rows: bool = False) -> RelationInfo:
        return self.warehouse.describe_query(query, count_rows=count_rows)

    # stages
    def list_stages(self, schema: SchemaName) -> list[StageInfo]:
        self._require_database(schema.database)
        return self.stages.list_stages(schema)

    def describe_stage(self, stage: ObjectName) -> StageInfo:
        return self.stages.describe(stage)

    def create_stage(self, stage: ObjectName, *, comment: str | None) -> StageInfo:
        assert stage.database is not None
        self._require_database(stage.database)
        return self.stages.create(stage, encryption="SNOWFLAKE_SSE", comment=comment)

    def _require_database(self, database: Identifier) -> None:
        """As on Snowflake, naming a database that does not exist is an error, not an empty answer."""
        if not self.account.has_database(database):
            known = self.account.known_databases()
            raise NotFound(
                f"Database {database} does not exist.{did_you_mean(database.name, known)}",
                f"Use one of: {', '.join(known) or 'none yet'} (or `snowbatch local init`).",
            )

    def list_stage_files(self, location: StageLocation, *, pattern: str | None, limit: int) -> FileListing:
        return self.stages.list_files(location, pattern=pattern, limit=limit)

    # pools
    def list_compute_pools(self) -> list[PoolInfo]:
        return self.pools.list_pools()

    def create_compute_pool(
        self,
        name: Identifier,
        *,
        instance_family: str,
        min_nodes: int,
        max_nodes: int,
        auto_suspend_secs: int,
    ) -> PoolInfo:
        return self.pools.create(
            name, instance_family=instance_family, min_nodes=min_nodes, max_nodes=max_nodes
        )

    def resume_compute_pool(self, name: Identifier) -> PoolInfo:
        return self.pools.resume(name)

    # jobs
    def submit_job(self, spec: BatchJobSpec) -> JobInfo:
        return self.jobs.submit(spec)

    def get_job(self, job_id: ObjectName) -> JobInfo:
        return self.jobs.get(job_id)

    def schedule_facts(self, task: ObjectName, procedure: ObjectName) -> ScheduleFacts:
        return self.schedules.facts(task)

    def create_schedule(self, spec: BatchJobSpec) -> ScheduleInfo:
        return self.schedules.create(spec)

    def list_jobs(self, *, limit: int, cursor: str | None) -> Page[JobInfo]:
        return self.jobs.list_jobs(limit=limit, cursor=cursor)

    def job_logs(self, job_id: ObjectName, *, tail: int, offset: int) -> LogChunk:
        return self.jobs.logs(job_id, tail=tail, offset=offset)

    def cancel_job(self, job_id: ObjectName) -> JobInfo:
        return self.jobs.cancel(job_id)

    def delete_job(self, job_id: ObjectName) -> JobInfo:
        return self.jobs.delete(job_id)

    # output
    def inspect_output(self, location: StageLocation) -> OutputInfo:
        return self.output.inspect(location)

    def preview_results(self, location: StageLocation, *, limit: int, max_cell_chars: int) -> ResultPreview:
        return self.output.preview(location, limit=limit, max_cell_chars=max_cell_chars)

    def save_results_to_table(
        self, location: StageLocation, table: ObjectName, *, mode: TableWriteMode
    ) -> int:
        return self.output.save(location, table, mode=mode)

    # warehouse
    def run_in_warehouse(
        self, spec: WarehouseRunSpec, *, preview_limit: int, max_cell_chars: int
    ) -> ResultPreview:
        return self.warehouse.preview(spec, limit=preview_limit, max_cell_chars=max_cell_chars)

    def preview_sql_form(self, sql: str, *, limit: int, max_cell_chars: int) -> ResultPreview:
        return self.warehouse.preview_sql_form(sql, limit=limit, max_cell_chars=max_cell_chars)

    def submit_warehouse_job(self, spec: WarehouseRunSpec) -> JobInfo:
        return self.jobs.get(ObjectName.parse(self.warehouse.submit(spec), what="job"))


def from_settings(settings: Settings) -> LocalBackend:
    """The registry's factory (snowbatch.backends.BACKENDS)."""
    return LocalBackend(settings.home)
