"""The one interface both backends implement (Snowflake and the embedded local account).

Methods take name value objects (never raw strings that reach SQL), return records from
`snowbatch.core.records`, and raise `snowbatch.core.errors.SnowbatchError` subclasses with a next step
for every anticipated failure. They are synchronous: MCP runs sync tools in worker threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # annotations only: the server's start does not pay for the modules behind them
    from snowbatch.core.names import Identifier, ObjectName, SchemaName, StageLocation
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
    from snowbatch.core.warehouse import WarehouseRunSpec


@runtime_checkable
class Backend(Protocol):
    @property
    def name(self) -> str: ...

    # --- environment -------------------------------------------------------------------------
    def environment(self) -> EnvironmentInfo: ...

    def warehouse_info(self) -> WarehouseInfo | None:
        """The session's warehouse with its size, type and generation; None when there is none (the
        local backend runs warehouse calls in its own process)."""
        ...

    def default_schema(self) -> SchemaName | None:
        """The database and schema that unqualified names resolve against."""
        ...

    # --- registry -----------------------------------------------------------------------------
    def list_models(
        self, schema: SchemaName, *, like: str | None, limit: int, cursor: str | None
    ) -> Page[ModelSummary]: ...

    def list_model_versions(self, model: ObjectName) -> list[VersionInfo]: ...

    def version_detail(self, model: ObjectName, version: Identifier | None) -> VersionDetail:
        """Functions and facts of a version; `None` means the model's default version."""
        ...

    def class_labels(self, model: ObjectName, version: Identifier) -> list[str] | None:
        """A classifier's labels in its per-class output order, or None where the backend cannot know."""
        ...

    # --- data ---------------------------------------------------------------------------------
    def describe_table(self, table: ObjectName, *, count_rows: bool) -> RelationInfo: ...

    def describe_query(self, query: str, *, count_rows: bool = False) -> RelationInfo:
        """The columns of a checked query (`core.warehouse.check_query`), without running it; with
        count_rows, also how many rows it gives (None when counting fails or takes too long)."""
        ...

    # --- stages -------------------------------------------------------------------------------
    def list_stages(self, schema: SchemaName) -> list[StageInfo]: ...

    def describe_stage(self, stage: ObjectName) -> StageInfo: ...

    def create_stage(self, stage: ObjectName, *, comment: str | None) -> StageInfo: ...

    def list_stage_files(
        self, location: StageLocation, *, pattern: str | None, limit: int
    ) -> FileListing: ...

    # --- compute pools ------------------------------------------------------------------------
    def list_compute_pools(self) -> list[PoolInfo]: ...

    def create_compute_pool(
        self,
        name: Identifier,
        *,
        instance_family: str,
        min_nodes: int,
        max_nodes: int,
        auto_suspend_secs: int,
    ) -> PoolInfo: ...

    def resume_compute_pool(self, name: Identifier) -> PoolInfo: ...

    # --- batch jobs ---------------------------------------------------------------------------
    def submit_job(self, spec: BatchJobSpec) -> JobInfo: ...

    def get_job(self, job_id: ObjectName) -> JobInfo: ...

    def schedule_facts(self, task: ObjectName, procedure: ObjectName) -> ScheduleFacts:
        """Whether the task and procedure names are free, the task's warehouse (the session's), and the
        snowflake-ml-python releases a procedure can install (None: local)."""
        ...

    def create_schedule(self, spec: BatchJobSpec) -> ScheduleInfo:
        """Create the task and procedure of a scheduled plan (`spec.schedule`), all or nothing."""
        ...

    def list_jobs(self, *, limit: int, cursor: str | None) -> Page[JobInfo]: ...

    def job_logs(self, job_id: ObjectName, *, tail: int, offset: int) -> LogChunk: ...

    def cancel_job(self, job_id: ObjectName) -> JobInfo: ...

    def delete_job(self, job_id: ObjectName) -> JobInfo: ...

    # --- output -------------------------------------------------------------------------------
    def inspect_output(self, location: StageLocation) -> OutputInfo: ...

    def preview_results(
        self, location: StageLocation, *, limit: int, max_cell_chars: int
    ) -> ResultPreview: ...

    def save_results_to_table(
        self, location: StageLocation, table: ObjectName, *, mode: TableWriteMode
    ) -> int:
        """Load a job's Parquet results into a table; returns the rows written."""
        ...

    def append_audit(self, table: ObjectName, record: dict[str, Any]) -> None:
        """Add one audit record (JSON, no secrets) to `table`, creating it if it does not exist."""
        ...

    # --- warehouse (ModelVersion.run) ---------------------------------------------------------
    def run_in_warehouse(
        self, spec: WarehouseRunSpec, *, preview_limit: int, max_cell_chars: int
    ) -> ResultPreview:
        """Score the input and return the first rows (input columns + outputs); writes nothing."""
        ...

    def preview_sql_form(self, sql: str, *, limit: int, max_cell_chars: int) -> ResultPreview:
        """Run one rendered SELECT with MODEL(...)!FN(...) calls, as pasted, and return at most `limit`
        rows; writes nothing."""
        ...

    def submit_warehouse_job(self, spec: WarehouseRunSpec) -> JobInfo:
        """Start writing `spec.output_table` as an asynchronous query job (`kind="warehouse"`).

        The job id is DB.SCHEMA.WAREHOUSE_QUERY_<hex> in the output table's schema; `get_job`,
        `list_jobs`, `cancel_job` and `job_logs` accept it. The table is written atomically: a failed
        or cancelled job leaves it as it was.
        """
        ...
