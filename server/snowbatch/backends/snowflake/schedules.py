"""Scheduled incremental jobs on Snowflake: what planning checks (free task and procedure names, the
snowflake-ml-python releases a procedure can install, the task's warehouse) and the creation itself —
the plan's statements exactly as its code shows them, undone if any of them fails.

Ledger F61–F65. UNVERIFIED on a live account: nothing here has run on one.
"""

from __future__ import annotations

import contextlib

from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.core.errors import SnowbatchError
from snowbatch.core.names import ObjectName, SchemaName, sql_string
from snowbatch.core.requests import BatchJobSpec
from snowbatch.core.schedule import ScheduleFacts, ScheduleInfo

ML_PACKAGE = "snowflake-ml-python"
GRANT = "CREATE TASK and CREATE PROCEDURE on the schema, EXECUTE TASK on the account, USAGE on the warehouse."


class Schedules:
    def __init__(self, sessions: SessionProvider) -> None:
        self._s = sessions

    def _exists(self, kind: str, name: ObjectName) -> bool:
        """F61/F62: SHOW TASKS|PROCEDURES LIKE '<name>' IN SCHEMA; the `name` column compared exactly,
        since LIKE's `_` and `%` are wildcards (whether SHOW honours a backslash escape is UNVERIFIED)."""
        schema = SchemaName(name.database, name.schema) if name.database and name.schema else None
        where = f" IN SCHEMA {schema.sql}" if schema else ""
        rows = self._s.rows(
            f"SHOW {kind} LIKE {sql_string(name.name.name)}{where}", context=f"Looking for {name}"
        )
        return any(r.get("name") == name.name.name for r in rows)

    def facts(self, task: ObjectName, procedure: ObjectName, warehouse: str | None) -> ScheduleFacts:
        try:
            task_exists = self._exists("TASKS", task)
            procedure_exists = self._exists("PROCEDURES", procedure)
            database = task.database
            view = (
                f"{database.sql}.INFORMATION_SCHEMA.PACKAGES" if database else "INFORMATION_SCHEMA.PACKAGES"
            )
            rows = self._s.rows(  # F63
                f"SELECT VERSION, RUNTIME_VERSION FROM {view} "
                f"WHERE LANGUAGE = 'python' AND PACKAGE_NAME = {sql_string(ML_PACKAGE)}",
                context="Listing the snowflake-ml-python releases procedures can install",
            )
        except SnowbatchError as exc:
            return ScheduleFacts(error=exc.problem)
        versions: dict[str, list[str]] = {}
        for row in rows:
            runtime = row.get("RUNTIME_VERSION")
            versions.setdefault(str(row.get("VERSION")), []).extend([str(runtime)] if runtime else [])
        return ScheduleFacts(
            task_exists=task_exists,
            procedure_exists=procedure_exists,
            warehouse=warehouse,
            ml_versions=versions,
        )

    def create(self, spec: BatchJobSpec) -> ScheduleInfo:
        """F64 (CREATE PROCEDURE), F65 (CREATE TASK, ALTER TASK … RESUME): the plan's statements in order.
        If one fails, what the earlier ones made is dropped (F65's DROP … IF EXISTS), so nothing is left
        half-made."""
        run = spec.schedule
        assert run is not None and run.statements, "a scheduled plan carries its statements"
        task, procedure = ObjectName.parse(run.task, what="task"), ObjectName.parse(run.procedure)
        made: list[str] = []  # undo statements for what succeeded, newest first
        undo = {
            "CREATE PROCEDURE": f"DROP PROCEDURE IF EXISTS {procedure.sql}()",
            "CREATE TASK": f"DROP TASK IF EXISTS {task.sql}",
        }
        try:
            for statement in run.statements:
                self._s.rows(statement, context=f"Creating schedule {task}", grant_hint=GRANT)
                made[:0] = [u for prefix, u in undo.items() if statement.startswith(prefix)]
        except SnowbatchError:
            for statement in made:  # CREATE without OR REPLACE: what failed to be made is someone else's
                with contextlib.suppress(SnowbatchError):  # the original failure is the one to report
                    self._s.rows(statement, context=f"Removing the half-made schedule {task}")
            raise
        return run.created(state="started", run_now=f"EXECUTE TASK {task.sql}")
