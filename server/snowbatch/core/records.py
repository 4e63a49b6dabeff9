"""Facts a backend reports: plain records shared by both backends, the core and the tools.

Names are stored in display form (`str(ObjectName)`), so records serialise compactly and read the way
a person writes them; code that needs SQL re-parses them into name value objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from snowbatch.core.signatures import FunctionInfo

T = TypeVar("T")

# Job statuses: those of snowflake-ml's MLJob (`snowflake/ml/jobs/_utils/type_utils.py`) plus the service
# statuses SUSPENDING, SUSPENDED and DELETING (`snowflake/ml/model/_client/sql/service.py` ServiceStatus;
# BCR-1596). UNKNOWN is ours: a status no source lists is shown as such, never mistaken for PENDING.
JobStatus = Literal[
    "PENDING",
    "RUNNING",
    "DONE",
    "FAILED",
    "CANCELLING",
    "CANCELLED",
    "INTERNAL_ERROR",
    "DELETED",
    "SUSPENDING",
    "SUSPENDED",
    "DELETING",
    "UNKNOWN",
]
JOB_STATUSES: frozenset[str] = frozenset(get_args(JobStatus))
TERMINAL_STATUSES: frozenset[str] = frozenset(
    {"DONE", "FAILED", "CANCELLED", "INTERNAL_ERROR", "DELETED", "DELETING"}
)
# A job snowbatch is still submitting (Snowflake has no job service for it yet) says so in its message.
SUBMITTING = "submitting:"
# Not finished, but not moving either: a wait returns at once instead of spinning until its time-out.
STALLED_STATUSES: frozenset[str] = frozenset({"SUSPENDING", "SUSPENDED", "UNKNOWN"})
# runnable_in values (snowflake-ml 2.6 `snowflake/ml/model/target_platform.py`). An empty list means no
# restriction: versions logged before the column existed have none (snowflake-ml 2.6 `model_ops.py`
# `_fetch_model_spec_and_target_platforms` and `model_version_impl.py` refuse the warehouse only when the
# list is non-empty and lacks WAREHOUSE).
WAREHOUSE = "WAREHOUSE"
SPCS = "SNOWPARK_CONTAINER_SERVICES"


def runs_on(runnable_in: list[str], platform: str) -> bool:
    return not runnable_in or platform in {p.upper() for p in runnable_in}


Encryption = Literal["SNOWFLAKE_SSE", "SNOWFLAKE_FULL", "EXTERNAL", "UNKNOWN"]
PoolState = Literal["IDLE", "ACTIVE", "SUSPENDED", "STARTING", "STOPPING", "RESIZING", "UNKNOWN"]


class Record(BaseModel):
    """A record's validators are built at its first use, not at import: a server that starts and lists
    its tools never builds most of them (pydantic `defer_build`)."""

    model_config = ConfigDict(defer_build=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass back as cursor= for the next page")
    total: int | None = None
    note: str | None = Field(None, description="what the list may leave out, and why")


class EnvironmentInfo(Record):
    backend: str = Field(description="a name from snowbatch.backends.BACKENDS")
    account: str | None = None
    user: str | None = None
    role: str | None = None
    warehouse: str | None = None
    database: str | None = None
    schema_: str | None = Field(None, alias="schema")
    snowml_version: str | None = None
    home: str | None = None
    gpu_available: bool | None = None

    model_config = {"populate_by_name": True}


class WarehouseInfo(Record):
    """The session's warehouse as SHOW WAREHOUSES describes it (fidelity row F58)."""

    name: str
    size: str | None = None
    type: str | None = Field(None, description="STANDARD or SNOWPARK-OPTIMIZED")
    generation: str | None = Field(None, description="1 or 2, for a standard warehouse")


class ModelSummary(Record):
    name: str
    versions: int
    default_version: str | None = None
    comment: str | None = None


class VersionInfo(Record):
    version: str
    is_default: bool = False
    aliases: list[str] = Field(default_factory=list)
    created_on: datetime | None = None
    runnable_in: list[str] = Field(
        default_factory=list, description="WAREHOUSE and/or SNOWPARK_CONTAINER_SERVICES; empty: both"
    )
    model_type: str | None = None
    comment: str | None = None


