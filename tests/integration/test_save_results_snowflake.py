"""Saving a job's results to a table on Snowflake loads the result parts and nothing else.

snowflake-ml stages a job's input as Parquet inside the output location: under `_temporary/` of the output
folder (run_batch of the 1.x releases) or `_snowflake_temporary/<uuid>/` of the output base (2.x), and the
job may leave it there. Such a file, even one with the very columns of the results, is not a result:
the table must get each result row once. The fake applies COPY's PATTERN the way the COPY INTO page says
a bulk load does (ledger F24); tests/unit/test_copy_pattern.py checks the pattern under the other
readings.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from snowbatch.core.names import ObjectName, StageLocation
from tests.fakes import make_fake_snowflake_backend, submitted
from tests.integration.test_snowflake_backend import spec

ROWS = 3000  # ML.PUBLIC.CUSTOMERS


@pytest.fixture
def backend(tmp_path: Path):
    backend = make_fake_snowflake_backend(tmp_path)
    submitted(backend, spec("JOB_1"))
    return backend


def job_folder(backend) -> Path:
    return backend.fake_account.stage_for(("ML", "PUBLIC", "BATCH_OUT")).folder / "runs" / "JOB_1"


def leave_staged_input(folder: Path) -> None:
    """Parquet where snowflake-ml stages a job's input, with the results' own columns (the worst case:
    loading it would duplicate every row rather than fail)."""
    part = next(folder.glob("*.parquet"))
    for sub in ("_temporary", "_snowflake_temporary/0a1b2c3d"):
        (folder / sub).mkdir(parents=True)
        shutil.copy(part, folder / sub / "data_0_0_0.parquet")


def rows_in(backend, table: str) -> int:
    (n,) = backend.fake_account.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    return int(n)


def test_staged_input_inside_the_output_folder_is_not_loaded(backend) -> None:
    folder = job_folder(backend)
    leave_staged_input(folder)
    location = StageLocation.parse("@ML.PUBLIC.BATCH_OUT/runs/JOB_1/")
    saved = backend.save_results_to_table(location, ObjectName.parse("ML.PUBLIC.SCORES"), mode="error")
    assert saved == ROWS
    assert rows_in(backend, '"ML"."PUBLIC"."SCORES"') == ROWS


def test_results_at_a_stage_root_with_staged_input_beside_them(backend) -> None:
    """1.x run_batch with stage_location @STAGE/: results, _SUCCESS and _temporary/ at the stage's root."""
    root = backend.fake_account.add_stage(("ML", "PUBLIC", "ROOT_OUT")).folder
    shutil.copytree(job_folder(backend), root, dirs_exist_ok=True)
    leave_staged_input(root)
    location = StageLocation.parse("@ML.PUBLIC.ROOT_OUT")
    saved = backend.save_results_to_table(location, ObjectName.parse("ML.PUBLIC.SCORES"), mode="error")
    assert saved == ROWS
    assert rows_in(backend, '"ML"."PUBLIC"."SCORES"') == ROWS
