"""Warehouse runs: `ModelVersion.run()` on a table or a query — a preview of a few rows (not gated),
or the results written to a table (gated; an asynchronous query job that the job tools follow).

Annotations: the tool *can* replace a table (mode overwrite), so it is declared read_only false and
destructive true, not idempotent (append adds rows every time). A host that approves on annotations
asks before every call; the server itself asks only before writes. With the `read_only` setting the
tool is registered without its writing arguments, as a read-only preview tool.
"""

import inspect
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, ElicitationResult, MCPServer, Resolve
from pydantic import Field

from snowbatch.app import App
from snowbatch.tools._common import (
    DESTRUCTIVE,
    READ_ONLY,
    Approval,
    Gated,
    approval_resolver,
    done,
    gate,
    object_name,
    tool_errors,
)

ACTION = "run_in_warehouse"
WRITE_ARGS = ["model", "version", "function", "table", "query", "partition_column", "output_table", "mode"]
MAX_CELL_CHARS = 200
Mode = Literal["error", "overwrite", "append"]
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
    mode: Mode,
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

    exists = _table_exists(app, spec.output_table)
    return summarize_write(spec, backend=app.backend.name, target_exists=exists, warnings=warnings), exists


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
        next_step="To write all rows to a table, call run_in_warehouse again with output_table= (and mode=); "
        "it returns a summary to approve first. " + CODE_HINT,
    )


def _preview_only_resolver(app: App, describe: Any) -> Any:
    """Ask for approval of writes only: a preview (no output_table) is approved without a question."""
    base = approval_resolver(app, ACTION, [*WRITE_ARGS, "confirmation_token"], describe)

    def resolver(ctx: Context, **args: Any) -> Any:
        if args.get("output_table") is None:
            return Approval(approve=True)
        return base(ctx, **args)

    resolver.__signature__ = inspect.signature(base)  # type: ignore[attr-defined]
    resolver.__annotations__ = dict(base.__annotations__)
    resolver.__name__ = f"approve_{ACTION}"
    return Resolve(resolver)


def register(server: MCPServer, app: App) -> None:
    if app.settings.read_only:

        @server.tool(name="run_in_warehouse", title="Preview model in warehouse", annotations=READ_ONLY)
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
            """Preview ModelVersion.run() in the warehouse: the first rows of the input (table=
            DB.SCHEMA.TABLE, or query= one SELECT) with the model's output columns. Read-only server:
            nothing can be written."""
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

        return

    def describe_write(**args: Any) -> str:
        spec, warnings = _resolve(
            app,
            model=args["model"],
            version=args.get("version"),
            function=args.get("function"),
            table=args.get("table"),
            query=args.get("query"),
            partition_column=args.get("partition_column"),
            output_table=args.get("output_table"),
            mode=args.get("mode") or "error",
        )
        return _summary(app, spec, warnings)[0]

    @server.tool(title="Run model in warehouse", annotations=DESTRUCTIVE)
    @tool_errors
    def run_in_warehouse(
        model: str,
        approval: Annotated[ElicitationResult[Approval], _preview_only_resolver(app, describe_write)],
        table: str | None = None,
        query: str | None = None,
        version: str | None = None,
        function: str | None = None,
        partition_column: str | None = None,
        output_table: str | None = None,
        mode: Mode = "error",
        preview_limit: Annotated[int, Field(ge=1, le=100)] = 10,
        confirmation_token: str | None = None,
    ) -> Gated:
        """Run a model function in the warehouse (ModelVersion.run) on table= DB.SCHEMA.TABLE or
        query= one SELECT (…WITH allowed; no other statement). The input's columns are checked against
        the signature first. Without output_table: a preview of preview_limit rows (input columns +
        outputs), nothing written, no approval needed. With output_table: GATED — the first call returns
        confirmation_required with a summary (model, version, function, input, table, mode) and a token;
        show it, STOP, and call again with the same arguments plus confirmation_token after an explicit
        yes. The write then runs as an asynchronous query job: follow its job_id with wait_for_job /
        get_job_status, stop it with cancel_job. mode: error (default; refuse an existing table),
        overwrite (replace it), append. partition_column: for partitioned (TABLE_FUNCTION) methods."""
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
        if output_table is None:
            return _preview(app, spec, warnings, preview_limit)
        summary, exists = _summary(app, spec, warnings)
        if mode == "error" and exists:
            from snowbatch.core.errors import Conflict

            raise Conflict(
                f"Table {spec.output_table} already exists and mode is error; nothing was done.",
                "Ask the person: another output_table, mode='overwrite' (replace it) or "
                "mode='append' (add rows).",
            )
        args = {
            "model": model,
            "version": version,
            "function": function,
            "table": table,
            "query": query,
            "partition_column": partition_column,
            "output_table": output_table,
            "mode": mode,
            "confirmation_token": confirmation_token,
        }
        stop = gate(app, ACTION, args, approval, lambda **_: summary)
        if stop:
            return stop
        job = app.backend.submit_warehouse_job(spec)
        return done(
            f"Started writing {spec.output_table} ({mode}) as warehouse job {job.job_id}.",
            job_id=job.job_id,
            status=job.status,
            output_table=spec.output_table,
            next_step="Call wait_for_job with this job_id until it is DONE (cancel_job stops it and leaves "
            "the table unchanged). Then describe_input on the table shows its columns and rows.",
        )
