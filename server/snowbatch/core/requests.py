"""What a person asks for (`BatchJobRequest`) and what a backend is told to run (`BatchJobSpec`).

The request keeps the person's words (names as typed, optional choices left open); preflight resolves it
against the backend's facts into a spec in which every name is qualified, the function is chosen and
every default is explicit. The spec is what the confirmation token and the plan id are bound to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from snowbatch.core.schedule import ScheduledRun

if TYPE_CHECKING:
    from snowbatch.core.names import Identifier, ObjectName, SchemaName, StageLocation

SaveMode = Literal["error", "overwrite"]
FileEncoding = Literal["RAW_BYTES", "BASE64", "BASE64_DATA_URL"]


SOURCES = ("table", "query", "job_id", "parquet")  # where a tabular job's rows come from


class TableInput(BaseModel):
    """One of table, query (SELECT), job_id (DONE job's output), parquet (@stage/dir/)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["table"]
    table: str | None = None
    query: str | None = None
    job_id: str | None = None
    parquet: str | None = None
    columns: list[str] | dict[str, str] | None = Field(
        None, description="default all; or {signature input: source column}"
    )
    # Incremental scoring: a plain mapping, not a model, keeps tools/list (every conversation's cost) small.
    only_new: dict[str, str] | None = Field(None, description="{key, against}: keys not yet in against")

    @model_validator(mode="after")
    def _one_source(self) -> TableInput:
        given = [k for k in SOURCES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of {', '.join(SOURCES)} (given: {', '.join(given) or 'none'})"
            )
        if self.only_new is not None:
            if sorted(self.only_new) != ["against", "key"]:
                raise ValueError('only_new takes {"key": COLUMN, "against": RESULTS_TABLE}')
            if self.table is None and self.query is None:
                raise ValueError("only_new works on a table or a query input")
        return self


class RowsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["rows"]
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)


class FilesInput(BaseModel):
    """One row per file; `column` gets its path."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["files"]
    stage_location: str = Field(description="@DB.SCHEMA.STAGE/dir/")
    pattern: str | None = Field(None, description="regex on the whole path, or a glob (*.wav)")
    column: str = "FILE_PATH"
    encoding: FileEncoding | None = None
    limit: int | None = Field(None, ge=1)
    skip_scored: str | None = Field(None, description="a trial's job_id: skip its files")


class ChatInput(BaseModel):
    """A prompt plus files, or a table with MESSAGES."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["chat"]
    prompt: str | None = Field(None, description="user text")
    system: str | None = None
    stage_location: str | None = Field(None, description="files, one chat each")
    pattern: str | None = None
    media: Literal["image", "video", "audio"] = "image"
    table: str | None = None
    limit: int | None = Field(None, ge=1)
    skip_scored: str | None = None


INPUT_KINDS = ("table", "rows", "files", "chat")
PATH_COLUMN = "FILE_PATH"  # the stage path of each file, kept beside a files or chat job's outputs


def _input_kind(value: Any) -> str | None:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


# A callable discriminator picks the input model by `kind` as a string one would, but leaves no
# `discriminator` keyword in the JSON Schema: tools/list stays plain oneOf, which every client's
# validator reads (OpenAPI's keyword is not JSON Schema). `kind` has no default, so it is required.
InputSource = Annotated[
    Annotated[TableInput, Tag("table")]
    | Annotated[RowsInput, Tag("rows")]
    | Annotated[FilesInput, Tag("files")]
    | Annotated[ChatInput, Tag("chat")],
    Discriminator(
        _input_kind,
        custom_error_type="input_kind",
        custom_error_message="input.kind must be one of table, rows, files, chat",
    ),
]


class Scaling(BaseModel):
    model_config = ConfigDict(extra="forbid")
    replicas: int | None = Field(None, ge=1, le=64, description="job instances")
    num_workers: int | None = Field(None, ge=1, le=256, description="workers per instance")
    max_batch_rows: int | None = Field(None, ge=1, le=10_000_000)
    cpu_requests: str | None = None
    memory_requests: str | None = None
    gpu_requests: str | None = None


class BatchJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field(description="DB.SCHEMA.MODEL")
    version: str | None = Field(None, description="version name or alias; default: the default version")
    function: str | None = Field(None, description="needed only when the model has several functions")
    input: InputSource
    output_stage: str = Field(description="@DB.SCHEMA.STAGE/path/ on an SSE stage")
    compute_pool: str
    mode: SaveMode = Field("error", description="error (safe default) refuses a non-empty location")
    scaling: Scaling = Field(default_factory=Scaling)
    params: dict[str, Any] | None = Field(None, description="signature params (InputSpec.params)")
    column_handling: dict[str, FileEncoding] | None = Field(
        None, description="file columns and their encoding, when input columns hold stage paths"
    )
    engine: Literal["vllm", "python_generic"] | None = None
    engine_args: list[str] | None = None
    job_name: str | None = Field(None, description="default: generated")
    schedule: str | None = Field(None, description="cron and time zone, e.g. '0 2 * * * UTC'")


def chat_messages_for_file(
    path: str, media: str, prompt: str | None, system: str | None
) -> list[dict[str, Any]]:
    """One OpenAI message list about one stage file; the job resolves the path (no column_handling).

    Images and videos go in `image_url.url` / `video_url.url`, audio in `input_audio.data` with its
    `format` taken from the extension — the layout Snowflake's chat (template) jobs document.
    """
    part: dict[str, Any]
    if media == "audio":
        fmt = path.rsplit(".", 1)[-1].lower()
        part = {"type": "input_audio", "input_audio": {"data": path, "format": fmt}}
    else:
        key = "video_url" if media == "video" else "image_url"
        part = {"type": key, key: {"url": path}}
    content = [{"type": "text", "text": prompt}, part] if prompt else [part]
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": content})
    return messages


class ResolvedInput(BaseModel):
    """The input a job reads, resolved: a table, inline rows, or a list of stage files."""

    kind: Literal["table", "rows", "files", "chat"]
    table: str | None = None
    query: str | None = Field(None, description="a checked SELECT whose rows are the input")
    parquet_location: str | None = Field(None, description="a finished job's output, read in place")
    columns: list[str] = Field(default_factory=list)
    column_map: dict[str, str] | None = Field(
        None, description="signature input -> the source column that feeds it (exact names)"
    )
    column_types: dict[str, str] | None = Field(
        None, description="a job output's columns and SQL types: staged Parquet is read field by field"
    )
    rows: list[dict[str, Any]] | None = None
    files: list[str] | None = Field(None, description="full stage paths, for files/chat inputs")
    # Where the file list came from, so generated code can list the stage itself instead of carrying
    # thousands of paths; the job still reads exactly `files`.
    stage_location: str | None = None
    pattern: str | None = None
    limit: int | None = None
    file_column: str | None = None
    chat_template: dict[str, Any] | None = None
    chat_table: str | None = None
    row_count: int | None = None
    only_new: dict[str, str] | None = Field(
        None, description="{key, against}: the query scores only keys not yet in `against`"
    )

    def projection(self) -> list[tuple[str, str]]:
        """(source column, input column) pairs a tabular job reads; empty means every column as is."""
        if self.column_map:
            return [(source, target) for target, source in self.column_map.items()]
        return [(c, c) for c in self.columns]

    def chat_message_rows(self) -> list[str]:
        """The MESSAGES column of a chat built from a prompt plus files: one JSON message list per file."""
        import json

        tpl = self.chat_template or {}
        return [
            json.dumps(
                chat_messages_for_file(f, tpl.get("media", "image"), tpl.get("prompt"), tpl.get("system"))
            )
            for f in self.files or []
        ]

    def file_input_columns(self) -> dict[str, list[str]]:
        """The input of a files job, or of a chat built from files, column by column. Both backends build
        the job's input from this, so local and Snowflake jobs see the same rows.

        Beside the column the model reads (the signature's file column, which the job converts with
        column_handling, or MESSAGES) each row carries FILE_PATH, a plain copy of the file's stage path:
        input columns come back beside the outputs, so results join to their file without parsing JSON
        (docs/research/files-multimodal.md §3: passthrough per Snowflake's own skill text, UNVERIFIED on an
        account; a trial run shows it).
        """
        paths = list(self.files or [])
        model_column = (
            {"MESSAGES": self.chat_message_rows()}
            if self.kind == "chat"
            else {self.file_column or PATH_COLUMN: paths}
        )
        return {**model_column, PATH_COLUMN: paths}


