"""The process behind one local warehouse write.

`python -m snowbatch.backends.local.warehouse_runner <job_dir>` streams the input snapshot in record
batches through the packaged model (whole partitions at a time for partitioned functions: the snapshot
is sorted by the partition column and the last, possibly incomplete, partition of a batch is carried
into the next), appends each scored batch to one Parquet
file in the job folder, and only then writes the table — in one DuckDB transaction, so the table is
either fully written or untouched. SIGTERM (cancel_job) before that point leaves the table as it was.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import traceback
from pathlib import Path
from typing import Any

from snowbatch.backends.local.jobstate import JobFiles, job_process_main, now_iso

log = logging.getLogger("snowbatch.warehouse_runner")


class Cancelled(Exception):
    pass


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Cancelled()


def _split_partition(frame: Any, column: str) -> tuple[Any, Any]:
    """(complete partitions, the rows of the last partition, which may continue in the next batch)."""
    last = frame[column].iloc[-1]
    same = frame[column].isna() if _is_na(last) else frame[column] == last
    return frame[~same], frame[same]


def _is_na(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _write_table(home: str, table_name: str, result_file: Path, mode: str) -> int:
    """Load the scored rows into the table in one transaction, waiting briefly for a busy file."""
    import duckdb

    from snowbatch.backends.local.account import LocalAccount
    from snowbatch.backends.local.tables import LocalTables
    from snowbatch.core.names import ObjectName

    tables = LocalTables(LocalAccount(Path(home)))
    table = ObjectName.parse(table_name, what="table")
    deadline = time.monotonic() + 60
    while True:
        try:
            return tables.write(table, [result_file], mode=mode)  # type: ignore[arg-type]
        except duckdb.IOException as exc:  # another process holds the database file: wait for it
            if time.monotonic() > deadline:
                raise
            log.info("database busy (%s); retrying", str(exc).splitlines()[0])
            time.sleep(0.2)


def run(job_dir: Path) -> int:
    files = JobFiles(job_dir)
    job = files.read_job()
    signal.signal(signal.SIGTERM, _on_sigterm)
    files.update_state(status="RUNNING", started_on=now_iso(), pid=os.getpid())
    out_dir = Path(job["output_dir"])
    tmp = out_dir / ".result.parquet.tmp"
    result_file = out_dir / "result.parquet"
    try:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        from snowbatch.backends.local.warehouse import load_model, score
        from snowbatch.core.warehouse import WarehouseRunSpec

        spec = WarehouseRunSpec.model_validate(job["warehouse_spec"])
        log.info(
            "warehouse job %s: %s version %s, function %s → %s (mode %s)",
            job["job_id"],
            spec.model,
            spec.version,
            spec.function_name,
            spec.output_table,
            spec.mode,
        )
        t0 = time.perf_counter()
        model = load_model(job["model_path"])
        log.info("model loaded in %.2fs", time.perf_counter() - t0)
        out_dir.mkdir(parents=True, exist_ok=True)
        writer: pq.ParquetWriter | None = None
        done = 0
        carry: pd.DataFrame | None = None
        partition = spec.partition_column if spec.partitioned else None

        def emit(frame: pd.DataFrame) -> None:
            nonlocal writer, done
            scored = pa.Table.from_pandas(score(model, spec, frame), preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, scored.schema)
            writer.write_table(scored.cast(writer.schema))
            done += len(frame)
            files.update_state(rows_done=done)

        source = pq.ParquetFile(job["input_file"])
        for batch in source.iter_batches(batch_size=int(job.get("batch_rows") or 50_000)):
            frame = batch.to_pandas()
            if partition:
                if carry is not None:
                    frame = pd.concat([carry, frame], ignore_index=True)
                frame, carry = _split_partition(frame, partition)
            if len(frame):
                emit(frame)
        if carry is not None and len(carry):
            emit(carry)
        if writer is None:
            files.update_state(
                status="DONE",
                completed_on=now_iso(),
                rows_done=0,
                message=f"The input had no rows; {spec.output_table} was left as it was.",
            )
            log.info("no input rows; nothing written")
            return 0
        writer.close()
        os.replace(tmp, result_file)
        # The table write is one transaction; do not let a cancel interrupt it half-way.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        files.update_state(message=f"writing {done:,} rows to {spec.output_table}")
        written = _write_table(job["home"], str(spec.output_table), result_file, spec.mode)
        files.update_state(
            status="DONE",
            completed_on=now_iso(),
            rows_done=done,
            message=f"{written:,} rows written to {spec.output_table} ({spec.mode}) in "
            f"{time.perf_counter() - t0:.1f}s",
        )
        log.info("job done: %d rows written to %s", written, spec.output_table)
        return 0
    except Cancelled:
        files.update_state(
            status="CANCELLED",
            completed_on=now_iso(),
            message="cancelled on request; the table was not changed",
        )
        log.info("job cancelled; the table was not changed")
        return 1
    except BaseException as exc:  # every failure ends as FAILED with its reason, never as a hang
        log.error("job failed: %s\n%s", exc, traceback.format_exc())
        files.update_state(
            status="FAILED",
            completed_on=now_iso(),
            message=f"{type(exc).__name__}: {exc}"[:2000] + " (the table was not changed)",
        )
        return 1
    finally:
        tmp.unlink(missing_ok=True)
        result_file.unlink(missing_ok=True)
        Path(job["input_file"]).unlink(missing_ok=True)


def main() -> None:
    job_process_main(run)


if __name__ == "__main__":
    main()
