"""Job output: inspect (files, rows, _SUCCESS), preview, and save to a table (gated)."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from snowbatch.app import App
from snowbatch.core.errors import Conflict, InvalidRequest
from snowbatch.core.output import LISTED, MAX_LISTED, cut_listing
from snowbatch.core.records import OutputInfo, ResultPreview, TableWriteMode
from snowbatch.tools._common import (
    CREATES,
    MAX_CELL_CHARS,
    READ_ONLY,
    Gated,
    done,
    gated,
    object_name,
    stage_location,
    tool_errors,
)


def register(server: MCPServer, app: App) -> None:
    def location_of(job_id: str | None, location: str | None) -> Any:
        if (job_id is None) == (location is None):
            raise InvalidRequest(
                "Give exactly one of job_id= or location=.",
                "Pass the job id from submit_batch_job, or a stage location.",
            )
        if job_id is not None:
            job = app.backend.get_job(object_name(app, job_id, "job"))
            if job.kind == "warehouse":
                raise InvalidRequest(
                    f"Job {job.job_id} is a warehouse run: its result is the table {job.output_location}, "
                    "not files on a stage.",
                    "Follow it with wait_for_job; once DONE, read the table (describe_input shows it).",
                )
            if not job.output_location:
                raise InvalidRequest(f"Job {job.job_id} has no output location.", "Pass location= instead.")
            return stage_location(app, job.output_location)
        return stage_location(app, location or "")

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def inspect_output(
        job_id: str | None = None,
        location: str | None = None,
        limit: Annotated[int, Field(ge=1, le=MAX_LISTED)] = LISTED,
    ) -> OutputInfo:
        """A job's or location's output: files, rows, _SUCCESS, state (complete; partial: never a full
        result; foreign; empty) and advice."""
        info = cut_listing(app.backend.inspect_output(location_of(job_id, location)), limit)
        if job_id is not None:
            from snowbatch.core.output import advise_for_job

            info = advise_for_job(info, app.backend.get_job(object_name(app, job_id, "job")))
        return info

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def preview_results(
        job_id: str | None = None,
        location: str | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 10,
    ) -> ResultPreview:
        """The first rows of a job's results (inputs, outputs); long cells cut."""
        return app.backend.preview_results(
            location_of(job_id, location), limit=limit, max_cell_chars=MAX_CELL_CHARS
        )

    def describe_save(
        table: str, job_id: str | None = None, location: str | None = None, mode: str = "error"
    ) -> str:
        where = location_of(job_id, location)
        _require_complete(app, where, job_id)  # no token for a save that must not happen
        target = object_name(app, table, "table")
        if mode == "error" and _table_exists(app, target):
            raise Conflict(
                f"Table {target} already exists and mode is error; nothing was done.",
                "Ask the person: another table, mode='append' (add rows) or mode='overwrite' (replace it).",
            )
        what = {
            "error": "a new table",
            "overwrite": "REPLACE the table if it exists",
            "append": "append to the table if it exists",
        }[mode]
        return f"Load the Parquet results under {where} into table {target} ({what})."

    @server.tool(annotations=CREATES)
    @gated(app, describe_save)
    def save_results_to_table(
        table: str,
        job_id: str | None = None,
        location: str | None = None,
        mode: TableWriteMode = "error",
    ) -> Gated:
        """Load a finished job's complete results into a table. Gated."""
        target = object_name(app, table, "table")
        rows = app.backend.save_results_to_table(location_of(job_id, location), target, mode=mode)
        return done(f"Wrote {rows:,} rows to {target}.", table=str(target), rows=rows)


def _table_exists(app: App, table: Any) -> bool:
    from snowbatch.core.errors import NotFound

    try:
        app.backend.describe_table(table, count_rows=False)
    except NotFound:
        return False
    return True


def _require_complete(app: App, where: Any, job_id: str | None) -> None:
    """Refuse output without _SUCCESS, whatever the backend: saving it would hide missing rows."""
    from snowbatch.core.output import advise_for_job

    info = app.backend.inspect_output(where)
    if info.state == "complete":
        return
    if job_id is not None:
        info = advise_for_job(info, app.backend.get_job(object_name(app, job_id, "job")))
    raise InvalidRequest(
        f"{info.location} has no _SUCCESS marker: its results are {info.state}, so nothing was saved.",
        info.advice or "Wait for the job to finish (wait_for_job), or run it again; then save.",
    )
