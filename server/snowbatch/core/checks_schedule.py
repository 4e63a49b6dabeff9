"""A schedule checked before the yes: the cron, only_new, the time zone, the task's warehouse, free names
for the task and its procedure, and a snowflake-ml-python release the procedure can install."""

from __future__ import annotations

from snowbatch.core.errors import InvalidRequest
from snowbatch.core.names import ObjectName
from snowbatch.core.plan_facts import Check
from snowbatch.core.schedule import ScheduledRun, ScheduleFacts, parse_schedule, task_names, when


def _supported(text: str) -> bool:
    from snowbatch.core.api_profiles import SUPPORTED_MAX_MINOR, SUPPORTED_MIN, parse_version

    try:
        version = parse_version(text)
    except InvalidRequest:
        return False
    return version >= SUPPORTED_MIN and version[:2] <= SUPPORTED_MAX_MINOR


def pick_release(
    asked: str | None, available: dict[str, list[str]] | None, installed: str | None = None
) -> tuple[str | None, str]:
    """(the snowflake-ml-python release the procedure installs, or None; what decided it). The release
    asked for when the channel has it, else the newest there that snowbatch writes code for. On the
    local backend (`available` None) nothing is installed: the code targets the release asked, else the
    one installed beside the server."""
    from snowbatch.core.api_profiles import parse_version

    if available is None:
        if asked is None and installed is None:
            return None, "no snowflake-ml-python release was asked for and none is installed here"
        return asked or installed, "the release the code is written for"
    usable = sorted((v for v in available if _supported(v)), key=parse_version, reverse=True)
    if asked is None:
        if usable:
            return usable[0], "the newest in Snowflake's package channel that snowbatch writes code for"
        return None, "Snowflake's package channel has no snowflake-ml-python release from 1.28 to 2.6"
    wanted = parse_version(asked)
    for version in usable:
        if parse_version(version) == wanted:
            return version, "the release asked for, found in Snowflake's package channel"
    there = ", ".join(usable[:3]) or "none from 1.28 to 2.6"
    return None, f"snowflake-ml-python {asked} is not in Snowflake's package channel (newest there: {there})"


def check_schedule(
    schedule: str,
    facts: ScheduleFacts,
    only_new: dict[str, str] | None,
    job: ObjectName,
    asked: str | None,
) -> tuple[list[Check], ScheduledRun | None]:
    """Everything that could make creating the task fail, checked before the yes."""

    def fail(message: str, fix: str) -> tuple[list[Check], None]:
        return [Check(name="schedule", status="fail", message=message, fix=fix)], None

    try:
        cron, zone = parse_schedule(schedule)
    except InvalidRequest as exc:
        return fail(exc.problem, exc.next_step)
    if only_new is None:
        return fail(
            "A schedule needs only_new: without it every run would score the whole input again.",
            "Add only_new: {key, against: <results table>} to the table input.",
        )
    if facts.error:
        return fail(facts.error, "Check the role's privileges on the job's schema.")
    if facts.time_zone_known is False:
        return fail(f"Time zone {zone!r} is not an IANA name.", "Use e.g. UTC or Europe/Paris.")
    if facts.warehouse is None:
        return fail("The task needs a warehouse and the session has none.", "Connect with a warehouse.")
    task, procedure = task_names(job)
    for exists, what, name in (
        (facts.task_exists, "task", task),
        (facts.procedure_exists, "procedure", procedure),
    ):
        if exists:
            return fail(
                f"A {what} {name} already exists.", "Pass another job_name; the task is named after it."
            )
    release, why = pick_release(asked, facts.ml_versions, facts.installed)
    if release is None:
        return fail(f"{why}.", "Pass snowml_version as one of the releases named, or leave it out.")
    run = ScheduledRun(
        cron=cron,
        time_zone=zone,
        when=when(cron, zone),
        warehouse=facts.warehouse,
        task=str(task),
        procedure=str(procedure),
        results_table=only_new["against"],
        snowml_version=release,
        python_runtime=max(facts.ml_versions[release], default=None) if facts.ml_versions else None,
    )
    message = f"Task {task} will call {procedure} {run.when}; snowflake-ml-python {release} ({why})."
    return [Check(name="schedule", status="pass", message=message)], run
