"""Local batch jobs: submit (snapshot the input, claim the output, start the runner), status, logs,
cancel, delete and listing. A job is a detached process in its own session, so it outlives the server
that started it and cancel can end its whole process group.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from snowbatch.backends.local.account import LocalAccount
from snowbatch.backends.local.jobstate import JobFiles, now_iso
from snowbatch.backends.local.pools import LocalPools
from snowbatch.backends.local.registry import LocalRegistry
from snowbatch.backends.local.stages import LocalStages
from snowbatch.backends.local.tables import LocalTables
from snowbatch.core.errors import Conflict, InvalidRequest, NotFound
from snowbatch.core.names import Identifier, ObjectName, StageLocation
from snowbatch.core.records import TERMINAL_STATUSES, JobInfo, JobProgress, LogChunk, Page
from snowbatch.core.requests import BatchJobSpec

TEMP_DIR = "_snowflake_temporary"
DEFAULT_BATCH_ROWS = {"table": 50_000, "rows": 50_000, "files": 8, "chat": 4}


def new_job_name() -> str:
    return f"BATCH_INFERENCE_{uuid.uuid4().hex[:20].upper()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a finished child that nobody reaped yet is a zombie: not alive
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


class LocalJobs:
    def __init__(self, account: LocalAccount, tables: LocalTables, stages: LocalStages,
                 registry: LocalRegistry, pools: LocalPools) -> None:
        self.account = account
        self.tables = tables
        self.stages = stages
        self.registry = registry
        self.pools = pools

    # --- submit -------------------------------------------------------------------------------
    @contextmanager
    def _location_lock(self, location: StageLocation) -> Iterator[None]:
        key = hashlib.sha256(str(location.as_directory()).encode()).hexdigest()[:24]
        path = self.account.lock_file(f"stage-{key}")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def _claim_output(self, spec: BatchJobSpec) -> Path:
        """Apply SaveMode to the output location and create this job's folder, atomically per location.

        ERROR refuses a location that holds anything (but Snowflake's own temporary folder), so two
        concurrent ERROR submissions to one location end with exactly one job. OVERWRITE replaces only
        this job's own folder, never other jobs' results under the same base.
        """
        base = StageLocation.parse(spec.output_stage).as_directory()
        self.stages.describe(base.stage)
        base_dir = self.account.location_path(base)
        job_dir = base_dir / spec.job_name
        with self._location_lock(base):
            existing = [p.name for p in base_dir.iterdir() if p.name != TEMP_DIR] if base_dir.is_dir() else []
            if spec.mode == "error" and existing:
                raise Conflict(
                    f"The output location {base} is not empty ({len(existing)} entries, e.g. "
                    f"{sorted(existing)[0]}) and the save mode is ERROR.",
                    "Choose a fresh output path (e.g. add a run date), or plan again with mode='overwrite' "
                    "to replace this job's folder.",
                )
            if job_dir.exists():
                shutil.rmtree(job_dir)
            job_dir.mkdir(parents=True)
        return job_dir

    def _snapshot_input(self, spec: BatchJobSpec, files: JobFiles, batch_rows: int) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        inp = spec.input
        files.input_file.parent.mkdir(parents=True, exist_ok=True)
        if inp.kind == "table" or (inp.kind == "chat" and inp.chat_table):
            table = ObjectName.parse(inp.table or inp.chat_table or "")
            return self.tables.snapshot_to_parquet(table, inp.columns, files.input_file,
                                                   row_group_size=batch_rows)
        if inp.kind == "rows":
            data = pa.Table.from_pylist(inp.rows or [])
        elif inp.kind == "files":
            data = pa.table({inp.file_column or "FILE_PATH": list(inp.files or [])})
        else:  # chat built from a prompt and files: one message list per file
            from snowbatch.backends.local.inputs import chat_messages_for_file

            tpl = inp.chat_template or {}
            data = pa.table({"MESSAGES": [
                json.dumps(chat_messages_for_file(f, tpl.get("media", "image"), tpl.get("prompt"),
                                                  tpl.get("system"))) for f in inp.files or []]})
        pq.write_table(data, files.input_file, row_group_size=batch_rows)
        return data.num_rows

    def submit(self, spec: BatchJobSpec) -> JobInfo:
        model = ObjectName.parse(spec.model)
        version_path = self.registry.version_path(model, Identifier.parse(spec.version))
        pool = self.pools.acquire_for_job(Identifier.parse(spec.compute_pool, allow_quoted=False))
        job_id = str(ObjectName(Identifier(spec.job_name), model.schema, model.database))
        files = JobFiles(self.account.job_dir(spec.job_name))
        if files.dir.exists():
            raise Conflict(f"A job named {spec.job_name} already exists.",
                           "Choose another job_name, or delete the old job first.")
        output_dir = self._claim_output(spec)
        batch_rows = spec.max_batch_rows or DEFAULT_BATCH_ROWS[spec.input.kind]
        try:
            files.dir.mkdir(parents=True)
            rows = self._snapshot_input(spec, files, batch_rows)
            detail = self.registry.version_detail(model, Identifier.parse(spec.version))
            function = next(f for f in detail.functions if f.name == spec.function_name)
            workers = spec.num_workers or self.pools.local_workers(pool)
            job = {
                "job_id": job_id, "job_name": spec.job_name, "spec": spec.model_dump(mode="json"),
                "home": str(self.account.home), "model_path": str(version_path),
                "input_file": str(files.input_file), "output_dir": str(output_dir),
                "output_location": spec.job_output_location, "workers": workers, "row_count": rows,
                "input_names": [f.name for f in function.inputs],
                "chat_column": next((f.name for f in function.inputs if f.name.lower() == "messages"), None)
                if function.input_kind == "chat" else None,
                "created_on": now_iso(),
            }
            files.write_job(job)
            files.update_state(status="PENDING", rows_total=rows, rows_done=0)
            self._start_runner(files)
        except BaseException:
            shutil.rmtree(files.dir, ignore_errors=True)
            shutil.rmtree(output_dir, ignore_errors=True)
            raise
        return self.get(ObjectName.parse(job_id))

    def _start_runner(self, files: JobFiles) -> None:
        log = files.log_file.open("ab")
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[3])  # so the runner imports this same snowbatch
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.Popen(
            [sys.executable, "-m", "snowbatch.backends.local.runner", str(files.dir)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True, close_fds=True,
        )
        log.close()
        files.update_state(pid=proc.pid, pgid=proc.pid)
        # Reap the child when it ends so it never lingers as a zombie that looks alive.
        threading.Thread(target=proc.wait, daemon=True, name=f"reap-{proc.pid}").start()

    # --- reading ------------------------------------------------------------------------------
    def _files_for(self, job_id: ObjectName) -> JobFiles:
        files = JobFiles(self.account.job_dir(job_id.name.name))
        if not files.job_file.exists():
            raise NotFound(f"No job {job_id} in this account.",
                           "list_jobs shows recent jobs and their ids.")
        return files

    def _info(self, files: JobFiles) -> JobInfo:
        try:
            job = files.read_job()
            state = files.read_state()
        except (OSError, ValueError) as exc:
            return JobInfo(job_id=files.dir.name, status="INTERNAL_ERROR",
                           message=f"The job record is unreadable ({type(exc).__name__}); it was corrupted "
                                   "or written by another tool. Delete it with delete_job.")
        status = state.get("status", "PENDING")
        if status not in TERMINAL_STATUSES and state.get("pid") and not _pid_alive(int(state["pid"])):
            # Re-read: the runner may have finished between the two reads.
            state = files.read_state()
            status = state.get("status", "PENDING")
            if status not in TERMINAL_STATUSES:
                state = files.update_state(
                    status="FAILED", completed_on=now_iso(),
                    message=f"The job's process (pid {state['pid']}) ended without finishing: it was "
                            "killed or crashed. Output is partial (no _SUCCESS); see get_job_logs.")
                status = "FAILED"
        spec = job["spec"]
        return JobInfo(
            job_id=job["job_id"], kind=job.get("kind", "batch"), status=status, model=spec["model"],
            version=spec["version"],
            function=spec["function_name"], compute_pool=spec["compute_pool"],
            output_location=job["output_location"], created_on=job.get("created_on"),
            started_on=state.get("started_on"), completed_on=state.get("completed_on"),
            message=state.get("message"),
            progress=JobProgress(rows_done=state.get("rows_done"), rows_total=state.get("rows_total")))

    def get(self, job_id: ObjectName) -> JobInfo:
        return self._info(self._files_for(job_id))

    def list(self, *, limit: int, cursor: str | None) -> Page[JobInfo]:
        root = self.account.jobs_dir
        dirs = [d for d in root.iterdir() if d.is_dir()] if root.is_dir() else []

        def created(d: Path) -> float:
            try:
                return (d / "job.json").stat().st_mtime
            except OSError:
                return 0.0

        dirs.sort(key=created, reverse=True)
        start = int(cursor) if cursor and cursor.isdigit() else 0
        chunk = dirs[start:start + limit]
        items = [self._info(JobFiles(d)) for d in chunk]
        nxt = str(start + limit) if start + limit < len(dirs) else None
        return Page(items=items, next_cursor=nxt, total=len(dirs))

    def logs(self, job_id: ObjectName, *, tail: int, offset: int) -> LogChunk:
        files = self._files_for(job_id)
        lines = files.log_file.read_text(errors="replace").splitlines() if files.log_file.exists() else []
        end = max(0, len(lines) - offset)
        start = max(0, end - tail)
        return LogChunk(job_id=str(job_id), lines=[ln[:500] for ln in lines[start:end]],
                        next_offset=offset + (end - start) if start > 0 else None, truncated=start > 0)

    # --- control ------------------------------------------------------------------------------
    def cancel(self, job_id: ObjectName, *, grace_seconds: float = 5.0) -> JobInfo:
        files = self._files_for(job_id)
        info = self._info(files)
        if info.is_terminal:
            raise InvalidRequest(f"Job {job_id} is already {info.status}; there is nothing to cancel.",
                                 "Use inspect_output to see what it wrote, or delete_job to remove it.")
        state = files.update_state(status="CANCELLING")
        pgid = int(state.get("pgid") or state.get("pid") or 0)
        if pgid:
            _signal_group(pgid, signal.SIGTERM)
            deadline = time.monotonic() + grace_seconds
            while _pid_alive(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _pid_alive(pgid):
                _signal_group(pgid, signal.SIGKILL)
        job = files.read_job()
        out = Path(job["output_dir"])
        for tmp in out.glob(".data_*.tmp"):
            tmp.unlink(missing_ok=True)
        (out / "_SUCCESS").unlink(missing_ok=True)
        files.update_state(status="CANCELLED", completed_on=now_iso(), message="cancelled on request")
        return self._info(files)

    def delete(self, job_id: ObjectName) -> JobInfo:
        files = self._files_for(job_id)
        info = self._info(files)
        if not info.is_terminal and info.status != "INTERNAL_ERROR":
            raise InvalidRequest(f"Job {job_id} is {info.status}.", "Cancel it first (cancel_job), then delete.")
        shutil.rmtree(files.dir)
        return info.model_copy(update={"status": "DELETED",
                                       "message": "job record removed; its output on the stage is kept"})


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass

