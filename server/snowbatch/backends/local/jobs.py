"""Local batch jobs: submit (snapshot the input, claim the output, start the runner), status, logs,
cancel, delete and listing. A job is a detached process in its own session, so it outlives the server
that started it and cancel can end its whole process group.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from snowbatch.backends.local.account import LocalAccount
from snowbatch.backends.local.job_inputs import snapshot_job_output, snapshot_query
from snowbatch.backends.local.jobstate import JobFiles, StateLocked, now_iso
from snowbatch.backends.local.pools import LocalPools
from snowbatch.backends.local.processes import (
    group_alive,
    leftovers_are_ours,
    pid_alive,
    start_detached,
    stop_group,
)
from snowbatch.backends.local.registry import LocalRegistry
from snowbatch.backends.local.stages import LocalStages
from snowbatch.backends.local.tables import LocalTables
from snowbatch.core.errors import BackendFailure, Conflict, InvalidRequest, NotFound
from snowbatch.core.joblist import Entry, page_newest_first, sort_key
from snowbatch.core.names import Identifier, ObjectName, SchemaName, StageLocation
from snowbatch.core.output import occupants
from snowbatch.core.records import TERMINAL_STATUSES, JobInfo, JobProgress, LogChunk, Page
from snowbatch.core.requests import BatchJobSpec

DEFAULT_BATCH_ROWS = {"table": 50_000, "rows": 50_000, "files": 8, "chat": 4}


class LocalJobs:
    def __init__(
        self,
        account: LocalAccount,
        tables: LocalTables,
        stages: LocalStages,
        registry: LocalRegistry,
        pools: LocalPools,
        default_schema: SchemaName,
    ) -> None:
        self.account = account
        self.default_schema = default_schema
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
        job_dir = base_dir / spec.job_folder
        with self._location_lock(base):
            existing = occupants([p.name for p in base_dir.iterdir()]) if base_dir.is_dir() else []
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
        if inp.kind == "table" and inp.query is not None:
            return snapshot_query(self.account, self.default_schema, inp, files.input_file, batch_rows)
        if inp.kind == "table" and inp.parquet_location is not None:
            return snapshot_job_output(self.account, inp, files.input_file, batch_rows)
        if inp.kind == "table" or (inp.kind == "chat" and inp.chat_table):
            table = ObjectName.parse(inp.table or inp.chat_table or "")
            return self.tables.snapshot_to_parquet(
                table, inp.projection(), files.input_file, row_group_size=batch_rows
            )
        if inp.kind == "rows":
            data = pa.Table.from_pylist(inp.rows or [])
        else:  # files, or a chat built from a prompt and files
            data = pa.table(inp.file_input_columns())
        pq.write_table(data, files.input_file, row_group_size=batch_rows)
        return data.num_rows

    def submit(self, spec: BatchJobSpec) -> JobInfo:
        model = ObjectName.parse(spec.model)
        version_path = self.registry.version_path(model, Identifier.parse(spec.version))
        pool_name = Identifier.parse(spec.compute_pool, allow_quoted=False)
        pool = self.pools.check_can_take_job(pool_name)
        named = spec.job
        job_id = str(named)
        files = JobFiles(self.account.job_dir(named.name.name))
        files.dir.parent.mkdir(parents=True, exist_ok=True)
        try:  # creating the folder claims the name: of two submissions with one name, one gets it
            files.dir.mkdir()
        except FileExistsError:
            raise Conflict(
                f"A job named {named} already exists.",
                "Choose another job_name, or delete the old job first.",
            ) from None
        try:
            output_dir = self._claim_output(spec)
        except BaseException:
            shutil.rmtree(files.dir, ignore_errors=True)
            raise
        batch_rows = spec.max_batch_rows or DEFAULT_BATCH_ROWS[spec.input.kind]
        try:  # from here on, a failure removes exactly what this submission created
            # The runner starts first: its imports and the model load (about 2 s) overlap the snapshot,
            # and it begins scoring once job.json exists (docs/benchmarks.md, peer).
            self._start_runner(files, version_path)
            rows = self._snapshot_input(spec, files, batch_rows)
            detail = self.registry.version_detail(model, Identifier.parse(spec.version))
            function = next(f for f in detail.functions if f.name == spec.function_name)
            workers = spec.num_workers or self.pools.local_workers(pool)
            job = {
                "job_id": job_id,
                "kind": "batch",
                "job_name": spec.job_name,
                "spec": spec.model_dump(mode="json"),
                "home": str(self.account.home),
                "model_path": str(version_path),
                "input_file": str(files.input_file),
                "output_dir": str(output_dir),
                "output_location": spec.job_output_location,
                "workers": workers,
                "row_count": rows,
                "input_names": [f.name for f in function.inputs],
                "chat_column": next((f.name for f in function.inputs if f.name.lower() == "messages"), None)
                if function.input_kind == "chat"
                else None,
                "created_on": now_iso(),
            }
            self.pools.start_job_on(pool_name)
            # state first: job.json is what makes the job visible (and starts the waiting runner)
            files.update_state(status="PENDING", rows_total=rows, rows_done=0)
            files.write_job(job)
        except BaseException:
            _stop_runner(files)
            shutil.rmtree(files.dir, ignore_errors=True)
            shutil.rmtree(output_dir, ignore_errors=True)
            raise
        return self.get(ObjectName.parse(job_id))

    def _start_runner(self, files: JobFiles, model_path: Path) -> None:
        start_detached(files, "snowbatch.backends.local.runner", str(model_path), str(os.getpid()))

    # --- reading ------------------------------------------------------------------------------
    def _files_for(self, job_id: ObjectName) -> JobFiles:
        files = JobFiles(self.account.job_dir(job_id.name.name))
        if not files.job_file.exists():
            raise NotFound(f"No job {job_id} in this account.", "list_jobs shows recent jobs and their ids.")
        return files

    def _settle(self, files: JobFiles, state: dict[str, Any]) -> dict[str, Any]:
        """The state as it really is: a job whose process is gone without a final status is FAILED.

        This is what makes status restart-safe: nothing but the files and the process table is
        consulted, so any server (this one, a restarted one, the CLI) reaches the same answer.
        """
        if state.get("status", "PENDING") in TERMINAL_STATUSES:
            return state
        pid = state.get("pid")
        if pid is None:
            age = time.time() - files.job_file.stat().st_mtime
            if age < START_GRACE_SECONDS:
                return state  # being started right now
            return (
                files.transition(
                    ACTIVE,
                    status="FAILED",
                    completed_on=now_iso(),
                    message="The job's process never started (the server that submitted it stopped first). "
                    "Nothing ran; submit it again.",
                )
                or files.read_state()
            )
        if pid_alive(int(pid), state.get("pid_start")):
            return state
        state = files.read_state()  # the runner may have finished between the two reads
        if state.get("status", "PENDING") not in ACTIVE:
            return state
        if state.get("status") == "CANCELLING":  # a cancel was under way when its caller stopped
            self._discard_unfinished(files)
            return (
                files.transition(
                    ACTIVE, status="CANCELLED", completed_on=now_iso(), message="cancelled on request"
                )
                or files.read_state()
            )
        pgid = int(state.get("pgid") or pid)
        if leftovers_are_ours(state, int(pid)) and group_alive(pgid):
            stop_group(pgid, grace_seconds=0)  # its workers outlived it: stop them writing more parts
        self._discard_unfinished(files)
        message = (
            f"The job's process (pid {pid}) ended without finishing: it was killed or crashed. "
            "Output is partial (no _SUCCESS); see get_job_logs."
        )
        settled = files.transition(ACTIVE, status="FAILED", completed_on=now_iso(), message=message)
        if settled is None:  # another reader settled it first
            return files.read_state()
        with suppress(OSError), files.log_file.open("a") as log:  # so the log says how it ended
            log.write(f"{now_iso()} ERROR {message}\n")
        return settled

    def _info(self, files: JobFiles) -> JobInfo:
        try:
            job = files.read_job()
            state = self._settle(files, files.read_state())
        except (OSError, ValueError) as exc:
            return JobInfo(
                job_id=files.dir.name,
                status="INTERNAL_ERROR",
                message=f"The job record is unreadable ({type(exc).__name__}); it was corrupted "
                "or written by another tool. Delete it with delete_job.",
            )
        spec = job.get("spec") or {}
        return JobInfo(
            job_id=job["job_id"],
            kind=job.get("kind", "batch"),
            status=state.get("status", "PENDING"),
            model=spec.get("model"),
            version=spec.get("version"),
            function=spec.get("function_name"),
            compute_pool=spec.get("compute_pool"),
            output_location=job.get("output_location"),
            created_on=job.get("created_on"),
            started_on=state.get("started_on"),
            completed_on=state.get("completed_on"),
            message=state.get("message"),
            progress=JobProgress(rows_done=state.get("rows_done"), rows_total=state.get("rows_total")),
            input_rows=job.get("row_count"),
            replicas=spec.get("replicas"),
        )

    def get(self, job_id: ObjectName) -> JobInfo:
        return self._info(self._files_for(job_id))

    def busy_pools(self) -> set[str]:
        """The pools an unfinished job runs on (their state shows ACTIVE until the jobs end)."""
        root = self.account.jobs_dir
        busy = set()
        for d in root.iterdir() if root.is_dir() else []:
            files = JobFiles(d)
            if files.job_file.is_file() and files.state_file.is_file():
                info = self._info(files)
                if info.status in ACTIVE and info.compute_pool:
                    busy.add(Identifier.parse(info.compute_pool, allow_quoted=False).name)
        return busy

    def list_jobs(self, *, limit: int, cursor: str | None) -> Page[JobInfo]:
        """Every job in the account (batch and warehouse), newest first.

        The cursor is the sort key of the last job shown, so jobs submitted between two pages do not
        shift the next page (no job is shown twice or skipped).
        """
        root = self.account.jobs_dir
        entries: list[Entry[JobFiles]] = []
        for d in root.iterdir() if root.is_dir() else []:
            files = JobFiles(d)
            if not files.job_file.is_file():
                continue  # being submitted (or a submission that failed): not a job yet
            entries.append(Entry(_created_key(files), d.name, files))
        chunk, nxt, total = page_newest_first(entries, limit=limit, cursor=cursor)
        return Page(items=[self._info(files) for files in chunk], next_cursor=nxt, total=total)

    def logs(self, job_id: ObjectName, *, tail: int, offset: int) -> LogChunk:
        """`tail` lines ending `offset` lines before the end of the log; next_offset reaches further back."""
        files = self._files_for(job_id)
        lines = files.log_file.read_text(errors="replace").splitlines() if files.log_file.exists() else []
        end = max(0, len(lines) - offset)
        start = max(0, end - tail)
        return LogChunk(
            job_id=str(job_id),
            lines=[_cut(ln) for ln in lines[start:end]],
            next_offset=offset + (end - start) if start > 0 else None,
            truncated=start > 0,
        )

    # --- control ------------------------------------------------------------------------------
    def cancel(self, job_id: ObjectName, *, grace_seconds: float = 5.0) -> JobInfo:
        """Stop the job's whole process group (runner and workers); no _SUCCESS is left behind.

        A job that finished on its own before the signal landed stays DONE.
        """
        files = self._files_for(job_id)
        info = self._info(files)
        if info.is_terminal:
            raise InvalidRequest(
                f"Job {job_id} is already {info.status}; there is nothing to cancel.",
                "Use inspect_output to see what it wrote, or delete_job to remove it.",
            )
        try:  # CANCELLING tells the runner a worker's death is this cancel, not a failure
            state = files.transition(ACTIVE, lock_timeout=LOCK_WAIT_SECONDS, status="CANCELLING")
        except StateLocked:  # its holder is frozen (e.g. the runner, stopped inside an update): stop anyway
            state = files.read_state()  # (state.json is replaced atomically: readable without the lock)
        if state is None:  # it finished on its own a moment ago
            return self.cancel(job_id, grace_seconds=grace_seconds)
        pgid = int(state.get("pgid") or state.get("pid") or 0)
        if pgid:
            stop_group(pgid, grace_seconds=grace_seconds)  # the frozen holder is gone with its lock
        if files.read_state().get("status") == "DONE":  # it completed before the signal landed
            return self._info(files)
        self._discard_unfinished(files)
        try:  # FAILED too: a worker's death may surface in a runner that had not seen CANCELLING
            end = dict(status="CANCELLED", completed_on=now_iso(), message="cancelled on request")
            files.transition((*ACTIVE, "FAILED"), lock_timeout=LOCK_WAIT_SECONDS * 5, **end)
        except StateLocked:
            raise BackendFailure(
                f"Job {job_id}'s processes were stopped, but another process holds its state file's lock, "
                "so CANCELLED could not be recorded.",
                f"Find the process holding {files.dir / '.state.lock'} (e.g. with `fuser`) and end it; "
                "wait_for_job then shows how the job ended.",
            ) from None
        return self._info(files)

    def _discard_unfinished(self, files: JobFiles) -> None:
        """After a job stopped early: no half-written part and no _SUCCESS (the output is partial)."""
        out = Path(files.read_job().get("output_dir", files.dir / "output"))
        for tmp in out.glob(".data_*.tmp"):
            tmp.unlink(missing_ok=True)
        if files.read_job().get("kind", "batch") == "batch":
            (out / "_SUCCESS").unlink(missing_ok=True)

    def delete(self, job_id: ObjectName) -> JobInfo:
        files = self._files_for(job_id)
        info = self._info(files)
        if not info.is_terminal:
            raise InvalidRequest(
                f"Job {job_id} is {info.status}; a running job cannot be deleted.",
                "Cancel it first (cancel_job), or wait for it to finish, then delete.",
            )
        shutil.rmtree(files.dir)
        kept = "its output on the stage is kept" if info.kind == "batch" else "its table is kept"
        return info.model_copy(update={"status": "DELETED", "message": f"job record removed; {kept}"})


ACTIVE = ("PENDING", "RUNNING", "CANCELLING")  # statuses a job moves on from
LOCK_WAIT_SECONDS = 2.0  # cancel's wait for the state lock before it stops the job without it
START_GRACE_SECONDS = 60.0  # a job without a process this long after submit will never start
MAX_LOG_LINE = 500


def _stop_runner(files: JobFiles) -> None:
    """A failed submission's runner (started before the snapshot) is stopped before its folder goes."""
    with suppress(OSError, ValueError):
        pgid = int(files.read_state().get("pgid") or 0)
        if pgid:
            stop_group(pgid, grace_seconds=0)


def _cut(line: str) -> str:
    if len(line) <= MAX_LOG_LINE:
        return line
    return line[:MAX_LOG_LINE] + f"…(+{len(line) - MAX_LOG_LINE} chars)"


def _created_key(files: JobFiles) -> str:
    """A job's creation time as a sortable key: job.json's created_on (UTC ISO), else its mtime."""
    try:
        created = files.read_job().get("created_on")
        if created:
            return sort_key(str(created))
    except (OSError, ValueError):
        pass
    return sort_key(datetime.fromtimestamp(files.job_file.stat().st_mtime, timezone.utc))
