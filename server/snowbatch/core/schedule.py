"""A scheduled incremental job: the request's `schedule` ('0 2 * * * UTC'), its cron checked as
Snowflake reads it, the names of the task and procedure it creates, and the words the summary uses.

Snowflake's cron (d:create-task; snowflake.core.task.Cron documents the same fields): five fields —
minute 0-59, hour 0-23, day of month 1-31 or L, month 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT
(or nL, "the last <day> of the month") — with `*`, lists `a,b`, ranges `a-b` and steps `/n`; then an IANA
time zone. Pure: the time zone's existence is checked by the caller (it needs the tz database).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from snowbatch.core.errors import InvalidRequest
from snowbatch.core.names import Identifier, ObjectName

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (name, low, high, names, L allowed)
FIELDS: tuple[tuple[str, int, int, tuple[str, ...], bool], ...] = (
    ("minute", 0, 59, (), False),
    ("hour", 0, 23, (), False),
    ("day of month", 1, 31, (), True),
    ("month", 1, 12, MONTHS, False),
    ("day of week", 0, 6, DAYS, True),
)
_ITEM = re.compile(r"(?P<last>\d?L)|(?P<range>\*|[A-Z0-9]+(?:-[A-Z0-9]+)?)(?:/(?P<step>\d+))?")
CRON_FIX = "Give minute hour day-of-month month day-of-week, then a time zone: '0 2 * * * UTC' = 02:00 daily."
PROCEDURE_SUFFIX = "_RUN"  # the task calls <task>_RUN(): tasks and procedures never share a name


def parse_schedule(text: str) -> tuple[str, str]:
    """(cron, time zone) of a schedule written as Snowflake's SCHEDULE = 'USING CRON <expr> <time_zone>'
    takes it: five fields, then the zone (default UTC); a leading USING CRON is allowed."""
    words = text.split()
    if [w.upper() for w in words[:2]] == ["USING", "CRON"]:
        words = words[2:]
    if len(words) not in (5, 6):
        raise InvalidRequest(f"Schedule {text!r} is not five cron fields and a time zone.", CRON_FIX)
    zone = words[5] if len(words) == 6 else "UTC"
    return check_cron(" ".join(words[:5])), zone


def _value(text: str, low: int, high: int, names: tuple[str, ...], field: str) -> int:
    number = names.index(text) + (1 if field == "month" else 0) if text in names else None
    if number is None and text.isdigit():
        number = int(text)
    if number is None or not low <= number <= high:
        raise InvalidRequest(f"Cron {field} {text!r} is not in {low}-{high}.", CRON_FIX)
    return number


def check_cron(expression: str) -> str:
    """The expression with single spaces, upper-case names; InvalidRequest says which field is wrong."""
    parts = expression.upper().split()
    if len(parts) != len(FIELDS):
        raise InvalidRequest(f"Cron {expression!r} has {len(parts)} fields, not 5.", CRON_FIX)
    for text, (field, low, high, names, last_ok) in zip(parts, FIELDS, strict=True):
        for item in text.split(","):
            match = _ITEM.fullmatch(item)
            if match is None or (match["last"] and not last_ok):
                raise InvalidRequest(
                    f"Cron {field} {text!r} is not a value Snowflake's cron takes.", CRON_FIX
                )
            if match["last"]:
                if match["last"] != "L":
                    _value(match["last"][:-1], low, high, names, field)
                continue
            if match["step"] is not None and not 1 <= int(match["step"]) <= high:
                raise InvalidRequest(f"Cron {field} step /{match['step']} is out of range.", CRON_FIX)
            if match["range"] != "*":
                ends = [_value(v, low, high, names, field) for v in match["range"].split("-")]
                if ends != sorted(ends):
                    raise InvalidRequest(f"Cron {field} range {match['range']!r} runs backwards.", CRON_FIX)
    return " ".join(parts)


def when(cron: str, time_zone: str) -> str:
    """Plain words for the common schedules, the expression itself for the rest."""
    minute, hour, day, month, weekday = cron.split()
    if minute.isdigit() and hour.isdigit() and day == "*" and month == "*":
        at = f"{int(hour):02d}:{int(minute):02d} {time_zone}"
        days = "every day" if weekday == "*" else f"on days {weekday}"
        return f"{days} at {at} (cron '{cron}')"
    return f"on cron '{cron}' in {time_zone}"


def task_names(job: ObjectName) -> tuple[ObjectName, ObjectName]:
    """The task is named as the job (plain, in the job's schema); its procedure adds PROCEDURE_SUFFIX."""
    procedure = ObjectName(Identifier(job.name.name + PROCEDURE_SUFFIX), job.schema, job.database)
    return job, procedure


class ScheduleFacts(BaseModel):
    """What the backend says about the names and packages a schedule needs (planning gathers them)."""

    task_exists: bool = False
    procedure_exists: bool = False
    warehouse: str | None = Field(
        None, description="the task's warehouse: the one asked for, or the session's"
    )
    time_zone_known: bool | None = Field(None, description="None: no tz database here to check it against")
    ml_versions: dict[str, list[str]] | None = Field(
        None,
        description="snowflake-ml-python versions a procedure can install → Python runtimes; None: local",
    )
    installed: str | None = Field(None, description="local: the release beside the server, the default")
    error: str | None = None


class ScheduledRun(BaseModel):
    """A checked schedule: the objects it creates and the statements that create them (as shown)."""

    cron: str
    time_zone: str
    when: str
    warehouse: str
    task: str
    procedure: str
    results_table: str
    snowml_version: str
    python_runtime: str | None = None
    statements: list[str] = Field(default_factory=list)

    def created(self, *, state: str, run_now: str) -> ScheduleInfo:
        """What submit_batch_job reports once the backend has made it."""
        return ScheduleInfo(
            task=self.task, procedure=self.procedure, when=self.when, warehouse=self.warehouse,
            state=state, run_now=run_now,
        )  # fmt: skip


class ScheduleInfo(BaseModel):
    """A created schedule, as submit_batch_job reports it."""

    task: str
    procedure: str
    when: str
    warehouse: str
    state: str = Field(description="started (Snowflake) or stored (local: no clock runs it)")
    run_now: str = Field(description="how to run it once, at once")


def script_statements(script: str) -> list[str]:
    """The statements of a rendered SQL script as they are sent one by one: each ends with `;` at the end
    of a line outside a `$$` body; blank and comment lines between statements are left out."""
    statements: list[str] = []
    current: list[str] = []
    in_body = False
    for line in script.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("--")):
            continue
        current.append(line)
        if line.count("$$") % 2:
            in_body = not in_body
        if not in_body and line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip()[:-1].rstrip())
            current = []
    if current:
        statements.append("\n".join(current).rstrip())
    return statements
