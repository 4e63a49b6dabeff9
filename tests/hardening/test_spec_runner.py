"""What a local job's runner leaves behind, however the job ends.

- Every part written: DONE, `_SUCCESS`, the exact row count, when it started and completed, and a message
  whose time counts the model's load.
- While it runs: progress counts the rows whose parts are in place.
- A part that cannot be written (a full disk), a model that cannot be loaded: FAILED with the reason,
  no `_SUCCESS`, no half-written part.
- SIGTERM (cancel), even after `_SUCCESS` was written but before DONE: CANCELLED, no `_SUCCESS`.
- A runner that is not the job's (a warm runner's child the server gave up on, a submission that is gone)
  touches nothing.

The runner's `run()` is called in this process on a job folder built here, with a model that doubles X
standing in for the load (the premise of each test is what it patches); the signals are real. The pooled
path forks workers, so it is checked on a real job.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.hardening.test_spec_output import row, sleepy_job
from tests.integration.test_job_support import job_files, wait_terminal

from snowbatch.backends.local import runner
from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.jobstate import JobFiles, now_iso
from snowbatch.backends.local.processes import process_start_time

BATCHES, BATCH_ROWS = 3, 2
ROWS = BATCHES * BATCH_ROWS
LOAD_SECONDS = 30.0  # the load's time as the preload reports it


class Doubler:
    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"Y": frame["X"] * 2})


def no_handler(signum: int, frame: Any) -> None:
    raise AssertionError("the runner did not install its SIGTERM handler")


@pytest.fixture(autouse=True)
def keep_sigterm() -> Iterator[None]:
    """run() installs its SIGTERM handler in this process: until it does, a SIGTERM fails the test
    (rather than ending pytest), and afterwards the test runner's own is put back."""
    before = signal.signal(signal.SIGTERM, no_handler)
    yield
    signal.signal(signal.SIGTERM, before)


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_preload", lambda path: runner.Preloaded(Doubler(), None, LOAD_SECONDS))


def job_folder(tmp_path: Path, **state: Any) -> JobFiles:
    """A submitted job as submit leaves it: the input snapshot (one row group per batch), its record,
    PENDING with this process as its runner, and an empty output folder."""
    files = JobFiles(tmp_path / "job")
    files.input_file.parent.mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    pq.write_table(
        pa.table({"X": [float(i) for i in range(ROWS)]}), files.input_file, row_group_size=BATCH_ROWS
    )
    files.update_state(
        **{"status": "PENDING", "rows_total": ROWS, "rows_done": 0, "pid": os.getpid(), **state}
    )
    files.write_job(
        {
            "job_id": "ML.PUBLIC.RUNNER_SPEC",
            "kind": "batch",
            "spec": {
                "model": "ML.PUBLIC.DOUBLER",
                "version": "V1",
                "function_name": "PREDICT",
                "target_method": "predict",
            },
            "model_path": str(tmp_path / "model"),
            "input_file": str(files.input_file),
            "output_dir": str(out),
            "workers": 1,
            "row_count": ROWS,
            "input_names": ["X"],
            "created_on": now_iso(),
        }
    )
    return files


def output(files: JobFiles) -> list[str]:
    return sorted(p.name for p in Path(files.read_job()["output_dir"]).iterdir())


def on_part(monkeypatch: pytest.MonkeyPatch, name: str, hook: Callable[[int], None]) -> None:
    """Call `hook(index)` before the runner's own `name` (score_part or write_part) for each batch."""
    real = getattr(runner, name)

    def hooked(index: int, *args: Any) -> Any:
        hook(index)
        return real(index, *args)

    monkeypatch.setattr(runner, name, hooked)


# --- a job that ends DONE --------------------------------------------------------------------------------


def test_a_job_whose_every_part_is_written_ends_done_with_its_record(tmp_path: Path, loaded: None) -> None:
    files = job_folder(tmp_path)
    assert runner.run(files.dir) == 0
    state = files.read_state()
    assert state["status"] == "DONE" and state["rows_done"] == ROWS
    assert datetime.fromisoformat(state["started_on"]) <= datetime.fromisoformat(state["completed_on"])
    seconds = float(re.fullmatch(rf"{ROWS} rows scored in ([0-9.]+)s", state["message"])[1])  # type: ignore[index]
    assert seconds >= LOAD_SECONDS  # the load counts; waiting for the snapshot does not
    assert output(files) == ["_SUCCESS", "data_000000.parquet", "data_000001.parquet", "data_000002.parquet"]
    scored = pq.read_table(Path(files.read_job()["output_dir"]) / "data_000002.parquet").to_pydict()
    assert scored == {"X": [4.0, 5.0], "Y": [8.0, 10.0]}


