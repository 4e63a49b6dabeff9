"""Warehouse runs: `ModelVersion.run()` on a table or a query, previewed or written to a table.

Pure: the checks of a user's query text (the one place snowbatch accepts SQL from a person), the
spec a backend runs, the checks of the input against the function's signature, the human summary a
write is approved on, and the job ids of warehouse writes. Backends do the I/O.

A query is accepted only as one SELECT (or WITH … SELECT) statement and is always run wrapped as a
subquery, `SELECT * FROM (\n<query>\n) AS "SNOWBATCH_INPUT"`, so it can only ever be read from.
"""

from __future__ import annotations

import re
import uuid

from pydantic import BaseModel, Field

from snowbatch.core.checks_input import check_columns
from snowbatch.core.compute import compute_for
from snowbatch.core.errors import InvalidRequest
from snowbatch.core.names import Identifier, ObjectName
from snowbatch.core.plan_facts import Check
from snowbatch.core.records import ColumnInfo, TableWriteMode, VersionDetail
from snowbatch.core.signatures import FunctionInfo

WAREHOUSE_JOB_PREFIX = "WAREHOUSE_QUERY_"
MAX_QUERY_CHARS = 100_000
INPUT_ALIAS = Identifier("SNOWBATCH_INPUT")

# Statement keywords that never belong in a query that only reads (checked outside parentheses).
_WRITING_KEYWORDS = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "CREATE",
        "DROP",
        "ALTER",
        "TRUNCATE",
        "GRANT",
        "REVOKE",
        "CALL",
        "EXECUTE",
        "COPY",
        "UNDROP",
        "PUT",
        "REMOVE",
        "ATTACH",
        "DETACH",
        "PRAGMA",
    }
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_QUERY_FIX = (
    "Give one SELECT (or WITH … SELECT) statement without a semicolon in the middle, or pass table= instead."
)


def _reject(problem: str, fix: str = _QUERY_FIX) -> InvalidRequest:
    return InvalidRequest(f"The query cannot be used: {problem}.", fix)


def _code_words(text: str) -> list[tuple[str, int]]:
    """The words of a query outside strings, quoted names and comments, with their parenthesis depth.

    Scans in Snowflake's dialect and errs on the side of refusing: a `;` anywhere but at the very end,
    a nested block comment or a backslash-escaped quote (read differently by DuckDB and Snowflake) is
    an error, so what this scanner accepts, both engines read as the same single statement.
    """
    words: list[tuple[str, int]] = []
    depth = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "'":
            j = i + 1
            while j < n:
                if text[j] == "\\":
                    if j + 1 < n and text[j + 1] == "'":
                        raise _reject(
                            "a quote inside a string is escaped with a backslash",
                            "Write a quote inside a string as two quotes ('').",
                        )
                    j += 2
                    continue
                if text[j] == "'":
                    if j + 1 < n and text[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise _reject("a string is not closed", "Close every '...' string.")
            i = j + 1
        elif ch == '"':
            j = text.find('"', i + 1)
            while j != -1 and j + 1 < n and text[j + 1] == '"':
                j = text.find('"', j + 2)
            if j == -1:
                raise _reject("a quoted name is not closed", 'Close every "..." name.')
            i = j + 1
        elif text.startswith("$$", i):
            j = text.find("$$", i + 2)
            if j == -1:
                raise _reject("a $$ string is not closed", "Close every $$...$$ string.")
            i = j + 2
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j == -1 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j == -1:
                raise _reject("a /* comment is not closed", "Close every /* comment */.")
            if "/*" in text[i + 2 : j]:
                raise _reject("comments are nested", "Remove the inner /* from the comment.")
            i = j + 2
        elif ch == "(":
            depth += 1
            i += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise _reject("a ')' has no matching '('", "Balance the parentheses.")
            i += 1
        elif ch == ";":
            if not re.fullmatch(r"[\s;]*", text[i + 1 :]):
                raise _reject("it holds more than one statement")
            i += 1
        else:
            m = _WORD.match(text, i)
            if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$")):
                words.append((m.group().upper(), depth))
                i = m.end()
            else:
                i += 1
    if depth != 0:
        raise _reject("a '(' is not closed", "Balance the parentheses.")
    return words


def check_query(text: str) -> str:
    """A person's query, checked to be exactly one read-only SELECT; returned without a final `;`."""
    if not isinstance(text, str) or not text.strip():
        raise _reject("it is empty", "Give a SELECT statement, or pass table= instead.")
    if len(text) > MAX_QUERY_CHARS:
        raise _reject(
            f"it is longer than {MAX_QUERY_CHARS:,} characters",
            "Put the logic in a view and pass table= with the view's name.",
        )
    if "\x00" in text:
        raise _reject("it contains a NUL character", "Remove it.")
    words = _code_words(text)
    if not words:
        raise _reject("it holds no statement", "Give a SELECT statement.")
    first = words[0][0]
    if first not in ("SELECT", "WITH"):
        raise _reject(f"it starts with {first}; only a SELECT (or WITH … SELECT) reads the input")
    writing = sorted({w for w, depth in words if depth == 0 and w in _WRITING_KEYWORDS})
    if writing:
        raise _reject(f"it contains {', '.join(writing)}; only a query that reads rows can be used")
    if first == "WITH" and not any(w == "SELECT" and depth == 0 for w, depth in words):
        raise _reject("the WITH clause is not followed by a SELECT")
    return re.sub(r"[\s;]+\Z", "", text.strip())


def query_as_relation(query: str) -> str:
    """A checked query as a FROM item. The newline before ')' keeps a trailing `--` comment closed."""
    return f"(\n{check_query(query)}\n) AS {INPUT_ALIAS.sql}"


def short_query(query: str, limit: int = 120) -> str:
    flat = " ".join(query.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class WarehouseRunSpec(BaseModel):
    """One warehouse run, resolved: names qualified (display form), function chosen, input checked."""

    model: str = Field(description="DB.SCHEMA.MODEL")
    version: str
    function_name: str = Field(description="SQL name, as SHOW FUNCTIONS lists it")
    target_method: str
    table_function: bool = Field(False, description="a TABLE_FUNCTION (partitioned or multi-row output)")
    partitioned: bool = False
    input_table: str | None = None
    input_query: str | None = Field(None, description="one checked SELECT; run as a subquery")
    input_columns: list[str] = Field(default_factory=list, description="the input's columns, as described")
    input_names: list[str] = Field(default_factory=list, description="the signature's input names")
    output_names: list[str] = Field(default_factory=list, description="the signature's output names")
    partition_column: str | None = Field(None, description="exact column name in the input")
    output_table: str | None = Field(None, description="DB.SCHEMA.TABLE; None for a preview")
    mode: TableWriteMode = "error"

    @property
    def keeps_input_columns(self) -> bool:
        """Snowpark in → input columns + outputs; partitioned methods return their outputs only."""
        return not self.partitioned

    def input_sql(self) -> str:
        """The input as a FROM item: the quoted table name, or the checked query as a subquery."""
        if self.input_query is not None:
            return query_as_relation(self.input_query)
        if self.input_table is None:
            raise InvalidRequest("The run has no input.", "Pass table= or query=.")
        return ObjectName.parse(self.input_table, what="table").sql

    def describe_input(self) -> str:
        if self.input_query is not None:
            return f"query `{short_query(self.input_query)}`"
        return f"table {self.input_table}"


def _match_column(name: str, columns: list[ColumnInfo]) -> str | None:
    exact = next((c.name for c in columns if c.name == name), None)
    if exact is not None:
        return exact
    return next((c.name for c in columns if c.name.upper() == name.upper()), None)


def resolve_partition_column(partition_column: str | None, columns: list[ColumnInfo]) -> str | None:
    """The input's exact name for the partition column (matched as Snowflake would, then by case)."""
    if partition_column is None:
        return None
    try:
        wanted = Identifier.parse(partition_column).name
    except Exception:
        wanted = partition_column
    return _match_column(wanted, columns) or _match_column(partition_column, columns)


def check_run(
    detail: VersionDetail, function: FunctionInfo, columns: list[ColumnInfo], partition_column: str | None
) -> list[Check]:
    """Everything that can be known before a warehouse run: where it may run, columns, partitioning."""
    checks: list[Check] = []
    compute = compute_for(detail, function)
    if not compute.warehouse:
        checks.append(
            Check(
                name="runnable_in",
                status="fail",
                message=f"{detail.model} version {detail.version} cannot run in a warehouse: "
                f"{compute.warehouse_reason}.",
                fix="Run it as a batch job on a compute pool instead: plan_batch_job "
                "(see show_model_functions).",
            )
        )
    checks += check_columns(function, columns, set())
    table_function = function.function_type == "TABLE_FUNCTION" or function.is_partitioned
    if partition_column is not None:
        if not table_function:
            checks.append(
                Check(
                    name="partition_column",
                    status="fail",
                    message="partition_column applies to partitioned (TABLE_FUNCTION) methods; "
                    f"{function.name} is a plain FUNCTION.",
                    fix="Leave partition_column out for this function.",
                )
            )
        elif resolve_partition_column(partition_column, columns) is None:
            names = ", ".join(c.name for c in columns[:20])
            checks.append(
                Check(
                    name="partition_column",
                    status="fail",
                    message=f"The input has no column {partition_column!r} to partition by.",
                    fix=f"Use one of the input's columns: {names}.",
                )
            )
        else:
            checks.append(
                Check(
                    name="partition_column",
                    status="pass",
                    message=f"Rows are grouped by {partition_column} before {function.name} runs.",
                )
            )
    elif function.is_partitioned:
        checks.append(
            Check(
                name="partition_column",
                status="warn",
                message=f"{function.name} is partitioned but no partition_column was given: the whole "
                "input is one partition.",
                fix="Pass partition_column= with the column whose values split the input (e.g. a store id).",
            )
        )
    return checks


def raise_on_failures(checks: list[Check]) -> None:
    fails = [c for c in checks if c.status == "fail"]
    if fails:
        raise InvalidRequest(
            "The warehouse run was checked and not started: " + " ".join(c.message for c in fails),
            " ".join(c.fix or "" for c in fails).strip() or "Fix the input and call again.",
        )


def make_spec(
    detail: VersionDetail,
    function: FunctionInfo,
    columns: list[ColumnInfo],
    *,
    input_table: str | None,
    input_query: str | None,
    partition_column: str | None,
    output_table: str | None,
    mode: TableWriteMode,
) -> WarehouseRunSpec:
    return WarehouseRunSpec(
        model=detail.model,
        version=detail.version,
        function_name=function.name,
        target_method=function.target_method,
        table_function=function.function_type == "TABLE_FUNCTION" or function.is_partitioned,
        partitioned=function.is_partitioned,
        input_table=input_table,
        input_query=check_query(input_query) if input_query is not None else None,
        input_columns=[c.name for c in columns],
        input_names=[f.name for f in function.inputs],
        output_names=[f.name for f in function.outputs],
        partition_column=resolve_partition_column(partition_column, columns),
        output_table=output_table,
        mode=mode,
    )


_MODE_TEXT = {
    "error": "ERROR — refuse if the table exists (safe default)",
    "overwrite": "OVERWRITE — replace the table and all its rows",
    "append": "APPEND — add rows to the table",
}


def summarize_write(
    spec: WarehouseRunSpec,
    *,
    backend: str,
    target_exists: bool | None,
    warnings: list[str] | None = None,
    cost: str | None = None,
) -> str:
    """What the person approves: model, version, function, input, target table, mode."""
    exists = {True: " (exists)", False: " (new)", None: ""}[target_exists]
    columns = (
        "input columns + " if spec.keeps_input_columns else ""
    ) + f"outputs {', '.join(spec.output_names) or '(from the model)'}"
    lines = [
        f"Warehouse run on the {backend} backend (ModelVersion.run, then save_as_table):",
        f"  model    {spec.model} version {spec.version}, function {spec.function_name}",
        f"  input    {spec.describe_input() if spec.input_query is None else 'query (run as a subquery):'}",
    ]
    if spec.input_query is not None:
        shown = spec.input_query if len(spec.input_query) <= 2000 else spec.input_query[:2000] + "\n…(cut)"
        lines += ["             " + line for line in shown.splitlines()]
    if spec.partition_column:
        lines.append(f"  groups   partitioned by {spec.partition_column}")
    lines += [
        f"  writes   table {spec.output_table}{exists}: {columns}",
        f"  mode     {_MODE_TEXT[spec.mode]}",
        "  runs as  an asynchronous query job (job id returned; wait_for_job / cancel_job work on it)",
    ]
    if cost:
        lines.append(f"  cost     {cost}")
    if spec.mode == "error" and target_exists:
        lines.append("  BLOCKED: the table exists and the mode is ERROR — choose another table or a mode.")
    if warnings:
        lines.append("  warnings: " + "; ".join(warnings))
    return "\n".join(lines)


# --- job ids ---------------------------------------------------------------------------------------
def new_local_job_name() -> str:
    return f"{WAREHOUSE_JOB_PREFIX}{uuid.uuid4().hex[:20].upper()}"


def job_name_for_query(query_id: str) -> str:
    """A Snowflake query id (a UUID) as a job name: WAREHOUSE_QUERY_<32 hex digits, upper-case>."""
    digits = query_id.replace("-", "")
    if not re.fullmatch(r"[0-9A-Fa-f]{32}", digits):
        raise ValueError(f"not a Snowflake query id: {query_id!r}")
    return WAREHOUSE_JOB_PREFIX + digits.upper()


def query_id_for_job_name(name: str) -> str | None:
    """The query id a warehouse job name stands for, or None when it is not one."""
    if not name.upper().startswith(WAREHOUSE_JOB_PREFIX):
        return None
    digits = name[len(WAREHOUSE_JOB_PREFIX) :].lower()
    if not re.fullmatch(r"[0-9a-f]{32}", digits):
        return None
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def is_warehouse_job(name: ObjectName | str) -> bool:
    text = name.name.name if isinstance(name, ObjectName) else str(name).rsplit(".", 1)[-1]
    return text.upper().startswith(WAREHOUSE_JOB_PREFIX)
