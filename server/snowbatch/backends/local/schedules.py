"""Scheduled jobs on the local backend: the schedule is stored with its plan's job, as a task would be,
and shown — but no clock runs it here. `snowbatch local execute-task` runs it once, on demand, doing
what the Snowflake procedure does (snowbatch.scheduled_run)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from snowbatch.backends.local.account import LocalAccount, encode_name, read_json
from snowbatch.core.errors import Conflict, NotFound
from snowbatch.core.names import ObjectName, SchemaName
from snowbatch.core.requests import BatchJobSpec
from snowbatch.core.schedule import ScheduleFacts, ScheduleInfo
from snowbatch.resources import installed_snowml_version

LOCAL_WAREHOUSE = "LOCAL"  # the local backend runs warehouse work in its own process


def run_now(task: str) -> str:
    return f"snowbatch local execute-task {task}"


class LocalSchedules:
    def __init__(self, account: LocalAccount) -> None:
        self.account = account

    def _file(self, task: ObjectName) -> Path:
        assert task.database is not None and task.schema is not None, "planning qualifies the task"
        return (
            self.account.tasks_dir(SchemaName(task.database, task.schema)) / f"{encode_name(task.name)}.json"
        )

    def facts(self, task: ObjectName) -> ScheduleFacts:
        return ScheduleFacts(
            task_exists=self._file(task).exists(),
            warehouse=LOCAL_WAREHOUSE,
            ml_versions=None,
            installed=installed_snowml_version(),
        )

    def create(self, spec: BatchJobSpec) -> ScheduleInfo:
        run = spec.schedule
        assert run is not None, "a scheduled plan carries its schedule"
        path = self._file(ObjectName.parse(run.task, what="task"))
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"created_at": datetime.now(timezone.utc).isoformat(), "spec": spec.model_dump(mode="json")}
        try:  # exclusive: two approvals racing for one name make one task
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise Conflict(
                f"A task {run.task} already exists.", "Plan again with another job_name."
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out, indent=1)
        state = "stored: the local backend has no scheduler, so nothing runs on the cron"
        return run.created(state=state, run_now=run_now(run.task))

    def get(self, task: ObjectName) -> BatchJobSpec:
        path = self._file(task)
        if not path.exists():
            raise NotFound(
                f"There is no task {task} on the local backend.", "snowbatch local tasks lists them."
            )
        return BatchJobSpec.model_validate(read_json(path)["spec"])

    def names(self) -> list[str]:
        root = self.account.home / "tasks"
        found = []
        for path in sorted(root.glob("*/*/*.json")) if root.is_dir() else []:
            spec = BatchJobSpec.model_validate(read_json(path)["spec"])
            if spec.schedule is not None:
                found.append(spec.schedule.task)
        return found