class BatchJobSpec(BaseModel):
    """Everything a backend needs to submit one job, all names qualified and defaults explicit."""

    model: str
    version: str
    function_name: str = Field(description="SQL name, as SHOW FUNCTIONS lists it")
    target_method: str
    input: ResolvedInput
    output_stage: str = Field(description="base location; the job writes <output_stage>/<job_name>/")
    compute_pool: str
    mode: SaveMode
    job_name: str = Field(description="DB.SCHEMA.NAME, plain identifiers")
    replicas: int = 1
    num_workers: int | None = None
    max_batch_rows: int | None = None
    cpu_requests: str | None = None
    memory_requests: str | None = None
    gpu_requests: str | None = None
    params: dict[str, Any] | None = None
    column_handling: dict[str, FileEncoding] | None = None
    engine: str | None = None
    engine_args: list[str] | None = None
    schedule: ScheduledRun | None = Field(None, description="set: create a task that runs the job on a cron")

    @property
    def job(self) -> ObjectName:
        """The job's full name: the model's database and schema unless job_name gives its own (run_batch's
        rule, snowflake-ml 2.6 `service_ops.py`)."""
        from snowbatch.core.names import ObjectName

        model = ObjectName.parse(self.model, what="model")
        return ObjectName.parse(self.job_name, what="job").qualified(model.database, model.schema)

    @property
    def job_folder(self) -> str:
        """The per-job folder's name: the job name's last part, unquoted (snowflake-ml 2.6 `run_batch`)."""
        from snowbatch.core.errors import InvalidName
        from snowbatch.core.names import ObjectName

        try:
            return ObjectName.parse(self.job_name, what="job").name.name
        except InvalidName:  # a blocked plan keeps the name as given; its check says what is wrong
            return self.job_name

    @property
    def job_output_location(self) -> str:
        base = self.output_stage if self.output_stage.endswith("/") else self.output_stage + "/"
        return f"{base}{self.job_folder}/"


@dataclass(frozen=True)
class RequestNames:
    """Every name a job request gives, parsed once (at the tool boundary) and qualified with the default
    schema; planning and preflight use these and never parse the request's text again."""

    model: ObjectName
    version: Identifier | None
    table: ObjectName | None
    job: ObjectName | None
    skip_scored: ObjectName | None
    parquet: StageLocation | None
    files_location: StageLocation | None
    output: StageLocation
    pool: Identifier
    new_key: Identifier | None = None  # only_new: the key column, and the results table it is checked in
    scored_in: ObjectName | None = None

    @classmethod
    def of(cls, request: BatchJobRequest, default: SchemaName | None) -> RequestNames:
        from snowbatch.core.names import Identifier, ObjectName, StageLocation, qualify

        inp = request.input
        table = inp.table if inp.kind in ("table", "chat") else None
        job = inp.job_id if inp.kind == "table" else None
        parquet = inp.parquet if inp.kind == "table" else None
        skip = inp.skip_scored if inp.kind in ("files", "chat") else None
        files = inp.stage_location if inp.kind in ("files", "chat") else None
        only_new = inp.only_new if inp.kind == "table" else None
        return cls(
            model=qualify(ObjectName.parse(request.model, what="model"), default),
            version=Identifier.parse(request.version) if request.version else None,
            table=qualify(ObjectName.parse(table, what="table"), default) if table else None,
            job=qualify(ObjectName.parse(job, what="job"), default) if job else None,
            skip_scored=qualify(ObjectName.parse(skip, what="job"), default) if skip else None,
            parquet=qualify(StageLocation.parse(parquet), default).as_directory() if parquet else None,
            files_location=qualify(StageLocation.parse(files), default) if files else None,
            output=qualify(StageLocation.parse(request.output_stage), default).as_directory(),
            pool=Identifier.parse(request.compute_pool, allow_quoted=False),
            new_key=Identifier.parse(only_new["key"]) if only_new else None,
            scored_in=qualify(ObjectName.parse(only_new["against"], what="table"), default)
            if only_new
            else None,
        )
