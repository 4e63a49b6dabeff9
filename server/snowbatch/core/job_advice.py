"""What to do next with a job, and what cancelling or deleting one does: one set of rules, said to
whoever asks — the assistant (in tool names) or a person at the command line (in `snowbatch jobs`
commands), so the CLI never tells a person to call a tool.
"""

from __future__ import annotations

from typing import Literal

from snowbatch.core.errors import InvalidRequest
from snowbatch.core.records import SUBMITTING, JobInfo

Audience = Literal["assistant", "person"]

# The actions the advice refers to, in each audience's words ({job} is the job's id).
_WORDS: dict[Audience, dict[str, str]] = {
    "assistant": {
        "wait": "call wait_for_job",
        "logs": "get_job_logs",
        "inspect": "inspect_output",
        "preview": "preview_results",
        "save": "save_results_to_table",
        "cancel": "cancel_job",
        "delete": "delete_job",
        "replan": "plan_batch_job again",
        "rerun_warehouse": "run_in_warehouse again",
        "read_table": "describe_input or a plain SELECT",
    },
    "person": {
        "wait": "run `snowbatch jobs wait {job}`",
        "logs": "`snowbatch jobs logs {job}`",
        "inspect": "LIST on the output location",
        "preview": "`snowbatch results preview --job {job}`",
        "save": "`snowbatch results save --job {job} --table DB.SCHEMA.TABLE`",
        "cancel": "`snowbatch jobs cancel {job}`",
        "delete": "deleting its record",
        "replan": "`snowbatch run` with the same options",
        "rerun_warehouse": "`snowbatch warehouse run` again",
        "read_table": "a plain SELECT",
    },
}

_BATCH_NEXT = {
    "PENDING": "{Wait} (a new version's first job builds its image first); it reports progress.",
    "RUNNING": "{Wait} again; it reports progress.",
    "CANCELLING": "{Wait} in a few seconds.",
    "DONE": "Confirm _SUCCESS with {inspect}, then look at the rows ({preview}); offer {save}.",
    "FAILED": "See why in {logs}; {inspect} shows any partial files.",
    "INTERNAL_ERROR": "See {logs}; if the record is unreadable, {delete} removes it.",
    "CANCELLED": "Output is partial (no _SUCCESS): {replan} to run it again.",
    "DELETED": "The job record is gone; its output stays on the stage.",
    "DELETING": "The job service is being dropped; its output stays on the stage.",
    "SUSPENDING": "The job service is being suspended and makes no progress until resumed: resume it "
    "(ALTER SERVICE … RESUME) or {cancel}.",
    "SUSPENDED": "The job service is suspended and makes no progress: resume it (ALTER SERVICE … RESUME) "
    "or {cancel}.",
    "UNKNOWN": "Snowflake reported a status snowbatch does not know (see message): {wait} later, or see "
    "{logs}.",
}
_WAREHOUSE_NEXT = {
    # A written table is read, never scored again by accident.
    "DONE": "The table {out} is written: read it with {read_table}; the model need not run again.",
    "FAILED": "See why in {logs}; the table {out} was left unchanged.",
    "CANCELLED": "Cancelled: the table {out} was left unchanged; {rerun_warehouse} to write it.",
}


def _say(template: str, job: JobInfo, audience: Audience) -> str:
    words = {k: v.format(job=job.job_id) for k, v in _WORDS[audience].items()}
    words["Wait"] = words["wait"][0].upper() + words["wait"][1:]
    return template.format(out=job.output_location or "(target)", **words)


def next_step(job: JobInfo, audience: Audience = "assistant") -> str:
    if job.kind == "warehouse" and job.status in _WAREHOUSE_NEXT:
        return _say(_WAREHOUSE_NEXT[job.status], job, audience)
    return _say(_BATCH_NEXT.get(job.status, "{Wait}."), job, audience)


def cancel_summary(job: JobInfo, audience: Audience = "assistant") -> str:
    """What cancelling `job` does, for the person to approve. What a cancel cannot do is refused before
    any approval is asked: a finished job has nothing to cancel, and a job still being submitted has no
    job service yet that Snowflake could cancel (its message starts with SUBMITTING)."""
    if job.is_terminal:
        raise InvalidRequest(
            f"Job {job.job_id} is already {job.status}; there is nothing to cancel.",
            _say("Use {inspect} to see what it wrote, or {delete} to remove its record.", job, audience),
        )
    if (job.message or "").startswith(SUBMITTING):
        raise InvalidRequest(
            f"Job {job.job_id} is still being submitted (its input is being staged and, on a version's "
            "first run, its container image built), so Snowflake has no job service to cancel yet. "
            "Nothing was done.",
            _say(
                "{Wait} (with a short timeout) until its message no longer says it is being submitted — "
                "a first build takes minutes — then {cancel} again.",
                job,
                audience,
            ),
        )
    prog = job.progress
    done_rows = ""
    if prog and prog.rows_total:
        done_rows = f", {prog.rows_done or 0:,} of {prog.rows_total:,} rows done"
    if job.kind == "warehouse":
        return (
            f"Cancel warehouse job {job.job_id} ({job.status}{done_rows}). It stops at once and its "
            f"write to {job.output_location} is rolled back: the table stays as it was."
        )
    return (
        f"Cancel job {job.job_id} ({job.status}{done_rows}) on pool {job.compute_pool}. It stops at once "
        f"with all its processes; no _SUCCESS is written, and parts already in {job.output_location} "
        "stay as partial output."
    )


def delete_summary(job: JobInfo, audience: Audience = "assistant") -> str:
    """What deleting `job` does; a job that is still running is refused."""
    if not job.is_terminal:
        raise InvalidRequest(
            f"Job {job.job_id} is {job.status}; a running job cannot be deleted.",
            _say("Cancel it first ({cancel}), or let it finish ({wait}), then delete it.", job, audience),
        )
    kept = (
        f"its output in {job.output_location} is kept"
        if job.kind == "batch"
        else f"the table {job.output_location} is kept"
    )
    return f"Delete job {job.job_id} ({job.status}): its record and logs are removed; {kept}."
