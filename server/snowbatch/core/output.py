"""Judging a job's output: complete only with `_SUCCESS`; cells cut short for previews."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from snowbatch.core.records import JobInfo, OutputFile, OutputInfo, OutputState

SUCCESS = "_SUCCESS"
# 2.x stages a DataFrame input under <output base>/_snowflake_temporary/<uuid>/ and the server leaves that
# folder out of its save-mode check (snowflake-ml 2.6 `_client/ops/service_ops.py`; ledger F19).
RESERVED_INPUT = "_snowflake_temporary"
# where a job's own input is staged, below the location inspected: 2.x's folder above, and 1.x's
# `_temporary/` inside the job's folder (snowflake-ml 1.20-1.48 `model_version_impl.py`; ledger F24's
# sources). Their Parquet files are never results: not counted, previewed or loaded.
STAGED_INPUT_FOLDERS = frozenset({RESERVED_INPUT, "_temporary"})
LISTED = 50  # files inspect_output shows unless asked for more; the totals always count them all
MAX_LISTED = 1000


def occupants(relative_paths: list[str]) -> list[str]:
    """What already lies in an output base (paths relative to it): its first-level folders and files,
    leaving out the reserved input folder — the entries a save mode of ERROR refuses and OVERWRITE may
    remove (the scope of both is the base under one reading of the sources, D14)."""
    first = {p.strip("/").split("/", 1)[0] for p in relative_paths if p.strip("/")}
    return sorted(first - {RESERVED_INPUT})


def _inner(location: str, path: str) -> str:
    """A listed file's path below the inspected location."""
    return path[len(location) :] if path.startswith(location) else path.rsplit("/", 1)[-1]


def is_staged_input(relative_path: str) -> bool:
    """Whether a file below the location is a job's staged input rather than its output."""
    return not STAGED_INPUT_FOLDERS.isdisjoint(relative_path.split("/")[:-1])


def result_parts(location: str, files: list[OutputFile]) -> list[OutputFile]:
    """The Parquet result parts among the files listed below a location (the staged input left out)."""
    return [f for f in files if f.path.endswith(".parquet") and not is_staged_input(_inner(location, f.path))]


def assess_output(location: str, files: list[OutputFile], *, limit: int = MAX_LISTED) -> OutputInfo:
    """What a location holds, judged one way for every backend: complete only with `_SUCCESS` at its
    top; Parquet parts without it are partial; other files and no parts are someone else's, not a job's
    output (told apart from empty so nobody mistakes a wrong path for a job that wrote nothing)."""
    kept = [f for f in files if not is_staged_input(_inner(location, f.path))]
    marker = any(_inner(location, f.path) == SUCCESS for f in kept)
    listed = [f for f in kept if _inner(location, f.path) != SUCCESS]
    data = result_parts(location, listed)
    rows = (
        sum(f.rows for f in data if f.rows is not None)
        if data and all(f.rows is not None for f in data)
        else None
    )
    state: OutputState
    if marker:
        state, advice = "complete", None
    elif data:
        state = "partial"
        advice = (
            "Results without _SUCCESS are partial: the job is still running, failed or was cancelled. "
            "Check wait_for_job; do not use these rows as a full result."
        )
    elif listed:
        state = "foreign"
        shown = ", ".join(_inner(location, f.path) for f in listed[:3])
        advice = (
            f"{len(listed)} file(s) here are not batch results ({shown}) and there is no _SUCCESS: "
            "someone else's files, not a job's output. Check the job's output_location (wait_for_job); "
            "results belong in a folder of their own."
        )
    else:
        state = "empty"
        advice = "Nothing has been written here yet. Check the job's status and its output_location."
    return OutputInfo(
        location=location,
        files=listed[:limit],
        files_total=len(listed),
        files_note=(
            f"Showing {limit} of {len(listed)} files; pass limit= (up to {MAX_LISTED}) for more."
            if len(listed) > limit
            else None
        ),
        total_bytes=sum(f.size for f in listed),
        rows=rows,
        success_marker=marker,
        state=state,
        advice=advice,
    )


def cut_listing(info: OutputInfo, limit: int) -> OutputInfo:
    """The same judgement with at most `limit` files listed, saying so when some were left out."""
    if len(info.files) <= limit and info.files_total <= limit:
        return info
    note = f"Showing {limit} of {info.files_total} files; pass limit= (up to {MAX_LISTED}) for more."
    return info.model_copy(update={"files": info.files[:limit], "files_note": note})


def advise_for_job(info: OutputInfo, job: JobInfo) -> OutputInfo:
    """The output judged together with its job's status: partial output says why and what to do."""
    if info.state == "complete":
        return info
    rows = f"{info.rows:,}" if info.rows is not None else "some"
    if info.state == "foreign":
        return info  # not this job's files: the advice already says so
    what = "no result files" if info.state == "empty" else f"{rows} rows"
    if job.status in ("PENDING", "RUNNING", "CANCELLING"):
        advice = (
            f"Job {job.job_id} is {job.status}: {what} so far, and no _SUCCESS until it finishes. "
            "Call wait_for_job, then inspect_output again."
        )
    elif job.status == "DONE":
        advice = (
            f"Job {job.job_id} reports DONE but {info.location} has no _SUCCESS: the folder was "
            "changed after the job. Do not treat these files as complete; run the job again."
        )
    else:
        reason = f" ({job.message})" if job.message else ""
        advice = (
            f"Job {job.job_id} ended {job.status}{reason}. What is here ({what}) is partial output "
            "(no _SUCCESS): never use it as a full result. For complete results, plan and submit the "
            "job again (it writes a new job folder); get_job_logs shows what happened."
        )
    return info.model_copy(update={"advice": advice})


def preview_rows(
    records: Iterable[Mapping[Any, Any]],
    max_chars: int,
    *,
    key: Callable[[Any], str] = str,
    value: Callable[[Any], Any] = lambda v: v,
) -> tuple[list[dict[str, Any]], int]:
    """Rows fit for a preview (each cell through preview_cell), and how many cells were cut."""
    rows: list[dict[str, Any]] = []
    cut = 0
    for record in records:
        shown = {}
        for name, cell in record.items():
            shown[key(name)], was_cut = preview_cell(value(cell), max_chars)
            cut += was_cut
        rows.append(shown)
    return rows, cut


def preview_cell(value: Any, max_chars: int) -> tuple[Any, bool]:
    """A cell fit for a preview: long text, bytes and nested values cut to max_chars."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>", False
    if isinstance(value, (dict, list)):
        value = json.dumps(value, default=str)
    if isinstance(value, str) and len(value) > max_chars:
        return value[:max_chars] + f"…(+{len(value) - max_chars} chars)", True
    if isinstance(value, float):
        return round(value, 6), False
    return value, False
