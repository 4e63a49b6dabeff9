"""snowbatch's own record of the jobs it submitted (model, version, function, output location).

Snowflake's job views do not carry these facts for batch jobs, and `snowflake.ml.jobs.list_jobs` hides
batch jobs when job history is unavailable, so the backend keeps them next to its other state.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any


class JobLedger:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self._path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def all(self) -> dict[str, dict[str, Any]]:
        return self._read()

    def get(self, job_id: str) -> dict[str, Any]:
        return self._read().get(job_id, {})

    def put(self, job_id: str, facts: dict[str, Any]) -> None:
        with self._lock:
            data = self._read()
            data[job_id] = {**data.get(job_id, {}), **facts}
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1, default=str))
            tmp.replace(self._path)


def recorded_scale(facts: dict[str, Any]) -> dict[str, Any]:
    """What the record says about a job's size, as JobInfo fields: the input rows (files, for a files
    job) and the nodes it was submitted with. Cost estimates read them from a finished job."""
    return {"input_rows": facts.get("input_rows"), "replicas": facts.get("replicas")}
