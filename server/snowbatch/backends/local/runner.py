"""The process that runs one local batch job:
`python -m snowbatch.backends.local.runner <job_dir> [<model_path> <server_pid> [<server_start>]]`,
or forked by a warm runner (backends/local/warm.py) with the same arguments.

Submit starts it before it snapshots the input (with the model's path and its own pid): the runner's
imports and the model load — most of a small job's time — then run on another core while the server
writes the snapshot, and scoring begins as soon as job.json exists (it is written after the snapshot).
A submission that fails stops the runner before removing the folder; if the server dies before writing
job.json, the runner sees its parent change (forked by a warm runner, whose child it is: the server's
pid and start stamp no longer name a live process) and exits without touching anything.

It reads the input snapshot one row group (= `max_batch_rows` rows) at a time, runs the model's function
over `num_workers` worker processes, writes one Parquet part per batch into the job's output folder and
writes `_SUCCESS` only after every part is in place. Status, progress and the log live in the job folder,
so a restarted server sees the job as it is. SIGTERM (cancel) stops it without `_SUCCESS`.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from snowbatch.backends.local.jobstate import JobFiles, job_process_main, now_iso
from snowbatch.backends.local.packaged import load_packaged, prepare_loader

log = logging.getLogger("snowbatch.runner")

# Set in the parent before the worker pool forks, so workers inherit the loaded model.
_MODEL: Any = None
_JOB: dict[str, Any] = {}
_INPUT: tuple[int, Any] | None = None  # (pid, ParquetFile): the input snapshot opened by this process


class Cancelled(Exception):
    pass


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Cancelled()


def _worker_init(threads: int) -> None:
    """Workers die at once on SIGTERM (cancel signals the whole group); only the runner records it.

    Each worker gets its share of the cores for the math libraries' thread pools: with every worker
    running BLAS/OpenMP pools as wide as the machine, N workers oversubscribe the cores and scale poorly.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)


def _score_in_pool(files: JobFiles, groups: int, workers: int) -> int:
    """Score every row group over `workers` forked processes; returns the rows done.

    On any way out but success (cancel, a failed batch) the workers are killed at once rather than
    awaited, so a stopped job leaves no process behind and writes no more parts.
    """
    import multiprocessing as mp

    done = 0
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("fork"), initializer=_worker_init, initargs=(threads,)
    )
    try:
        pending: set[Future[int]] = {pool.submit(run_batch_part, i) for i in range(groups)}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                done += fut.result()
            files.update_state(rows_done=done)
    except BaseException:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return done


def _read_stage_file(stage_path: str) -> bytes:
    from snowbatch.backends.local.account import LocalAccount
    from snowbatch.backends.local.stages import LocalStages

    return LocalStages(LocalAccount(Path(_JOB["home"]))).local_path(stage_path).read_bytes()


def _column_for(name: str, columns: list[str]) -> str:
    """The input column a signature input reads: its own name, else the first column that matches it
    case-insensitively (the signature says `messages`, the table MESSAGES: Snowflake upper-cases)."""
    if name in columns:
        return name
    return next((c for c in columns if c.upper() == name.upper()), name)


def _prepare(batch: Any, job: dict[str, Any]) -> Any:
    """The function's inputs as a pandas frame, in signature order, with files and chat media resolved.

    Only the columns the function reads are converted to pandas; the rest stay in Arrow for the output.
    """
    inputs = job["input_names"]
    sources = [_column_for(name, batch.column_names) for name in inputs]
    missing = [c for c in sources if c not in batch.column_names]
    if missing:
        raise KeyError(f"the input has no column for {missing}; its columns are {batch.column_names}")
    frame = batch.select(sources).to_pandas()
    frame.columns = inputs
    handling = job["spec"].get("column_handling") or {}
    chat = job.get("chat_column")
    if handling or chat:
        from snowbatch.backends.local.inputs import apply_column_handling, resolve_chat_messages

        for name, source in zip(inputs, sources, strict=True):
            if source in handling:
                frame[name] = apply_column_handling(list(frame[name]), handling[source], _read_stage_file)
            if chat and name == chat:
                frame[name] = [resolve_chat_messages(m, _read_stage_file) for m in frame[name]]
    return frame


def _input_file() -> Any:
    """The input snapshot, opened once per process (a forked worker opens its own)."""
    import pyarrow.parquet as pq

    global _INPUT
    if _INPUT is None or _INPUT[0] != os.getpid():
        _INPUT = (os.getpid(), pq.ParquetFile(_JOB["input_file"]))
    return _INPUT[1]


class Scored(NamedTuple):
    """One scored row group: the Arrow table to write (input columns + the model's outputs)."""

    rows: int
    table: Any
    plain: list[str]  # the model's floating-point outputs: written without dictionary encoding


