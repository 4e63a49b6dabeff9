"""One run of a scheduled incremental job through the Backend protocol — what the Snowflake procedure
does, step for step (templates/scheduled_job.sql.j2): count the new rows, submit one job to its own
folder, wait, require _SUCCESS, append the output to the results table. The local backend has no clock:
`snowbatch local execute-task` calls this on demand."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

from snowbatch.backends.base import Backend
from snowbatch.core.errors import Conflict
from snowbatch.core.names import ObjectName, StageLocation
from snowbatch.core.requests import BatchJobSpec


def run_scheduled(
    backend: Backend,
    spec: BatchJobSpec,
    *,
    now: datetime | None = None,
    timeout_s: float = 3600,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    run = spec.schedule
    assert run is not None and spec.input.query is not None, "a scheduled plan reads its new rows by query"
    counted = backend.describe_query(spec.input.query, count_rows=True).row_count
    if not counted:
        return "No new rows: nothing scored."
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d%H%M%S")
    job_spec = spec.model_copy(
        update={
            "job_name": f"{spec.job_name}_{stamp}",
            "schedule": None,
            "input": spec.input.model_copy(update={"row_count": counted}),
        }
    )
    job = backend.submit_job(job_spec)
    deadline = time.monotonic() + timeout_s
    while not job.is_settled and time.monotonic() < deadline:
        sleep(0.5)
        job = backend.get_job(ObjectName.parse(job.job_id, what="job"))
    if job.status != "DONE":
        raise Conflict(
            f"{job.job_id} ended {job.status}: nothing appended.", "Read its logs with get_job_logs."
        )
    where = StageLocation.parse(job_spec.job_output_location)
    if backend.inspect_output(where).state != "complete":
        raise Conflict(
            f"{job.job_id} is DONE but {where} has no _SUCCESS: nothing appended.", "Check the output."
        )
    results = ObjectName.parse(run.results_table, what="table")
    appended = backend.save_results_to_table(where, results, mode="append")
    return f"{job.job_id}: {counted:,} new rows scored, {appended:,} appended to {results}"
