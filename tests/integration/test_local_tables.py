"""Local tables: job snapshots cut exact batches; a database another process holds is waited for."""

import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.tables import _connect_waiting_for_lock
from snowbatch.core.errors import BackendFailure
from snowbatch.core.names import Identifier, ObjectName

CUSTOMERS = ObjectName.parse("ML.PUBLIC.CUSTOMERS")


@pytest.mark.parametrize(("batch_rows", "groups"), [(500, [500] * 6), (1999, [1999, 1001]), (7000, [3000])])
def test_a_snapshot_holds_exactly_max_batch_rows_per_row_group(
    local_home: Path, tmp_path: Path, batch_rows: int, groups: list[int]
) -> None:
    target = tmp_path / "snap.parquet"
    rows = LocalBackend(local_home).tables.snapshot_to_parquet(
        CUSTOMERS, [("CUSTOMER_ID", "CUSTOMER_ID")], target, row_group_size=batch_rows
    )
    meta = pq.ParquetFile(target).metadata
    assert rows == 3000
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == groups
    assert pq.read_table(target).column("CUSTOMER_ID").to_pylist() == list(range(1, 3001))


HOLD = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
    "time.sleep(float(sys.argv[2]))"
)


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_database_locked_by_another_process_is_waited_for(local_home: Path) -> None:
    import duckdb

    path = local_home / "databases/ML.duckdb"
    holder = _hold(path, 1.0)
    started = time.monotonic()
    con = _connect_waiting_for_lock(duckdb, path, Identifier("ML"), wait_s=15)
    con.close()
    holder.wait(10)
    assert time.monotonic() - started >= 0.3


def test_a_database_that_stays_locked_gives_a_clear_error(local_home: Path) -> None:
    import duckdb

    path = local_home / "databases/ML.duckdb"
    holder = _hold(path, 5.0)
    try:
        with pytest.raises(BackendFailure) as caught:
            _connect_waiting_for_lock(duckdb, path, Identifier("ML"), wait_s=0.5)
    finally:
        holder.kill()
        holder.wait(10)
    assert "busy" in caught.value.problem and "SNOWBATCH_HOME" in caught.value.next_step


def test_load_table_resolves_headers_as_sql_would_or_keeps_their_case_when_asked(
    local_home: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from snowbatch.cli.main import app

    data = tmp_path / "odd.csv"
    data.write_text('tenure months,Mixed,plain,"""Quoted"""\n1,2,3,4\n', encoding="utf-8")
    backend = LocalBackend(local_home)

    def loaded(table: str, *flags: str) -> list[str]:
        args = ["local", "load-table", str(data), "--table", table, "--home", str(local_home), *flags]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        return [c.name for c in backend.tables.describe(ObjectName.parse(table), count_rows=False).columns]

    assert loaded("ML.PUBLIC.ODD_SQL") == ["tenure months", "MIXED", "PLAIN", "Quoted"]
    assert loaded("ML.PUBLIC.ODD_KEPT", "--keep-case") == ["tenure months", "Mixed", "plain", '"Quoted"']
    clash = tmp_path / "clash.csv"
    clash.write_text("a,A\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["local", "load-table", str(clash), "--table", "ML.PUBLIC.C", "--home", str(local_home)]
    )
    assert (
        result.exit_code != 0
        and "several columns named A" in result.output
        and "--keep-case" in result.output
    )
    assert not backend.tables.exists(ObjectName.parse("ML.PUBLIC.C"))
