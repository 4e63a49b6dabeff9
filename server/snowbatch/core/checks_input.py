"""Preflight checks of a job's input: columns against the signature, files and their encodings, the
stage the files are on, and signature params."""

from __future__ import annotations

from typing import Any

from snowbatch.core.input_columns import map_columns, resolve_rows, select_columns
from snowbatch.core.plan_facts import Check, PlanFacts
from snowbatch.core.records import (
    ColumnInfo,
)
from snowbatch.core.requests import BatchJobRequest
from snowbatch.core.signatures import (
    FeatureInfo,
    FunctionInfo,
    ParamInfo,
    dtype_family,
    is_file_input,
    sql_type_fits,
)


def input_columns(request: BatchJobRequest, facts: PlanFacts) -> list[ColumnInfo]:
    inp = request.input
    if inp.kind == "rows":
        rows, _ = resolve_rows(inp.rows)
        return [ColumnInfo(name=k, sql_type=sql_type_of(v)) for k, v in rows[0].items()]
    if inp.kind == "files":
        return [ColumnInfo(name=file_column(request, facts.function), sql_type="VARCHAR")]
    if inp.kind == "chat" and inp.table is None:
        return [ColumnInfo(name="MESSAGES", sql_type="VARCHAR")]
    if facts.relation is None:
        return []
    picked = inp.columns if inp.kind == "table" else None
    if isinstance(picked, dict):
        return map_columns(facts.relation.columns, picked)[0]
    return select_columns(facts.relation.columns, picked or [])[0]


def check_named_columns(request: BatchJobRequest, facts: PlanFacts) -> list[Check]:
    """Inline row keys and picked table columns that cannot be resolved to one set of columns."""
    inp = request.input
    problem = None
    if inp.kind == "rows":
        problem = resolve_rows(inp.rows)[1]
    elif inp.kind == "table" and isinstance(inp.columns, dict) and facts.relation is not None:
        problem = map_columns(facts.relation.columns, inp.columns)[2]
    elif inp.kind == "table" and isinstance(inp.columns, list) and facts.relation is not None:
        problem = select_columns(facts.relation.columns, inp.columns)[1]
    if problem is None:
        return []
    fix = (
        "Give every row the same keys, one per column (a plain key is upper-cased as SQL would; "
        'quote it, e.g. "Mixed", to keep its case).'
        if inp.kind == "rows"
        else "Name columns from describe_input's list, written as it shows them (as a list, or as "
        "{signature input: column}), or leave columns out."
    )
    return [Check(name="input_columns", status="fail", message=problem + ".", fix=fix)]


def sql_type_of(value: Any) -> str:
    """The SQL type a value read back from results suggests (inline rows, a job's output)."""
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


def check_files(
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
                    fix=listing.note or "list_stage_files shows what is there; fix the location or pattern.",
                )
            )
        else:
            exts = ", ".join(f"{k} ×{v}" for k, v in listing.extensions.items())
            checks.append(
                Check(
                    name="files",
                    status="pass",
                    message=f"{listing.count} files, {listing.total_bytes:,} bytes ({exts})"
                    + (f": {listing.note}." if listing.note else "."),
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


def check_input_stage(facts: PlanFacts) -> list[Check]:
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


def check_params(request: BatchJobRequest, function: FunctionInfo) -> list[Check]:
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
