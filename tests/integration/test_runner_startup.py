"""The local runner starts before the input snapshot and writes input columns as the snapshot holds them.

Submit starts the runner first, so its imports and the model load overlap the snapshot (docs/benchmarks.md,
peer); these tests hold what that must not change: a submission that fails after the runner started leaves
no process and no folder behind, a runner whose server is gone before the job record exists ends on its
own, and a job scored that way still runs its batches to DONE. The output's input columns come straight
from the snapshot's Arrow columns, so their types are the input's (an integer column with NULLs stays
integer instead of becoming a float through pandas).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.jobs import LocalJobs
from snowbatch.backends.local.jobstate import JobFiles
from snowbatch.core.names import Identifier, ObjectName
from snowbatch.core.requests import ResolvedInput
from tests.integration.test_job_support import (
    SLEEPY,
    group_members,
    job_files,
    job_spec,
    output_dir,
    rows,
    wait_terminal,
)


def test_a_submission_failing_after_its_runner_started_leaves_no_process_and_no_folder(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = LocalBackend(home)
    groups: list[tuple[JobFiles, int]] = []

    def failing_snapshot(self: LocalJobs, spec: Any, files: JobFiles, batch_rows: int) -> int:
        pgid = int(files.read_state()["pgid"])  # the runner is already up, loading the model
        assert group_members(pgid)
        groups.append((files, pgid))
        raise OSError(28, "No space left on device")  # as a full disk fails the snapshot

    monkeypatch.setattr(LocalJobs, "_snapshot_input", failing_snapshot)
    with pytest.raises(OSError, match="No space left"):
        backend.submit_job(job_spec(base="failed/", n=4))

    ((files, pgid),) = groups
    assert group_members(pgid) == []  # stopped before submit returned
    assert not files.dir.exists()  # and its folder removed, so nothing lists the job


def test_a_runner_whose_server_is_gone_before_the_job_record_ends_on_its_own(home: Path) -> None:
    backend = LocalBackend(home)
    files = JobFiles(home / "jobs" / "ORPHANED")
    files.dir.mkdir(parents=True)
    model_path = backend.registry.version_path(ObjectName.parse(SLEEPY), Identifier("V1"))
    # the runner is told its server is pid 1, which is not its parent: as if the server had died
    proc = subprocess.Popen(
        [sys.executable, "-m", "snowbatch.backends.local.runner", str(files.dir), str(model_path), "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert proc.wait(timeout=120) == 1  # after loading the model, without waiting for a job record
    assert list(files.dir.iterdir()) == []  # and without writing a state


def test_the_output_keeps_the_input_columns_types_and_every_batch_is_scored(home: Path) -> None:
    backend = LocalBackend(home)
    data = [{**row, "N": None if i % 3 == 0 else i} for i, row in enumerate(rows(7))]
    spec = job_spec(base="typed/", n=7, batch_rows=2, workers=2).model_copy(
        update={"input": ResolvedInput(kind="rows", rows=data, row_count=7)}
    )
    job = wait_terminal(backend, backend.submit_job(spec))
    assert job.status == "DONE", job
    assert job.progress is not None and job.progress.rows_done == 7
    out = output_dir(backend, job)
    assert (out / "_SUCCESS").exists()
    parts = sorted(out.glob("data_*.parquet"))
    assert len(parts) == 4  # batches of 2 rows: 2 + 2 + 2 + 1
    table = pq.read_table(parts)
    assert table.schema.field("N").type == pa.int64()  # with NULLs: not turned into a float
    assert table.column_names == ["X", "DELAY", "HOLD", "N", "Y"]
    assert sorted(table.column("Y").to_pylist()) == [2.0 * i for i in range(7)]
    assert sorted(table.column("N").to_pylist(), key=lambda v: -1 if v is None else v) == [
        None,
        None,
        None,
        1,
        2,
        4,
        5,
    ]
    log = job_files(home, job).log_file.read_text()
    assert "then waited" in log and "peak RSS of a scoring process" in log
