"""`snowbatch warehouse preview | run`: `ModelVersion.run()` in a warehouse, on a table or a query.

`preview` scores the first rows and writes nothing (preview_in_warehouse). `run` writes every row to a
table (run_in_warehouse, gated): its summary, one yes, then a progress bar until the table is written.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from snowbatch.cli.common import (
    EXIT_ENDED_BADLY,
    EXIT_STILL_RUNNING,
    BackendOpt,
    ConnectionOpt,
    HomeOpt,
    JsonOpt,
    YesOpt,
    err,
    print_json,
    say,
)
from snowbatch.cli.tool_session import read_tool, tool_session

warehouse_app = typer.Typer(
    no_args_is_help=True,
    help="Run a model in a warehouse (ModelVersion.run): preview rows, or write a table.",
)

ModelOpt = Annotated[str, typer.Option("--model", help="DB.SCHEMA.MODEL")]
VersionOpt = Annotated[str | None, typer.Option("--version", help="model version (default: the default)")]
FunctionOpt = Annotated[str | None, typer.Option("--function", help="function (when the model has several)")]
TableOpt = Annotated[str | None, typer.Option("--table", help="input: a table or view")]
QueryOpt = Annotated[str | None, typer.Option("--query", help="input: a SELECT")]
PartitionOpt = Annotated[str | None, typer.Option("--partition-column", help="for partitioned functions")]


@warehouse_app.command("preview")
def preview(
    model: ModelOpt,
    table: TableOpt = None,
    query: QueryOpt = None,
    version: VersionOpt = None,
    function: FunctionOpt = None,
    partition_column: PartitionOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="rows to score")] = 10,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Score the first rows in the warehouse and show them; nothing is written."""
    from snowbatch.cli.views import print_preview

    args: dict[str, Any] = {"model": model, "table": table, "query": query, "version": version}
    args |= {"function": function, "partition_column": partition_column, "preview_limit": limit}
    result = read_tool(
        "preview_in_warehouse", args, as_json=as_json, home=home, backend=backend, connection=connection
    )
    if result is None:
        return
    say(result["summary"])
    print_preview(result["result"])
    for warning in result["result"].get("warnings") or []:
        say(f"warn: {warning}")


@warehouse_app.command("run")
def run(
    model: ModelOpt,
    output_table: Annotated[str, typer.Option("--output-table", help="DB.SCHEMA.TABLE to write")],
    table: TableOpt = None,
    query: QueryOpt = None,
    version: VersionOpt = None,
    function: FunctionOpt = None,
    partition_column: PartitionOpt = None,
    mode: Annotated[
        str, typer.Option(help="error (refuse an existing table), overwrite or append")
    ] = "error",
    yes: YesOpt = False,
    timeout: Annotated[float, typer.Option(min=1, help="stop waiting after this many seconds")] = 3600.0,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Write a model function's results for every row to a table: the summary, one yes, then a progress
    bar until it is written. Exits 1 when not approved or the run failed, 3 at --timeout."""
    from snowbatch.cli.views import follow_job, job_info, job_line
    from snowbatch.core.job_advice import next_step

    args = {"model": model, "output_table": output_table, "table": table, "query": query}
    args |= {"version": version, "function": function, "partition_column": partition_column, "mode": mode}
    out = err if as_json else None
    with tool_session(home, backend, connection) as tools:
        started = tools.approve(
            "run_in_warehouse", args, yes=yes, as_json=as_json, question="Write the table?"
        )
        say(started["summary"], out)
        job_id = str(started["result"]["job_id"])
        view = follow_job(tools, job_id, timeout=timeout, out=out)
    job = job_info(view)
    if as_json:
        print_json({"started": started, "job": view})
    else:
        say(job_line(job))
        say(f"Next: {next_step(job, 'person')}")
    if not job.is_terminal:
        raise typer.Exit(EXIT_STILL_RUNNING)
    if job.status != "DONE":
        raise typer.Exit(EXIT_ENDED_BADLY)