def score_part(index: int) -> Scored:
    """Score one row group.

    Only the model's inputs go through pandas; the input columns written beside the outputs are the
    snapshot's own Arrow columns, with their types as they were (no second pandas → Arrow conversion).
    """
    import pandas as pd
    import pyarrow as pa

    job = _JOB
    # Single-threaded decode: a row group is small, and Arrow's thread pool costs more than it saves here
    # (4x slower on a busy 2-core machine in bench/); the parallelism is num_workers.
    batch = _input_file().read_row_group(index, use_threads=False)
    method = getattr(_MODEL, job["spec"]["target_method"])
    params = job["spec"].get("params")
    inputs = _prepare(batch, job)
    result = method(inputs, **params) if params else method(inputs)
    if not isinstance(result, pd.DataFrame):
        result = pd.DataFrame(result)
    outputs = pa.Table.from_pandas(result, preserve_index=False)
    # an output named like an input column replaces it, and comes last with the other outputs
    table = batch.drop_columns([c for c in outputs.column_names if c in batch.column_names])
    for field, column in zip(outputs.schema, outputs.columns, strict=True):
        table = table.append_column(field, column)
    plain = [f.name for f in outputs.schema if pa.types.is_floating(f.type)]
    return Scored(batch.num_rows, table, plain)


