"""Warehouse runs: `ModelVersion.run()` on a table or a query.

Two tools, so a client prompts only where something changes: `preview_in_warehouse` scores a few rows
and writes nothing (read-only); `run_in_warehouse` writes every row to a table (gated; it may replace a
table in overwrite mode, so it is declared destructive) as an asynchronous query job that the job tools
follow.
"""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from snowbatch.app import App
from snowbatch.core.records import TableWriteMode
from snowbatch.tools._common import (
    DESTRUCTIVE,
    MAX_CELL_CHARS,
    READ_ONLY,
    Gated,
    done,
    gated,
    object_name,
    started,
    tool_errors,
)

CODE_HINT = (
    "For code the person keeps, call generate_code with template warehouse_run_snowpark (Python), "
    "sql_model_function (SQL form), dbt_model or dynamic_table — parameters model, version, "
    "function_name, input_table, columns."
)


def _resolve(
    app: App,
    *,
    model: str,
    version: str | None,
    function: str | None,
    table: str | None,
    query: str | None,
    partition_column: str | None,
    output_table: str | None,
    mode: TableWriteMode,
) -> tuple[Any, list[str]]:
    """The checked run: (WarehouseRunSpec, warnings). Raises before anything runs when a check fails."""
    from snowbatch.core.errors import InvalidRequest
    from snowbatch.core.names import Identifier
    from snowbatch.core.signatures import find_function
    from snowbatch.core.warehouse import check_query, check_run, make_spec, raise_on_failures

    if (table is None) == (query is None):
        raise InvalidRequest(
            "Give the input as exactly one of table= or query=.",
            "table='DB.SCHEMA.TABLE', or query='SELECT … FROM …' (one SELECT statement).",
        )
    name = object_name(app, model, "model")
    detail = app.backend.version_detail(name, Identifier.parse(version) if version else None)
    fn = find_function(detail.functions, function)
    if table is not None:
        input_table: str | None = str(object_name(app, table, "table"))
        relation = app.backend.describe_table(object_name(app, table, "table"), count_rows=False)
        input_query = None
    else:
        input_table, input_query = None, check_query(query or "")
        relation = app.backend.describe_query(input_query)
    checks = check_run(detail, fn, relation.columns, partition_column)
    raise_on_failures(checks)
    target = str(object_name(app, output_table, "table")) if output_table else None
    spec = make_spec(
        detail,
        fn,
        relation.columns,
        input_table=input_table,
        input_query=input_query,
        partition_column=partition_column,
        output_table=target,
        mode=mode,
    )
    return spec, [c.message for c in checks if c.status == "warn"]


def _table_exists(app: App, table: str) -> bool | None:
    from snowbatch.core.errors import NotFound, SnowbatchError

    try:
        app.backend.describe_table(object_name(app, table, "table"), count_rows=False)
        return True
    except NotFound:
        return False
    except SnowbatchError:
        return None


def _summary(app: App, spec: Any, warnings: list[str]) -> tuple[str, bool | None]:
    from snowbatch.core.warehouse import summarize_write
    from snowbatch.estimates import warehouse_cost_line

    exists = _table_exists(app, spec.output_table)
    cost = warehouse_cost_line(app.backend, spec) if not (spec.mode == "error" and exists) else None
    summary = summarize_write(
        spec, backend=app.backend.name, target_exists=exists, warnings=warnings, cost=cost
    )
    return summary, exists


def _preview(app: App, spec: Any, warnings: list[str], limit: int) -> Gated:
    preview = app.backend.run_in_warehouse(spec, preview_limit=limit, max_cell_chars=MAX_CELL_CHARS)
    return done(
        f"Preview of {spec.function_name} ({spec.model} version {spec.version}) on {spec.describe_input()}: "
        f"{len(preview.rows)} row(s); nothing was written.",
        columns=preview.columns,
        output_columns=spec.output_names,
        rows=preview.rows,
        truncated_cells=preview.truncated_cells,
        warnings=warnings or None,
        next_step="To write every row to a table, call run_in_warehouse with output_table= (and mode=); "
        "it returns a summary to approve first. " + CODE_HINT,
    )


def register(server: MCPServer, app: App) -> None:
    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def preview_in_warehouse(
        model: str,
        table: str | None = None,
        query: str | None = None,
        version: str | None = None,
        function: str | None = None,
        partition_column: str | None = None,
        preview_limit: Annotated[int, Field(ge=1, le=100)] = 10,
    ) -> Gated:
        """Run a model function in the warehouse (ModelVersion.run) on the first preview_limit rows of
        table= or query=. Writes nothing."""
        spec, warnings = _resolve(
            app,
            model=model,
            version=version,
            function=function,
            table=table,
            query=query,
            partition_column=partition_column,
            output_table=None,
            mode="error",
        )
        return _preview(app, spec, warnings, preview_limit)

    def describe_write(
        model: str,
        output_table: str,
        table: str | None = None,
        query: str | None = None,
        version: str | None = None,
        function: str | None = None,
        partition_column: str | None = None,
        mode: TableWriteMode = "error",
    ) -> str:
        spec, warnings = _resolve(
            app,
            model=model,
            version=version,
            function=function,
            table=table,
            query=query,
            partition_column=partition_column,
            output_table=output_table,
            mode=mode,
        )
        summary, exists = _summary(app, spec, warnings)
        if mode == "error" and exists:
            from snowbatch.core.errors import Conflict

            raise Conflict(
                f"Table {spec.output_table} already exists and mode is error; nothing was done.",
                "Ask the person: another output_table, mode='overwrite' (replace it) or "
                "mode='append' (add rows).",
            )
        return summary

    @server.tool(annotations=DESTRUCTIVE)
    @gated(app, describe_write)
    def run_in_warehouse(
        model: str,
        output_table: str,
        table: str | None = None,
        query: str | None = None,
        version: str | None = None,
        function: str | None = None,
        partition_column: str | None = None,
        mode: TableWriteMode = "error",
    ) -> Gated:
        """Write a function's results for every row of table= or query= to output_table
        (ModelVersion.run) as a query job for wait_for_job. Gated."""
        spec, _ = _resolve(
            app,
            model=model,
            version=version,
            function=function,
            table=table,
            query=query,
            partition_column=partition_column,
            output_table=output_table,
            mode=mode,
        )
        job = app.backend.submit_warehouse_job(spec)
        return started(
            f"Started writing {spec.output_table} ({mode}) as warehouse job {job.job_id}.",
            job_id=job.job_id,
            status=job.status,
            output_table=spec.output_table,
            next_step="Call wait_for_job with this job_id until it is DONE (cancel_job stops it and leaves "
            "the table unchanged). Then describe_input on the table shows its columns and rows.",
        )
