"""Tool results as a person reads them: checks, previews, a job's line, and following a job through
`wait_for_job` with a progress bar (the waits of `snowbatch run` and `snowbatch warehouse run`)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from snowbatch.cli.common import console, job_progress, print_table, rows_text, say

if TYPE_CHECKING:
    from rich.console import Console

    from snowbatch.cli.tool_session import ToolSession
    from snowbatch.core.records import JobInfo

MARKS = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}
WAIT_ROUND_SECONDS = 30  # one wait_for_job call; the tool waits at most 55 s


def print_checks(checks: list[dict[str, Any]]) -> None:
    """Each preflight check: its mark, what it found and, for a failure, the fix."""
    from rich.markup import escape

    for check in checks:
        mark = MARKS.get(check["status"], check["status"])
        console.print(f"  {mark} {escape(check['message'])}", soft_wrap=True, highlight=False)
        if check.get("fix") and check["status"] != "pass":
            say(f"       fix: {check['fix']}")


def print_preview(preview: dict[str, Any], *, title: str | None = None) -> None:
    """Rows as a table (columns in their order); says how many there are in all when it knows."""
    columns = list(preview.get("columns") or [])
    rows = [[row.get(c) for c in columns] for row in preview.get("rows") or []]
    print_table(columns, rows, title=title)
    total = preview.get("total_rows")
    if total is not None and total > len(rows):
        say(f"({len(rows)} of {total:,} rows shown)")
    if preview.get("truncated_cells"):
        say(f"({preview['truncated_cells']} long cell(s) cut short)")


def job_info(view: dict[str, Any]) -> JobInfo:
    from snowbatch.core.records import JobInfo

    return JobInfo.model_validate(view["job"])


def job_line(job: JobInfo) -> str:
    prog = job.progress
    rows = rows_text(prog.rows_done, prog.rows_total) if prog is not None else ""
    return "  ".join(x for x in (job.job_id, job.status, rows, job.message or "") if x)


def follow_job(
    tools: ToolSession, job_id: str, *, timeout: float, out: Console | None = None
) -> dict[str, Any]:
    """wait_for_job until the job settles or `timeout` seconds pass, with a progress bar; returns the last
    view (on DONE a batch job's view has its output verified and a preview)."""
    deadline = time.monotonic() + timeout
    with job_progress(out) as bar:
        task = bar.add_task(job_id, total=None, rows="starting")

        def on_progress(done: float, total: float | None, message: str | None) -> None:
            bar.update(task, completed=done, total=total, rows=rows_text(int(done), int(total or 0)))

        while True:
            remaining = max(0, int(deadline - time.monotonic()))
            view = tools.call(
                "wait_for_job",
                {"job_id": job_id, "timeout_seconds": min(WAIT_ROUND_SECONDS, remaining)},
                on_progress=on_progress,
            )
            job = job_info(view)
            prog = job.progress
            bar.update(
                task,
                description=f"{job.job_id} {job.status}",
                rows=rows_text(prog.rows_done, prog.rows_total) if prog else "",
                completed=(prog.rows_done or 0) if prog else 0,
                total=(prog.rows_total or None) if prog else None,
            )
            if job.is_settled or time.monotonic() >= deadline:
                return view
