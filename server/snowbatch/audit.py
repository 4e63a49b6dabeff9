"""The audit trail: one JSON line per approved gated action, in an append-only file (settings.audit_path,
by default `audit.jsonl` in the local home).

A record says when, who (the authenticated principal, and the client's own name), which tool, the
summary the person approved, how it was approved (token, elicitation, auto_approve), a SHA-256 of the
arguments, and the outcome (status, job id, rows written, table — or the error's code and problem). It
holds no secret (no token, no password: arguments are hashed, never written) and no row data.

Each record is one `os.write` of a whole line to a file opened with O_APPEND, under an exclusive `flock`,
then `fsync`: a crash loses at most the record being written, and two servers on one home never
interleave their lines. Readers skip a torn last line.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from snowbatch.core.checkpoints import canonical

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: O_APPEND alone
    fcntl = None  # type: ignore[assignment]

OUTCOME_FIELDS = ("job_id", "rows", "table", "output_table", "output_location")
NESTED_NAMES = {"job": "job_id", "pool": "name", "stage": "name"}


def arguments_hash(tool: str, args: Mapping[str, Any]) -> str:
    """The same canonical form the confirmation token signs: equal arguments, equal hash."""
    return hashlib.sha256(canonical(tool, args)).hexdigest()


def make_record(
    *,
    tool: str,
    args: Mapping[str, Any],
    summary: str,
    approved_by: str,
    outcome: Mapping[str, Any],
    principal: str | None = None,
    client: str | None = None,
    backend: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    return {
        "time": (now or datetime.now(timezone.utc)).isoformat(timespec="milliseconds"),
        "principal": principal,
        "client": client,
        "backend": backend,
        "tool": tool,
        "summary": summary,
        "approved_by": approved_by,
        "arguments_sha256": arguments_hash(tool, args),
        "outcome": dict(outcome),
    }


def outcome_of(status: str, result: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a gated tool's result says was done: its status and the names and counts it reports (only
    these: a result's other fields may carry row data)."""
    out: dict[str, Any] = {"status": status}
    for key in OUTCOME_FIELDS:
        value = (result or {}).get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            out[key] = value
    for key, name_field in NESTED_NAMES.items():
        nested = (result or {}).get(key)
        if isinstance(nested, Mapping) and isinstance(nested.get(name_field), str):
            out[key] = nested[name_field]
    return out


def error_outcome(code: str, problem: str | None = None) -> dict[str, Any]:
    return {"status": "error", "code": code, **({"problem": problem[:500]} if problem else {})}


def append(path: Path, record: Mapping[str, Any]) -> None:
    """Append one record durably: one write of the whole line, locked, then fsync."""
    line = (json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"short write to the audit log ({written} of {len(line)} bytes)")
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


def read(path: Path, *, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The records in order (those at or after `since`); a line that is not a whole record is skipped."""
    if not path.is_file():
        return
    with path.open("rb") as fh:
        for raw in fh:
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            if since is not None and not _at_or_after(record.get("time"), since):
                continue
            yield record


def _at_or_after(stamp: Any, since: datetime) -> bool:
    try:
        when = datetime.fromisoformat(str(stamp))
    except ValueError:
        return False
    return when >= since
