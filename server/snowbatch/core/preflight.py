"""Preflight: a request checked against the backend's facts before anything is spent.

Pure: the caller gathers the facts (model version, input shape, stage, pool, existing output) and this
module decides, for each, pass / warn / fail with the fix, then writes the human summary that the person
approves. A plan with any failing check cannot be submitted.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from snowbatch.core.input_columns import resolve_rows, select_columns, shown_column
from snowbatch.core.pools import wants_gpu
from snowbatch.core.records import (
    ColumnInfo,
    FileListing,
    PoolInfo,
    RelationInfo,
    StageInfo,
    VersionDetail,
)
from snowbatch.core.requests import BatchJobRequest, BatchJobSpec, ResolvedInput
from snowbatch.core.signatures import (
    FeatureInfo,
    FunctionInfo,
    ParamInfo,
    dtype_family,
    is_file_input,
    sql_type_fits,
)
from snowbatch.core.stage_use import stage_fix

CheckStatus = Literal["pass", "warn", "fail"]


class Check(BaseModel):
    name: str
    status: CheckStatus
    message: str
    fix: str | None = None


class PlanFacts(BaseModel):
    """What the backend said about everything the request names (None = could not be found)."""

    backend: str
    model: str
    detail: VersionDetail
    function: FunctionInfo
    relation: RelationInfo | None = None
    files: FileListing | None = None
    input_stage: StageInfo | None = Field(None, description="the stage the input files are on")
    stage: StageInfo | None = None
    stage_error: str | None = None
    usable_stages: list[str] = Field(
        default_factory=list, description="SSE stages in the output's schema, when its stage is unusable"
    )
    output_occupants: list[str] = Field(
        default_factory=list, description="what already lies in the output base (folders, files)"
    )
    pool: PoolInfo | None = None
    pool_error: str | None = None
    job_name: str


class Preflight(BaseModel):
    checks: list[Check]
    spec: BatchJobSpec
    summary: str
    ok: bool = Field(description="no failing check")


def _input_columns(request: BatchJobRequest, facts: PlanFacts) -> list[ColumnInfo]:
    inp = request.input
    if inp.kind == "rows":
        rows, _ = resolve_rows(inp.rows)
        return [ColumnInfo(name=k, sql_type=_python_sql_type(v)) for k, v in rows[0].items()]
    if inp.kind == "files":
        return [ColumnInfo(name=file_column(request, facts.function), sql_type="VARCHAR")]
    if inp.kind == "chat" and inp.table is None:
        return [ColumnInfo(name="MESSAGES", sql_type="VARCHAR")]
    if facts.relation is None:
        return []
    return select_columns(facts.relation.columns, (inp.columns or []) if inp.kind == "table" else [])[0]


def _check_named_columns(request: BatchJobRequest, facts: PlanFacts) -> list[Check]:
    """Inline row keys and picked table columns that cannot be resolved to one set of columns."""
    inp = request.input
    problem = None
    if inp.kind == "rows":
        problem = resolve_rows(inp.rows)[1]
    elif inp.kind == "table" and inp.columns and facts.relation is not None:
        problem = select_columns(facts.relation.columns, inp.columns)[1]
    if problem is None:
        return []
    fix = (
        "Give every row the same keys, one per column (a plain key is upper-cased as SQL would; "
        'quote it, e.g. "Mixed", to keep its case).'
        if inp.kind == "rows"
        else "Pick columns from describe_input's list, written as it shows them, or leave columns out."
    )
    return [Check(name="input_columns", status="fail", message=problem + ".", fix=fix)]


def _python_sql_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "NUMBER(38,0)"
    if isinstance(value, float):
        return "FLOAT"
    if isinstance(value, (bytes, bytearray)):
        return "BINARY"
    if isinstance(value, (dict, list)):
        return "VARIANT"
    return "VARCHAR"


def file_column(request: BatchJobRequest, function: FunctionInfo) -> str:
    """The column that carries stage paths: the request's, or the signature's one file input."""
    inp = request.input
    if inp.kind == "files" and inp.column != "FILE_PATH":
        return inp.column
    files = function.file_inputs
    return files[0].name.upper() if len(files) == 1 else "FILE_PATH"


def default_encoding(feature: FeatureInfo) -> str:
    return "RAW_BYTES" if feature.dtype.upper() == "BYTES" else "BASE64"


def check_columns(function: FunctionInfo, columns: list[ColumnInfo], handled: set[str]) -> list[Check]:
    by_exact = {c.name: c for c in columns}
    by_upper = {c.name.upper(): c for c in columns}
    missing, mismatched, case_only = [], [], []
    for feature in function.inputs:
        col = by_exact.get(feature.name) or by_exact.get(feature.name.upper())
        if col is None and feature.name.upper() in by_upper:
            col = by_upper[feature.name.upper()]
            case_only.append(f"{feature.name} ↔ {col.name}")
        if col is None:
            missing.append(feature)
            continue
        if col.name.upper() in handled:
            if not is_file_input(feature):
                mismatched.append(f"{col.name} holds files but {feature.describe()} is not a file input")
            continue
        if not sql_type_fits(col.sql_type, feature):
            mismatched.append(f"{col.name} is {col.sql_type}, the signature wants {feature.describe()}")
    checks = []
    if missing:
        checks.append(
            Check(
                name="input_columns",
                status="fail",
                message="Missing input column(s): " + ", ".join(f.describe() for f in missing),
                fix="Select or rename columns so the input has every signature input (e.g. a view or "
                "`SELECT x AS TENURE_MONTHS`), then plan again.",
            )
        )
    if mismatched:
        checks.append(
            Check(
                name="input_types",
                status="fail",
                message="; ".join(mismatched),
                fix="Cast the columns to the signature's types (e.g. ::FLOAT), then plan again.",
            )
        )
    if case_only:
        checks.append(
            Check(
                name="input_case",
                status="warn",
                message="Columns match only when case is ignored: " + ", ".join(case_only),
                fix="Rename them to the signature's exact names to be safe (case-insensitive "
                "matching by the job is UNVERIFIED).",
            )
        )
    if not missing and not mismatched:
        expected = {f.name.upper() for f in function.inputs}
        extra = [c.name for c in columns if c.name.upper() not in expected]
        note = f"; passed through unchanged: {', '.join(extra[:10])}" if extra else ""
        checks.append(
            Check(
                name="input_columns",
                status="pass",
                message=f"All {len(function.inputs)} signature inputs present{note}.",
            )
        )
    return checks


def _check_files(
    request: BatchJobRequest, facts: PlanFacts, column: str
) -> tuple[list[Check], dict[str, str]]:
    checks: list[Check] = []
    handling: dict[str, str] = dict(request.column_handling or {})
    inp = request.input
    listing = facts.files
    if listing is not None:
        if listing.count == 0:
            checks.append(
                Check(
                    name="files",
                    status="fail",
                    message=f"No files under {listing.location} match the pattern.",
                    fix="list_stage_files to see what is there; fix the location or pattern.",
                )
            )
        else:
            exts = ", ".join(f"{k} ×{v}" for k, v in listing.extensions.items())
            checks.append(
                Check(
                    name="files",
                    status="pass",
                    message=f"{listing.count} files, {listing.total_bytes:,} bytes ({exts}).",
                )
            )
    if inp.kind == "files":
        feature = next((f for f in facts.function.inputs if f.name.upper() == column.upper()), None)
        if feature is None:
            checks.append(
                Check(
                    name="file_column",
                    status="fail",
                    message=f"The signature has no input named {column}.",
                    fix=f"Pass column= one of: {', '.join(f.name for f in facts.function.inputs)}.",
                )
            )
        else:
            handling.setdefault(column, inp.encoding or default_encoding(feature))
    for col, enc in handling.items():
        feature = next((f for f in facts.function.inputs if f.name.upper() == col.upper()), None)
        if feature is None:
            names = ", ".join(f.name for f in facts.function.inputs)
            checks.append(
                Check(
                    name=f"encoding_{col}",
                    status="fail",
                    message=f"column_handling names {col}, which is not an input of "
                    f"{facts.function.name} (inputs: {names}).",
                    fix="Key column_handling by the file input's column name.",
                )
            )
            continue
        ok = (enc == "RAW_BYTES") == (feature.dtype.upper() == "BYTES")
        checks.append(
            Check(
                name=f"encoding_{col}",
                status="pass" if ok else "fail",
                message=f"{col} → {enc} for {feature.describe()}",
                fix=None
                if ok
                else (
                    "Use RAW_BYTES for a BYTES input"
                    if feature.dtype.upper() == "BYTES"
                    else "Use BASE64 or BASE64_DATA_URL for a STRING input"
                ),
            )
        )
    return checks, handling


def _check_input_stage(facts: PlanFacts) -> list[Check]:
    """Files are read in place: the job needs an internal SSE stage (or an SSE-encrypted S3 stage)."""
    stage = facts.input_stage
    if stage is None:
        return []
    if stage.kind == "EXTERNAL":
        return [
            Check(
                name="input_stage",
                status="warn",
                message=f"The input files are on an external stage ({stage.name}).",
                fix="Batch jobs read only S3 external stages with server-side encryption; if in "
                "doubt, copy the files to an internal SNOWFLAKE_SSE stage.",
            )
        ]
    if stage.encryption == "SNOWFLAKE_FULL":
        return [
            Check(
                name="input_stage",
                status="fail",
                message=f"The input files are on {stage.name}, which uses client-side encryption "
                "(SNOWFLAKE_FULL); batch jobs cannot read files there.",
                fix="Copy the files to a stage created with create_stage (SNOWFLAKE_SSE), then plan "
                "again with that location.",
            )
        ]
    if stage.encryption == "UNKNOWN":
        return [
            Check(
                name="input_stage",
                status="warn",
                message=f"The encryption of the input stage {stage.name} could not be determined.",
                fix="Multimodal input needs SNOWFLAKE_SSE: if in doubt, copy the files to an SSE stage.",
            )
        ]
    return [
        Check(
            name="input_stage",
            status="pass",
            message=f"The input files are on {stage.name}, internal with {stage.encryption}.",
        )
    ]


_PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "INT": (int,),
    "FLOAT": (int, float),
    "BOOL": (bool,),
    "STRING": (str,),
    "BYTES": (bytes, str),
}


def _param_fits(value: Any, param: ParamInfo) -> bool:
    if value is None or param.dtype == "GROUP":
        return value is None or isinstance(value, dict)
    if param.shape:
        return isinstance(value, (list, tuple)) and all(
            _param_fits(v, param.model_copy(update={"shape": None})) for v in value
        )
    family = dtype_family(param.dtype)
    allowed = _PARAM_TYPES.get(family)
    if allowed is None:
        return True
    if family in ("INT", "FLOAT") and isinstance(value, bool):
        return False
    return isinstance(value, allowed)


def _check_params(request: BatchJobRequest, function: FunctionInfo) -> list[Check]:
    if not request.params:
        return []
    known = {p.name: p for p in function.params}
    unknown = [k for k in request.params if k not in known]
    if unknown:
        hint = f"Known params: {', '.join(known)}." if known else "This function takes no params."
        columns = {f.name.lower() for f in function.inputs}
        as_columns = [k for k in unknown if k.lower() in columns]
        if as_columns:
            hint += (
                f" {', '.join(as_columns)} are inputs of this signature: pass them as columns "
                "(a table or rows input), not as params."
            )
        else:
            hint += " Settings the signature lists as inputs go in columns instead."
        return [
            Check(name="params", status="fail", message=f"Unknown param(s): {', '.join(unknown)}.", fix=hint)
        ]
    wrong = [
        f"{k}={v!r} (the signature wants {known[k].dtype}{list(known[k].shape or []) or ''})"
        for k, v in request.params.items()
        if not _param_fits(v, known[k])
    ]
    if wrong:
        return [
            Check(
                name="params",
                status="fail",
                message="Param type mismatch: " + "; ".join(wrong),
                fix="Give each param a value of the signature's type (show_model_functions lists them).",
            )
        ]
    return [
        Check(
            name="params", status="pass", message=f"Params {', '.join(request.params)} are in the signature."
        )
    ]


def _check_stage(facts: PlanFacts, request: BatchJobRequest) -> list[Check]:
    if facts.stage is None:
        return [
            Check(
                name="output_stage",
                status="fail",
                message=facts.stage_error or f"The output stage of {request.output_stage} does not exist.",
                fix=stage_fix(facts.usable_stages, "Create one with create_stage (always SNOWFLAKE_SSE)."),
            )
        ]
    stage = facts.stage
    checks = []
    if stage.kind == "EXTERNAL":
        checks.append(
            Check(
                name="output_stage",
                status="fail",
                message=f"{stage.name} is an external stage.",
                fix=stage_fix(
                    facts.usable_stages,
                    "Batch output must go to an internal stage: create_stage makes an SSE one.",
                ),
            )
        )
    elif stage.encryption == "SNOWFLAKE_FULL":
        checks.append(
            Check(
                name="output_stage",
                status="fail",
                message=f"{stage.name} uses client-side encryption (SNOWFLAKE_FULL).",
                fix=stage_fix(
                    facts.usable_stages,
                    "Batch jobs need SNOWFLAKE_SSE, and a stage's encryption cannot be changed: "
                    "create a new stage with create_stage and use it.",
                ),
            )
        )
    elif stage.encryption == "UNKNOWN":
        checks.append(
            Check(
                name="output_stage",
                status="warn",
                message=f"The encryption of {stage.name} could not be determined.",
                fix=stage_fix(
                    facts.usable_stages, "If in doubt, create a fresh SSE stage with create_stage."
                ),
            )
        )
    else:
        checks.append(
            Check(
                name="output_stage",
                status="pass",
                message=f"{stage.name} is internal with SNOWFLAKE_SSE ({stage.encryption_evidence}).",
            )
        )
    taken = facts.output_occupants
    if taken:
        shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3} more" if len(taken) > 3 else "")
        if request.mode == "error":
            checks.append(
                Check(
                    name="output_location",
                    status="fail",
                    message=f"{request.output_stage} already holds {shown}; with save mode ERROR Snowflake "
                    "refuses an output base that is not empty.",
                    fix="Use a fresh path for this run (e.g. add a date or run id to output_stage).",
                )
            )
        else:
            checks.append(
                Check(
                    name="output_location",
                    status="warn",
                    message=f"OVERWRITE may remove everything under {request.output_stage} ({shown}), "
                    "other jobs' results included: the sources disagree on whether it clears only this "
                    "job's folder.",
                    fix="Prefer a fresh path with mode='error' unless those results may go.",
                )
            )
    return checks


def _check_pool(facts: PlanFacts, request: BatchJobRequest) -> list[Check]:
    pool = facts.pool
    if pool is None:
        return [
            Check(
                name="compute_pool",
                status="fail",
                message=facts.pool_error or f"Compute pool {request.compute_pool} was not found.",
                fix="list_compute_pools with the model picks a usable pool.",
            )
        ]
    checks = []
    if pool.state == "SUSPENDED" and not pool.auto_resume:
        checks.append(
            Check(
                name="pool_state",
                status="fail",
                message=f"{pool.name} is SUSPENDED with AUTO_RESUME off.",
                fix=f"Call resume_compute_pool for {pool.name} (needs approval), then plan again.",
            )
        )
    elif pool.state in ("SUSPENDED", "STARTING", "RESIZING"):
        checks.append(
            Check(
                name="pool_state",
                status="warn",
                message=f"{pool.name} is {pool.state}; the job waits until nodes are up (minutes).",
            )
        )
    else:
        checks.append(Check(name="pool_state", status="pass", message=f"{pool.name} is {pool.state}."))
    gpu, why = wants_gpu(facts.detail, facts.function.input_kind)
    if facts.detail.needs_gpu and not pool.has_gpu:
        checks.append(
            Check(
                name="pool_gpu",
                status="fail",
                message=f"The model needs a GPU ({why}) and {pool.name} has none.",
                fix="Use a GPU pool (list_compute_pools with the model).",
            )
        )
    elif gpu and not pool.has_gpu:
        checks.append(
            Check(
                name="pool_gpu",
                status="warn",
                message=f"A GPU is recommended: {why}.",
                fix="Consider a GPU pool for large inputs (list_compute_pools with the model).",
            )
        )
    if request.scaling.gpu_requests and not facts.detail.needs_gpu:
        checks.append(
            Check(
                name="gpu_requests",
                status="fail",
                message="gpu_requests is set but the model was logged without a GPU runtime.",
                fix="Drop gpu_requests, or log the model with options={'cuda_version': ...}.",
            )
        )
    replicas = request.scaling.replicas or 1
    if replicas > pool.max_nodes:
        checks.append(
            Check(
                name="replicas",
                status="warn",
                message=f"{replicas} replicas but {pool.name} has at most {pool.max_nodes} node(s); "
                "extra replicas queue.",
                fix="Lower replicas or raise the pool's MAX_NODES.",
            )
        )
    return checks


def resolve_input(request: BatchJobRequest, facts: PlanFacts, column: str) -> ResolvedInput:
    inp = request.input
    if inp.kind == "table":
        return ResolvedInput(
            kind="table",
            table=facts.relation.source if facts.relation else inp.table,
            columns=[c.name for c in _input_columns(request, facts)] if inp.columns else [],
            row_count=facts.relation.row_count if facts.relation else None,
        )
    if inp.kind == "rows":
        rows, _ = resolve_rows(inp.rows)
        return ResolvedInput(kind="rows", rows=rows, columns=list(rows[0]), row_count=len(rows))
    paths = [f.path for f in facts.files.files] if facts.files else []
    origin = (
        {"stage_location": facts.files.location, "pattern": inp.pattern, "limit": inp.limit}
        if facts.files
        else {}
    )
    if inp.kind == "files":
        return ResolvedInput(
            kind="files", files=paths, file_column=column, columns=[column], row_count=len(paths), **origin
        )
    if inp.table:
        return ResolvedInput(
            kind="chat",
            chat_table=facts.relation.source if facts.relation else inp.table,
            table=facts.relation.source if facts.relation else inp.table,
            columns=[],
            row_count=facts.relation.row_count if facts.relation else None,
        )
    return ResolvedInput(
        kind="chat",
        files=paths,
        **origin,
        columns=["MESSAGES"],
        row_count=len(paths),
        chat_template={"prompt": inp.prompt, "system": inp.system, "media": inp.media},
    )


def resolve_job_name(text: str, model: str) -> tuple[str, list[Check]]:
    """The job's full name: the model's database and schema unless given (run_batch's rule, snowflake-ml
    2.6 `service_ops.py`). SHOW SERVICE CONTAINERS/INSTANCES refuse quoted names (ledger F34, F35, D16),
    so a job name and its database and schema must be plain identifiers."""
    from snowbatch.core.errors import SnowbatchError
    from snowbatch.core.names import ObjectName

    fix = (
        "Pass job_name= as a plain name, e.g. SCORE_RUN_1, or fully qualified as DB.SCHEMA.NAME in a "
        "schema with a plain name where the role may CREATE SERVICE."
    )
    owner = ObjectName.parse(model, what="model")
    try:
        job = ObjectName.parse(text, what="job").qualified(owner.database, owner.schema)
    except SnowbatchError as exc:
        return text, [Check(name="job_name", status="fail", message=f"job_name: {exc.problem}", fix=fix)]
    if job.is_plain:
        return str(job), []
    message = (
        f"The job would be named {job}: Snowflake's job commands do not take quoted or case-sensitive "
        "names (a job is created in the model's database and schema unless job_name says otherwise)."
    )
    return str(job), [Check(name="job_name", status="fail", message=message, fix=fix)]


def run_preflight(request: BatchJobRequest, facts: PlanFacts) -> Preflight:
    function = facts.function
    column = file_column(request, function)
    job_name, name_checks = resolve_job_name(facts.job_name, facts.model)
    checks: list[Check] = [
        Check(
            name="model",
            status="pass",
            message=f"{facts.model} version {facts.detail.version}, function {function.name} "
            f"({function.input_kind} input).",
        ),
        *name_checks,
    ]
    handling: dict[str, str] = dict(request.column_handling or {})
    if request.input.kind in ("files", "chat") or handling:
        file_checks, handling = _check_files(request, facts, column)
        checks += file_checks
    if request.input.kind == "chat" and function.input_kind != "chat":
        checks.append(
            Check(
                name="chat_signature",
                status="fail",
                message=f"{function.name} does not take OpenAI chat messages.",
                fix="Use a table, rows or files input for this function.",
            )
        )
    checks += _check_named_columns(request, facts)
    checks += check_columns(function, _input_columns(request, facts), {c.upper() for c in handling})
    rows = facts.relation.row_count if facts.relation else None
    if rows == 0:
        checks.append(
            Check(
                name="row_count",
                status="fail",
                message="The input has no rows.",
                fix="Check the table or query.",
            )
        )
    checks += _check_input_stage(facts)
    checks += _check_params(request, function)
    checks += _check_stage(facts, request)
    checks += _check_pool(facts, request)
    s = request.scaling
    spec = BatchJobSpec(
        model=facts.model,
        version=facts.detail.version,
        function_name=function.name,
        target_method=function.target_method,
        input=resolve_input(request, facts, column),
        output_stage=request.output_stage,
        compute_pool=facts.pool.name if facts.pool else request.compute_pool,
        mode=request.mode,
        job_name=job_name,
        replicas=s.replicas or 1,
        num_workers=s.num_workers,
        max_batch_rows=s.max_batch_rows,
        cpu_requests=s.cpu_requests,
        memory_requests=s.memory_requests,
        gpu_requests=s.gpu_requests,
        params=request.params,
        column_handling=handling or None,
        engine=request.engine,
        engine_args=request.engine_args,
    )
    ok = not any(c.status == "fail" for c in checks)
    return Preflight(checks=checks, spec=spec, summary=summarize(spec, facts, checks), ok=ok)


def _describe_input(spec: BatchJobSpec) -> str:
    inp = spec.input
    rows = f"{inp.row_count:,} rows" if inp.row_count is not None else "row count not computed"
    if inp.kind == "table":
        cols = f", columns {', '.join(shown_column(c) for c in inp.columns)}" if inp.columns else ""
        return f"table {inp.table} ({rows}{cols})"
    if inp.kind == "rows":
        return f"{rows} given inline"
    if inp.kind == "files":
        handling = ", ".join(f"{k} as {v}" for k, v in (spec.column_handling or {}).items())
        return f"{len(inp.files or [])} stage files in column {inp.file_column} ({handling})"
    if inp.chat_table:
        return f"chat messages from table {inp.chat_table} ({rows})"
    return f"{len(inp.files or [])} chat message lists, one per file"


def summarize(spec: BatchJobSpec, facts: PlanFacts, checks: list[Check]) -> str:
    pool = facts.pool
    pool_text = f"{spec.compute_pool} ({pool.instance_family}, {pool.state})" if pool else spec.compute_pool
    scaling = [
        f"{spec.replicas} replica(s)",
        f"workers {spec.num_workers or 'auto'}",
        f"batch rows {spec.max_batch_rows or 'auto'}",
    ]
    for key in ("cpu_requests", "memory_requests", "gpu_requests"):
        if getattr(spec, key):
            scaling.append(f"{key} {getattr(spec, key)}")
    mode = (
        "ERROR — refuse a non-empty location (safe default)"
        if spec.mode == "error"
        else "OVERWRITE — may remove everything under the output base, not only this job's folder"
    )
    lines = [
        f"Batch inference job on the {facts.backend} backend:",
        f"  model    {spec.model} version {spec.version}, function {spec.function_name}",
        f"  input    {_describe_input(spec)}",
        f"  output   {spec.job_output_location} (Parquet, then _SUCCESS); save mode {mode}",
        f"  compute  {pool_text}; {', '.join(scaling)}",
        f"  job name {spec.job_name}",
    ]
    if spec.params:
        lines.append(f"  params   {spec.params}")
    if spec.engine:
        lines.append(f"  engine   {spec.engine} {' '.join(spec.engine_args or [])}")
    warns = [c for c in checks if c.status == "warn"]
    fails = [c for c in checks if c.status == "fail"]
    if fails:
        lines.append("  BLOCKED: " + "; ".join(c.message for c in fails))
    elif warns:
        lines.append("  warnings: " + "; ".join(c.message for c in warns))
    return "\n".join(lines)
