"""`snowbatch jobs …`: follow and control batch (and warehouse) jobs from a terminal.

The same facts the MCP tools give an assistant, for a person: `list`, `status`, `wait` (a progress bar,
bounded by --timeout), `logs` (a tail, with the command for older lines) and `cancel` (says what it will
do and asks first). Works on either backend through `snowbatch.server.make_backend`.

Exit codes (cli/common.py): 0 done / ok; 1 the job ended without success, or the person said no; 2 a
problem (with the next step printed); 3 `wait` ran out of time while the job is still going.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from snowbatch.cli.common import (
    EXIT_ENDED_BADLY,
    EXIT_STILL_RUNNING,
    BackendOpt,
    ConnectionOpt,
    HomeOpt,
    JsonOpt,
    YesOpt,
    console,
    err,
    job_progress,
    print_json,
    rows_text,
    run_backend,
    say,
    settings_from,
)

if TYPE_CHECKING:
    from pathlib import Path

    from snowbatch.backends.base import Backend
    from snowbatch.core.names import ObjectName
    from snowbatch.core.records import JobInfo

jobs_app = typer.Typer(
    no_args_is_help=True, help="Follow and control batch jobs: list, status, wait, logs, cancel."
)

WIDE_TABLE = 150  # columns a terminal needs for the jobs table with full ids and locations

JobArg = Annotated[str, typer.Argument(help="job id (DB.SCHEMA.NAME, or NAME in the default schema)")]


def _backend(home: Path | None, backend: str | None, connection: str | None) -> Backend:
    from snowbatch.server import make_backend

    return make_backend(settings_from(home, backend, connection))


def _job_name(backend: Backend, text: str) -> ObjectName:
    from snowbatch.core.names import ObjectName, qualify

    return qualify(ObjectName.parse(text, what="job"), backend.default_schema())


def _progress_text(job: JobInfo) -> str:
    prog = job.progress
    return rows_text(prog.rows_done, prog.rows_total) if prog is not None else ""


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


@jobs_app.command("list")
def list_jobs(
    limit: Annotated[int, typer.Option(min=1, max=100, help="jobs per page")] = 20,
    cursor: Annotated[Optional[str], typer.Option(help="next_cursor of the previous page")] = None,  # noqa: UP045
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Recent jobs, newest first (batch jobs and warehouse query jobs)."""
    b = _backend(home, backend, connection)
    page = run_backend(lambda: b.list_jobs(limit=limit, cursor=cursor))
    if as_json:
        print_json(page.model_dump_json(exclude_none=True))
        return
    if not page.items:
        console.print("No jobs yet.")
        return
    rows = [
        (j.job_id, j.kind, j.status, _progress_text(j), _when(j.created_on), j.output_location or "")
        for j in page.items
    ]
    if console.is_terminal and console.width >= WIDE_TABLE:
        table = Table()
        # ids and locations are what a person copies into the next command: never cut them short
        table.add_column("job", no_wrap=True, min_width=max(len(r[0]) for r in rows))
        for column in ("kind", "status", "progress", "created"):
            table.add_column(column)
        table.add_column("output", overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:  # piped or narrow: one whole line per job, never cut short (also for grep; or use --json)
        for row in rows:
            console.print("  ".join(x for x in row if x), soft_wrap=True, markup=False, highlight=False)
    if page.next_cursor:
        console.print(
            f"More: snowbatch jobs list --limit {limit} --cursor '{page.next_cursor}'", soft_wrap=True
        )


@jobs_app.command("status")
def status(
    job_id: JobArg,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """A job's status, progress, timestamps, output location and the next step."""
    b = _backend(home, backend, connection)
    job = run_backend(lambda: b.get_job(_job_name(b, job_id)))
    if as_json:
        print_json(job.model_dump_json(exclude_none=True))
        return
    _print_job(job)


def _print_job(job: JobInfo) -> None:
    from snowbatch.core.job_advice import next_step

    colour = {"DONE": "green", "FAILED": "red", "INTERNAL_ERROR": "red", "CANCELLED": "yellow"}.get(
        job.status, "cyan"
    )
    console.print(f"{job.job_id}  [bold {colour}]{job.status}[/]  {_progress_text(job)}")
    facts = [
        ("model", " ".join(x for x in (job.model, job.version, job.function) if x)),
        ("pool", job.compute_pool),
        ("output", job.output_location),
        ("created", _when(job.created_on)),
        ("started", _when(job.started_on)),
        ("completed", _when(job.completed_on)),
        ("message", job.message),
    ]
    for label, value in facts:
        if value:
            console.print(f"  {label:<9} {value}", soft_wrap=True, markup=False, highlight=False)
    console.print(f"  next      {next_step(job, 'person')}", soft_wrap=True, markup=False, highlight=False)


@jobs_app.command("wait")
def wait(
    job_id: JobArg,
    timeout: Annotated[float, typer.Option(min=0.1, help="give up waiting after this many seconds")] = 600.0,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Wait for a job with a progress bar (rows done of total), at most --timeout seconds.

    Exits 0 when it is DONE, 1 when it ended otherwise, 3 when it is still going at the timeout.
    """
    b = _backend(home, backend, connection)
    name = run_backend(lambda: _job_name(b, job_id))
    deadline = time.monotonic() + timeout
    delay = 0.2
    with job_progress(err if as_json else None) as bar:
        task = bar.add_task(str(name), total=None, rows="")
        while True:
            job = run_backend(lambda: b.get_job(name))
            prog = job.progress
            bar.update(
                task,
                description=f"{job.job_id} {job.status}",
                rows=_progress_text(job),
                completed=(prog.rows_done or 0) if prog else 0,
                total=(prog.rows_total or None) if prog else None,
            )
            if job.is_settled or time.monotonic() >= deadline:
                break
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 1.5, 2.0)
    if as_json:
        print_json(job.model_dump_json(exclude_none=True))
        if not job.is_terminal:
            raise typer.Exit(EXIT_STILL_RUNNING)
        if job.status != "DONE":
            raise typer.Exit(EXIT_ENDED_BADLY)
        return
    if not job.is_terminal:
        said = (
            f"{job.status}: the job makes no progress by itself ({job.message or 'no message'})."
            if job.is_settled
            else f"Still {job.status} after {timeout:g}s. Wait again: snowbatch jobs wait {job.job_id}"
        )
        console.print(said, soft_wrap=True)
        raise typer.Exit(EXIT_STILL_RUNNING)
    _print_job(job)
    if job.status != "DONE":
        raise typer.Exit(EXIT_ENDED_BADLY)


@jobs_app.command("logs")
def logs(
    job_id: JobArg,
    tail: Annotated[int, typer.Option(min=1, max=500, help="lines to show")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="skip this many of the newest lines")] = 0,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """The last lines of a job's log; prints the command for older lines when there are more."""
    b = _backend(home, backend, connection)
    chunk = run_backend(lambda: b.job_logs(_job_name(b, job_id), tail=tail, offset=offset))
    if as_json:
        print_json(chunk.model_dump_json(exclude_none=True))
        return
    for line in chunk.lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if not chunk.lines:
        console.print("(no log lines)")
    if chunk.truncated and chunk.next_offset is not None:
        more = f"snowbatch jobs logs {chunk.job_id} --tail {tail} --offset {chunk.next_offset}"
        console.print(f"Older lines: {more}", soft_wrap=True)


@jobs_app.command("cancel")
def cancel(
    job_id: JobArg,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Cancel a running job: says exactly what will happen, asks, then stops it."""
    from snowbatch.core.job_advice import cancel_summary

    b = _backend(home, backend, connection)
    name = run_backend(lambda: _job_name(b, job_id))
    job = run_backend(lambda: b.get_job(name))
    out = err if as_json else console
    say(run_backend(lambda: cancel_summary(job, "person")), out)
    if not yes and not typer.confirm("Cancel this job?", default=False, err=as_json):
        say("Not cancelled; nothing was changed.", out)
        raise typer.Exit(EXIT_ENDED_BADLY)
    job = run_backend(lambda: b.cancel_job(name))
    if as_json:
        print_json(job.model_dump_json(exclude_none=True))
        return
    _print_job(job)