def write_part(index: int, part: Scored) -> None:
    """Write one Parquet part under a temporary name, then rename it into place.

    Scores and probabilities are nearly all distinct: Parquet's dictionary encoding would fill a page
    of them before falling back to plain, which doubled the time to write a part (bench/, 50,000 rows of
    a classifier's probabilities) and made it larger, so those columns skip it. pyarrow names nested
    columns by their leaves in that list, so a table with any keeps the default for every column.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir = Path(_JOB["output_dir"])
    final = out_dir / f"data_{index:06d}.parquet"
    tmp = out_dir / f".{final.name}.tmp"
    schema = part.table.schema
    dictionary: bool | list[str] = True
    if part.plain and not any(pa.types.is_nested(f.type) for f in schema):
        dictionary = [f.name for f in schema if f.name not in part.plain]
    pq.write_table(part.table, tmp, use_dictionary=dictionary)
    os.replace(tmp, final)


def run_batch_part(index: int) -> int:
    """Score one row group and write its Parquet part (a worker's whole task)."""
    part = score_part(index)
    write_part(index, part)
    return part.rows


def _score_in_process(files: JobFiles, groups: int) -> int:
    """One worker: score batch i while a writer thread writes batch i-1.

    Parquet encoding releases the GIL, so writing overlaps the model's own work instead of adding to it
    (bench/: 10-25% of a random forest's scoring time). At most one part waits to be written, so memory
    stays at about two batches. Progress counts rows whose part is in place; _SUCCESS is written by the
    caller only after the last write finished.
    """
    from concurrent.futures import ThreadPoolExecutor

    written = 0

    def write(index: int, part: Scored) -> None:
        nonlocal written
        write_part(index, part)
        written += part.rows
        files.update_state(rows_done=written)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as writer:
        pending: Future[None] | None = None
        for i in range(groups):
            part = score_part(i)
            if pending is not None:
                pending.result()
            pending = writer.submit(write, i, part)
        if pending is not None:
            pending.result()
    return written


@dataclass
class Preloaded:
    """The model loaded (or the reason it could not be) before the job record existed."""

    model: Any
    error: Exception | None
    seconds: float


def _preload(model_path: str) -> Preloaded:
    """Import what scoring needs and load the model. A load failure is kept, not raised: it fails the job
    once the job exists (a cancel, raised by the SIGTERM handler, still propagates).

    The garbage collector is off meanwhile: importing pandas, scikit-learn and snowflake-ml allocates
    millions of objects that live as long as the process, and collecting while they are created cost about
    a fifth of the load's CPU time (bench/, peer). They are then frozen, so no later collection scans them
    and forked workers do not write to their pages.
    """
    t0 = time.perf_counter()
    gc.disable()
    try:
        import pyarrow.parquet  # noqa: F401  (scoring's own imports, here rather than on the first batch)

        prepare_loader()  # without snowflake.ml.model's registry client, which loading never uses
        return Preloaded(load_packaged(model_path), None, time.perf_counter() - t0)
    except Cancelled:
        raise
    except Exception as exc:
        return Preloaded(None, exc, time.perf_counter() - t0)
    finally:
        gc.freeze()
        gc.enable()


def _await_record(files: JobFiles, server_pid: int, server_start: str | None = None) -> bool:
    """Wait until submit has written job.json (after the snapshot); False when the submission is gone
    (it failed and removed the folder) or its server died before writing the record: it is no longer our
    parent or, forked by a warm runner, its pid no longer names the process that started at `server_start`.
    """
    from snowbatch.backends.local.processes import pid_alive

    while not files.job_file.exists():
        gone = os.getppid() != server_pid if server_start is None else not pid_alive(server_pid, server_start)
        if gone or not files.dir.is_dir():
            return False
        time.sleep(0.01)
    return True


def run(
    job_dir: Path,
    model_path: str | None = None,
    server_pid: int | None = None,
    server_start: str | None = None,
) -> int:
    global _MODEL, _JOB
    files = JobFiles(job_dir)
    signal.signal(signal.SIGTERM, _on_sigterm)
    preloaded, waited = None, 0.0
    if model_path is not None and server_pid is not None:
        try:
            preloaded = _preload(model_path)
            waiting = time.perf_counter()
            if not _await_record(files, server_pid, server_start):
                return 1
            waited = time.perf_counter() - waiting
            # Submit records the pid it started before job.json; a warm runner's child whose start the
            # server gave up waiting for (it then started the plain way) finds another there: not its job.
            if server_start is not None and files.read_state().get("pid") != os.getpid():
                return 1
        except Cancelled:  # the submission failed, or a cancel came before the job started
            log.info("job cancelled before it started; no _SUCCESS written")
            return 1
    job = files.read_job()
    _JOB = job
    if files.transition(("PENDING",), status="RUNNING", started_on=now_iso(), pid=os.getpid()) is None:
        log.info("job %s was cancelled before it started", job["job_id"])
        return 1
    log.info(
        "job %s started: model %s version %s, function %s",
        job["job_id"],
        job["spec"]["model"],
        job["spec"]["version"],
        job["spec"]["function_name"],
    )
    try:
        import pyarrow.parquet as pq

        preloaded = preloaded or _preload(job["model_path"])
        if preloaded.error is not None:
            raise preloaded.error
        _MODEL = preloaded.model
        log.info("model loaded in %.2fs; then waited %.2fs for the input snapshot", preloaded.seconds, waited)
        t0 = time.perf_counter() - preloaded.seconds  # "job done … in" counts load + scoring, not waiting
        groups = pq.ParquetFile(job["input_file"]).num_row_groups
        workers = max(1, min(int(job["workers"]), groups or 1))
        total = int(job.get("row_count") or 0)
        log.info("%d rows in %d batches over %d worker(s)", total, groups, workers)
        done = _score_in_process(files, groups) if workers == 1 else _score_in_pool(files, groups, workers)
        log.info("peak RSS of a scoring process: %.0f MiB", _peak_rss_mib(children=workers > 1))
        (Path(job["output_dir"]) / "_SUCCESS").write_bytes(b"")
        files.update_state(
            status="DONE",
            completed_on=now_iso(),
            rows_done=done,
            message=f"{done} rows scored in {time.perf_counter() - t0:.1f}s",
        )
        log.info("job done: %d rows in %.2fs; _SUCCESS written", done, time.perf_counter() - t0)
        return 0
    except BaseException as exc:  # every failure ends as FAILED with its reason, never as a hang
        _remove_temp_parts(Path(job["output_dir"]))
        # A cancel signals the whole group: a worker's death may surface here before our own signal.
        if isinstance(exc, Cancelled) or files.read_state().get("status") == "CANCELLING":
            (Path(job["output_dir"]) / "_SUCCESS").unlink(missing_ok=True)
            files.update_state(status="CANCELLED", completed_on=now_iso(), message="cancelled on request")
            log.info("job cancelled; no _SUCCESS written")
            return 1
        log.error("job failed: %s\n%s", exc, traceback.format_exc())
        files.update_state(
            status="FAILED", completed_on=now_iso(), message=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return 1


def _peak_rss_mib(*, children: bool) -> float:
    """The peak RSS of the process that scored: this one (VmHWM: getrusage's figure for a process also
    counts the server it was exec'd from), or its largest worker (forked, reaped: getrusage children)."""
    import resource

    if children:
        return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the closest figure


def _remove_temp_parts(out_dir: Path) -> None:
    for tmp in out_dir.glob(".data_*.tmp"):
        tmp.unlink(missing_ok=True)


def main() -> None:
    early = sys.argv[2:]
    if len(early) in (2, 3):  # started by submit before the snapshot: the model's path, the server's pid
        start = early[2] if len(early) == 3 else None  # and its start stamp when forked by a warm runner
        job_process_main(lambda job_dir: run(job_dir, early[0], int(early[1]), start))
    else:
        job_process_main(run)


if __name__ == "__main__":
    main()
