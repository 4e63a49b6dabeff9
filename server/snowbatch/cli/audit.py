"""`snowbatch audit`: the audit trail of approved actions (who, what, how approved, the outcome).

It reads the JSON Lines file the server appends to (SNOWBATCH_AUDIT_LOG, by default `audit.jsonl` in the
local home); `get_environment` says where it is.
"""

from __future__ import annotations

import re
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from snowbatch.cli.common import HomeOpt, JsonOpt, fail, print_json, say, settings_from

SinceOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--since", help="only records from then on: 30m, 12h, 7d, or a date/time (2026-05-01)"),
]
AuditLogOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--log", help="the audit log file (SNOWBATCH_AUDIT_LOG; default: audit.jsonl in the home)"),
]
RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """A time from `30m`/`12h`/`7d` (ago) or an ISO date or date-time (UTC unless it says otherwise)."""
    now = now or datetime.now(timezone.utc)
    relative = RELATIVE.match(text.strip().lower())
    if relative:
        return now - timedelta(**{UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"--since {text!r} is not a time.", "Give 30m, 12h, 7d, or a date/time: 2026-05-01T09:00.")
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def audit_command(
    since: SinceOpt = None,
    as_json: JsonOpt = False,
    log: AuditLogOpt = None,
    home: HomeOpt = None,
) -> None:
    """The audit trail: every approved action with who approved it, how, and what came of it."""
    from snowbatch import audit

    path = log or settings_from(home, None, None).audit_path
    records = list(audit.read(path, since=parse_since(since) if since else None))
    if as_json:
        print_json(records)
        return
    if not records:
        say(f"No approved actions recorded in {path}{' since then' if since else ''}.")
        return
    for record in records:
        say(_line(record))


def _line(record: dict[str, Any]) -> str:
    outcome = record.get("outcome") or {}
    said = ", ".join(f"{k}={v}" for k, v in outcome.items() if k not in ("status", "problem"))
    if outcome.get("problem"):
        said = f"{said} {outcome['problem']}".strip()
    who = record.get("principal") or record.get("client") or "local"
    return (
        f"{record.get('time', '?')}  {who}  {record.get('tool', '?')}  approved by "
        f"{record.get('approved_by', '?')}  → {outcome.get('status', '?')}{f' ({said})' if said else ''}\n"
        + textwrap.indent(str(record.get("summary", "")), "    ")
    )
