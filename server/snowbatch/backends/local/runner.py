"""The process that runs one local batch job: `python -m snowbatch.backends.local.runner <job_dir>`.

It reads the input snapshot one row group (= `max_batch_rows` rows) at a time, runs the model's function
over `num_workers` worker processes, writes one Parquet part per batch into the job's output folder and
writes `_SUCCESS` only after every part is in place. Status, progress and the log live in the job folder,
so a restarted server sees the job as it is. SIGTERM (cancel) stops it without `_SUCCESS`.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from snowbatch.backends.local.jobstate import JobFiles, job_process_main, now_iso
from snowbatch.backends.local.packaged import load_packaged

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


def _prepare(frame: Any, job: dict[str, Any]) -> Any:
    """The function's inputs, in signature order, with files and chat media resolved."""
    from snowbatch.backends.local.inputs import apply_column_handling, resolve_chat_messages

    spec = job["spec"]
    data = frame.copy()
    for column, encoding in (spec.get("column_handling") or {}).items():
        data[column] = apply_column_handling(list(data[column]), encoding, _read_stage_file)
    inputs = job["input_names"]
    if job.get("chat_column"):
        # The signature says `messages`; the column is MESSAGES (Snowflake upper-cases unquoted names).
        wanted = str(job["chat_column"]).upper()
        col = next((c for c in data.columns if str(c).upper() == wanted), job["chat_column"])
        data[col] = [resolve_chat_messages(m, _read_stage_file) for m in data[col]]
    renamed = {c: c for c in data.columns}
    for name in inputs:  # a signature input may match a column case-insensitively (MESSAGES/messages)
        if name not in data.columns:
            match = next((c for c in data.columns if c.upper() == name.upper()), None)
            if match is not None:
                renamed[match] = name
    return data.rename(columns=renamed)[inputs]


def _input_file() -> Any:
    """The input snapshot, opened once per process (a forked worker opens its own)."""
    import pyarrow.parquet as pq

    global _INPUT
    if _INPUT is None or _INPUT[0] != os.getpid():
        _INPUT = (os.getpid(), pq.ParquetFile(_JOB["input_file"]))
    return _INPUT[1]


def score_part(index: int) -> tuple[int, Any]:
    """Score one row group: (rows, the Arrow table to write: input columns + the model's outputs)."""
    import pandas as pd
    import pyarrow as pa

    job = _JOB
    # Single-threaded decode: a row group is small, and Arrow's thread pool costs more than it saves here
    # (4x slower on a busy 2-core machine in bench/); the parallelism is num_workers.
    frame = _input_file().read_row_group(index, use_threads=False).to_pandas()
    method = getattr(_MODEL, job["spec"]["target_method"])
    params = job["spec"].get("params")
    inputs = _prepare(frame, job)
    result = method(inputs, **params) if params else method(inputs)
    if not isinstance(result, pd.DataFrame):
        result = pd.DataFrame(result)
    result.index = frame.index
    overlap = [c for c in result.columns if c in frame.columns]
    out = pd.concat([frame.drop(columns=overlap), result], axis=1)
    return len(frame), pa.Table.from_pandas(out, preserve_index=False)


def write_part(index: int, table: Any) -> None:
    """Write one Parquet part under a temporary name, then rename it into place."""
    import pyarrow.parquet as pq

    out_dir = Path(_JOB["output_dir"])
    final = out_dir / f"data_{index:06d}.parquet"
    tmp = out_dir / f".{final.name}.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, final)


def run_batch_part(index: int) -> int:
    """Score one row group and write its Parquet part (a worker's whole task)."""
    rows, table = score_part(index)
    write_part(index, table)
    return rows


def _score_in_process(files: JobFiles, groups: int) -> int:
    """One worker: score batch i while a writer thread writes batch i-1.

    Parquet encoding releases the GIL, so writing overlaps the model's own work instead of adding to it
    (bench/: 10-25% of a random forest's scoring time). At most one part waits to be written, so memory
    stays at about two batches. Progress counts rows whose part is in place; _SUCCESS is written by the
    caller only after the last write finished.
    """
    from concurrent.futures import ThreadPoolExecutor

    written = 0

    def write(index: int, rows: int, table: Any) -> None:
        nonlocal written
        write_part(index, table)
        written += rows
        files.update_state(rows_done=written)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as writer:
        pending: Future[None] | None = None
        for i in range(groups):
            rows, table = score_part(i)
            if pending is not None:
                pending.result()
            pending = writer.submit(write, i, rows, table)
        if pending is not None:
            pending.result()
    return written


def run(job_dir: Path) -> int:
    global _MODEL, _JOB
    files = JobFiles(job_dir)
    job = files.read_job()
    _JOB = job
    signal.signal(signal.SIGTERM, _on_sigterm)
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

        t0 = time.perf_counter()
        _MODEL = load_packaged(job["model_path"])
        log.info("model loaded in %.2fs", time.perf_counter() - t0)
        groups = pq.ParquetFile(job["input_file"]).num_row_groups
        workers = max(1, min(int(job["workers"]), groups or 1))
        total = int(job.get("row_count") or 0)
        log.info("%d rows in %d batches over %d worker(s)", total, groups, workers)
        done = _score_in_process(files, groups) if workers == 1 else _score_in_pool(files, groups, workers)
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


def _remove_temp_parts(out_dir: Path) -> None:
    for tmp in out_dir.glob(".data_*.tmp"):
        tmp.unlink(missing_ok=True)


def main() -> None:
    job_process_main(run)


if __name__ == "__main__":
    main()