def test_progress_counts_the_rows_whose_parts_are_in_place(
    tmp_path: Path, loaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = job_folder(tmp_path)
    seen: dict[int, tuple[int, int]] = {}  # batch about to be scored -> (rows_done, rows in finished parts)

    def note(index: int) -> None:
        parts = Path(files.read_job()["output_dir"]).glob("data_*.parquet")
        seen[index] = (files.read_state()["rows_done"], sum(pq.read_metadata(p).num_rows for p in parts))

    on_part(monkeypatch, "score_part", note)
    assert runner.run(files.dir) == 0
    # while batch 2 is scored, batch 0's part is in place (at most one part waits to be written)
    assert seen[2][0] in (BATCH_ROWS, 2 * BATCH_ROWS)
    assert all(done <= in_place for done, in_place in seen.values())


def test_a_pooled_job_counts_exactly_its_rows_and_when_it_ran(home: Path) -> None:
    backend = LocalBackend(home)
    job = backend.submit_job(sleepy_job([row(i) for i in range(8)], batch_rows=2, workers=2))
    done = wait_terminal(backend, job)
    state = job_files(home, job).read_state()
    assert done.status == "DONE" and state["rows_done"] == 8 and state["message"].startswith("8 rows scored")
    assert done.started_on and done.completed_on and done.started_on <= done.completed_on


# --- a job that fails --------------------------------------------------------------------------------------


@pytest.mark.parametrize("failing", [1, BATCHES - 1], ids=["a middle part", "the last part"])
def test_a_part_that_cannot_be_written_fails_the_job_without_success(
    tmp_path: Path, loaded: None, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    files = job_folder(tmp_path)
    out = Path(files.read_job()["output_dir"])

    def disk_full(index: int) -> None:
        if index == failing:
            (out / f".data_{index:06d}.parquet.tmp").write_bytes(b"PAR1")  # cut short mid-write
            raise OSError(28, "No space left on device")

    on_part(monkeypatch, "write_part", disk_full)
    assert runner.run(files.dir) != 0
    state = files.read_state()
    assert state["status"] == "FAILED" and "No space left on device" in state["message"]
    assert state["completed_on"]
    assert output(files) == [f"data_{i:06d}.parquet" for i in range(failing)]  # no _SUCCESS, no .tmp


def test_a_model_that_cannot_be_loaded_fails_the_job_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = FileNotFoundError("model/model.pkl is missing")
    monkeypatch.setattr(runner, "_preload", lambda path: runner.Preloaded(None, reason, 0.1))
    files = job_folder(tmp_path)
    assert runner.run(files.dir) != 0
    state = files.read_state()
    assert state["status"] == "FAILED" and "model/model.pkl is missing" in state["message"]
    assert state["completed_on"] and output(files) == []


# --- a job that is cancelled -----------------------------------------------------------------------------


def sigterm(index: int) -> None:
    if index == 1:
        os.kill(os.getpid(), signal.SIGTERM)  # what cancel sends the job's group


def test_sigterm_while_scoring_ends_the_job_cancelled_without_success(
    tmp_path: Path, loaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = job_folder(tmp_path)
    on_part(monkeypatch, "score_part", sigterm)
    assert runner.run(files.dir) != 0
    state = files.read_state()
    assert (
        state["status"] == "CANCELLED"
        and state["message"] == "cancelled on request"
        and state["completed_on"]
    )
    assert "_SUCCESS" not in output(files) and not any(n.endswith(".tmp") for n in output(files))


def test_sigterm_after_success_was_written_but_before_done_takes_success_back(
    tmp_path: Path, loaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = job_folder(tmp_path)
    real_update = JobFiles.update_state

    def update(self: JobFiles, **changes: Any) -> dict[str, Any]:
        if changes.get("status") == "DONE":
            os.kill(os.getpid(), signal.SIGTERM)
        return real_update(self, **changes)

    monkeypatch.setattr(JobFiles, "update_state", update)
    assert runner.run(files.dir) != 0
    assert files.read_state()["status"] == "CANCELLED"
    assert "_SUCCESS" not in output(files)


# --- a runner that is not the job's ----------------------------------------------------------------------

START = process_start_time(os.getpid())  # this process stands in for the server that forked the runner


def test_a_warm_runners_child_runs_the_job_that_records_it(tmp_path: Path, loaded: None) -> None:
    files = job_folder(tmp_path)  # submit recorded this process as the job's runner
    assert runner.run(files.dir, "model", os.getpid(), START) == 0
    assert files.read_state()["status"] == "DONE"


def test_a_warm_runners_child_whose_job_records_another_runner_touches_nothing(
    tmp_path: Path, loaded: None
) -> None:
    files = job_folder(tmp_path, pid=os.getpid() + 1)  # the server gave up on this child and started another
    before = files.state_file.read_bytes()
    assert runner.run(files.dir, "model", os.getpid(), START) != 0
    assert files.state_file.read_bytes() == before and output(files) == []


def test_a_runner_whose_submission_is_gone_touches_nothing(tmp_path: Path, loaded: None) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # the server that started the runner died before it wrote job.json
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    assert runner.run(job_dir, "model", gone.pid) != 0
    assert list(job_dir.iterdir()) == []
