"""`snowbatch results preview | save`: a finished batch job's results (Parquet on a stage).

`preview` shows the first rows (preview_results); `save` loads complete results (with `_SUCCESS`) into a
table (save_results_to_table, gated: its summary and one yes first).
"""

from __future__ import annotations

from typing import Annotated

import typer

from snowbatch.cli.common import BackendOpt, ConnectionOpt, HomeOpt, JsonOpt, YesOpt, print_json, say
from snowbatch.cli.tool_session import read_tool, tool_session

results_app = typer.Typer(
    no_args_is_help=True, help="A batch job's results: preview rows, save them to a table."
)

JobOpt = Annotated[str | None, typer.Option("--job", help="the job id (its output location)")]
LocationOpt = Annotated[
    str | None, typer.Option("--location", help="or a stage location, @DB.SCHEMA.STAGE/dir/")
]


@results_app.command("preview")
def preview(
    job: JobOpt = None,
    location: LocationOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="rows to show")] = 10,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """The first rows of a job's results (inputs and outputs; long cells cut short)."""
    from snowbatch.cli.views import print_preview

    rows = read_tool(
        "preview_results",
        {"job_id": job, "location": location, "limit": limit},
        as_json=as_json,
        home=home,
        backend=backend,
        connection=connection,
    )
    if rows is None:
        return
    print_preview(rows, title=rows.get("location"))


@results_app.command("save")
def save(
    table: Annotated[str, typer.Option("--table", help="DB.SCHEMA.TABLE to write")],
    job: JobOpt = None,
    location: LocationOpt = None,
    mode: Annotated[
        str, typer.Option(help="error (refuse an existing table), overwrite or append")
    ] = "error",
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Load a job's complete results into a table (refused without _SUCCESS; asks first)."""
    args = {"table": table, "job_id": job, "location": location, "mode": mode}
    with tool_session(home, backend, connection) as tools:
        saved = tools.approve(
            "save_results_to_table", args, yes=yes, as_json=as_json, question="Write the table?"
        )
    if as_json:
        print_json(saved)
    else:
        say(saved["summary"])
