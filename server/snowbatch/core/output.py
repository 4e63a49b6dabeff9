"""Judging a job's output: complete only with `_SUCCESS`; cells cut short for previews."""

from __future__ import annotations

import json
from typing import Any

from snowbatch.core.records import OutputFile, OutputInfo

SUCCESS = "_SUCCESS"


def assess_output(location: str, files: list[OutputFile]) -> OutputInfo:
    marker = any(f.path.rstrip("/").rsplit("/", 1)[-1] == SUCCESS for f in files)
    data = [f for f in files if f.path.endswith(".parquet")]
    rows = sum(f.rows for f in data if f.rows is not None) if data and all(f.rows is not None for f in data) \
        else None
    if marker:
        state, advice = "complete", None
    elif data:
        state = "partial"
        advice = ("Results without _SUCCESS are partial: the job is still running, failed or was cancelled. "
                  "Check get_job_status; do not use these rows as a full result.")
    else:
        state = "empty"
        advice = "Nothing has been written here yet. Check the job's status and its output_location."
    return OutputInfo(location=location, files=files[:50], total_bytes=sum(f.size for f in files), rows=rows,
                      success_marker=marker, state=state, advice=advice)


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
