"""Every model flavour `snowbatch local log-model` takes, logged through the real CLI from a file or an
--object, then scored by a real local job and a real warehouse write through the MCP tools.

Both give the function's output columns as snowflake-ml's packager named them, after the input columns,
and the model's own values (computed in the test with the framework itself). A flavour whose framework
is not installed is skipped with the command that installs it.
"""

from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mcp import Client
from typer.testing import CliRunner

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.cli.main import app
from snowbatch.core.names import Identifier, ObjectName
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.integration.flavour_cases import CASES, Built, Case
from tests.integration.helpers import approve_and_submit, call, wait_done

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

MODEL = "ML.PUBLIC.FLAVOUR_MODEL"
TABLE = "ML.PUBLIC.FLAVOUR_INPUT"
SCORES = "ML.PUBLIC.FLAVOUR_SCORES"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The person's project folder, where they run `snowbatch` (an --object module lives here)."""
    where = tmp_path / "project"
    where.mkdir()
    monkeypatch.chdir(where)
    return where


def log_with_cli(home: Path, project: Path, built: Built) -> str:
    sample: list[str] = []
    if built.sample is not None:
        built.sample.to_csv(project / "sample.csv", index=False)
        sample = ["--sample-input", "sample.csv"]
    result = CliRunner().invoke(
        app, ["local", "log-model", *built.source, "--name", MODEL, *sample, "--home", str(home)]
    )
    assert result.exit_code == 0, result.output
    return result.output


async def score_everywhere(home: Path, function: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A batch job and a warehouse write of the same function on the same table, run side by side."""
    async with Client(build_server(Settings(backend="local", home=home))) as client:
        plan = await call(
            client,
            "plan_batch_job",
            {
                "model": MODEL,
                "function": function,
                "input": {"kind": "table", "table": TABLE},
                "output_stage": "@ML.PUBLIC.BATCH_OUT/flavours/",
                "compute_pool": "CPU_POOL",
                # several batches over two forked workers: the model loaded once, before the fork
                "num_workers": 2,
                "max_batch_rows": 3,
                "include_code": False,
            },
        )
        job_id = await approve_and_submit(client, plan)
        args = {"model": MODEL, "function": function, "table": TABLE, "output_table": SCORES}
        gated = await call(client, "run_in_warehouse", args)
        started = await call(
            client, "run_in_warehouse", {**args, "confirmation_token": gated["confirmation_token"]}
        )
        warehouse_id = started["result"]["job_id"]
        for each in (job_id, warehouse_id):
            done = await wait_done(client, each, deadline_s=180)
            assert done["status"] == "DONE", done
    backend = LocalBackend(home)
    location = backend.get_job(ObjectName.parse(job_id)).output_location
    assert location is not None
    job_rows = pd.read_parquet(backend.stages.local_path(location))
    return job_rows, read_table(home, SCORES)


def read_table(home: Path, table: str) -> pd.DataFrame:
    import duckdb

    db, schema, name = table.split(".")
    con = duckdb.connect(str(home / "databases" / f"{db}.duckdb"), read_only=True)
    try:
        return con.execute(f'SELECT * FROM "{schema}"."{name}"').df()
    finally:
        con.close()


def assert_the_models_own_answer(got: pd.DataFrame, built: Built) -> None:
    got = got.sort_values("ID").reset_index(drop=True)
    want = np.asarray(built.expected(built.table.sort_values("ID").reset_index(drop=True)))
    want = want[:, None] if want.ndim == 1 else want
    if len(built.outputs) == 1 and want.shape[1] > 1:  # one column of vectors (embeddings)
        np.testing.assert_allclose(np.stack(got[built.outputs[0]].to_list()), want, atol=1e-4)
        return
    for i, column in enumerate(built.outputs):
        if want.dtype == object and isinstance(want[0, i], str):
            assert got[column].tolist() == want[:, i].tolist(), column
        else:
            np.testing.assert_allclose(got[column].astype(float), want[:, i].astype(float), atol=1e-4)


def _marks(case: Case) -> list[Any]:
    return [pytest.mark.models] if "models" in case.install else []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=_marks(c)) for c in CASES])
async def test_a_logged_flavour_scores_as_snowflake_would(
    case: Case, local_home: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = [m for m in case.needs if find_spec(m) is None]  # found, not imported: Keras picks its
    if missing:  # backend at import, which log-model decides
        pytest.skip(f"{', '.join(missing)} not installed: {case.install}")
    built = case.build(project)
    output = log_with_cli(local_home, project, built)
    assert f"({case.name})" in output and built.function in output
    package = LocalBackend(local_home).registry.version_path(ObjectName.parse(MODEL), Identifier("V1"))
    for module in built.written_modules:  # from here on the model's code comes from its package only
        assert (package / "code" / module.name).is_file() == built.ships_code
        module.unlink()
    monkeypatch.delenv("KERAS_BACKEND", raising=False)  # runners take the backend the package records
    LocalBackend(local_home).tables.write(ObjectName.parse(TABLE), built.table, mode="overwrite")

    job_rows, warehouse_rows = await score_everywhere(local_home, built.function)

    inputs = list(built.table.columns)
    assert list(job_rows.columns) == [*inputs, *built.outputs]
    assert list(warehouse_rows.columns) == [*inputs, *built.outputs]
    assert len(job_rows) == len(warehouse_rows) == len(built.table)
    assert_the_models_own_answer(job_rows, built)
    assert_the_models_own_answer(warehouse_rows, built)