class VersionDetail(Record):
    """A version's functions and the facts that steer approach and pool choice."""

    model: str
    version: str
    model_type: str | None = None
    task: str | None = None
    runnable_in: list[str] = Field(default_factory=list)
    needs_gpu: bool = Field(False, description="packaged only for GPU: no CPU pool or warehouse runs it")
    gpu_runtime: bool = Field(False, description="logged with a GPU runtime: a GPU pool runs it fastest")
    functions: list[FunctionInfo]


class ColumnInfo(Record):
    name: str
    sql_type: str
    nullable: bool = True


class RelationInfo(Record):
    """A table's or query's columns (and, when asked and cheap, its row count)."""

    source: str
    columns: list[ColumnInfo]
    row_count: int | None = None


class StageInfo(Record):
    name: str
    kind: Literal["INTERNAL", "EXTERNAL"] = "INTERNAL"
    encryption: Encryption
    encryption_evidence: str = Field("", description="how the encryption was determined")
    comment: str | None = None
    url: str | None = Field(None, description="external stages: the cloud location")


class StageFile(Record):
    path: str = Field(description="full stage path, @DB.SCHEMA.STAGE/dir/file")
    size: int
    last_modified: datetime | None = None


class FileListing(Record):
    location: str
    count: int
    total_bytes: int
    extensions: dict[str, int]
    files: list[StageFile] = Field(description="the first files, up to the limit")
    truncated: bool = False
    note: str | None = Field(None, description="when nothing matched the pattern: the nearest paths")


class PoolInfo(Record):
    name: str
    state: PoolState
    instance_family: str
    min_nodes: int = 1
    max_nodes: int = 1
    active_nodes: int = 0
    auto_resume: bool = True
    vcpu: int | None = None
    memory_gib: int | None = None
    gpus: int = 0
    gpu_kind: str | None = None

    @property
    def has_gpu(self) -> bool:
        return self.gpus > 0 or self.instance_family.upper().startswith("GPU")


class JobProgress(Record):
    rows_done: int | None = None
    rows_total: int | None = None


class JobInfo(Record):
    job_id: str = Field(description="DB.SCHEMA.NAME")
    kind: Literal["batch", "warehouse"] = "batch"
    status: JobStatus
    model: str | None = None
    version: str | None = None
    function: str | None = None
    compute_pool: str | None = None
    output_location: str | None = Field(None, description="where this job's results are written")
    created_on: datetime | None = None
    started_on: datetime | None = None
    completed_on: datetime | None = None
    message: str | None = None
    progress: JobProgress | None = None
    # What a job was submitted with, for cost estimates (snowbatch.estimates); left out of tool results,
    # which are the assistant's context.
    input_rows: int | None = Field(None, exclude=True, description="rows (or files) submitted, if recorded")
    replicas: int | None = Field(
        None, exclude=True, description="nodes it was submitted to run on, if recorded"
    )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def is_settled(self) -> bool:
        """Finished, or stalled: waiting longer will not change the status by itself."""
        return self.status in TERMINAL_STATUSES or self.status in STALLED_STATUSES


class OutputFile(Record):
    path: str
    size: int
    rows: int | None = None


# How a write meets an existing table: refuse it, replace it, or add rows to it.
TableWriteMode = Literal["error", "overwrite", "append"]
OutputState = Literal["complete", "partial", "foreign", "empty"]


class OutputInfo(Record):
    location: str
    files: list[OutputFile]
    files_total: int = Field(0, description="all files counted; files lists the first of them")
    files_note: str | None = Field(None, description="when files was cut: how to see more")
    total_bytes: int
    rows: int | None = Field(None, description="from Parquet metadata where readable")
    success_marker: bool
    state: OutputState
    advice: str | None = None


class ResultPreview(Record):
    location: str | None = Field(None, description="left out where the job's output_location says it")
    columns: list[str]
    rows: list[dict[str, Any]]
    total_rows: int | None = None
    truncated_cells: int | None = Field(None, description="cells cut short, when any")

    @field_validator("truncated_cells")
    @classmethod
    def _none_when_none_cut(cls, value: int | None) -> int | None:
        return value or None


class LogChunk(Record):
    job_id: str
    lines: list[str]
    next_offset: int | None = Field(None, description="pass back as offset= for older lines")
    truncated: bool = False
    note: str | None = None
