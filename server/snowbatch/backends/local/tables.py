"""Tables of the local account in DuckDB: one file per database, Snowflake schemas as DuckDB schemas.

Connections are opened per operation and closed at once, so the server, the CLI and job runners never
hold a database file locked between calls. Column types are reported in Snowflake's terms.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snowbatch.backends.local.account import LocalAccount
from snowbatch.core.errors import BackendFailure, Conflict, NotFound, did_you_mean
from snowbatch.core.input_columns import projection_sql
from snowbatch.core.names import Identifier, ObjectName
from snowbatch.core.records import ColumnInfo, RelationInfo, TableWriteMode

if TYPE_CHECKING:
    import duckdb


_DUCK_TO_SNOWFLAKE = [
    (
        re.compile(r"^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT)$"),
        "NUMBER(38,0)",
    ),
    (re.compile(r"^DECIMAL\((\d+),(\d+)\)$"), r"NUMBER(\1,\2)"),
    (re.compile(r"^(DOUBLE|FLOAT|REAL)$"), "FLOAT"),
    (re.compile(r"^VARCHAR$"), "VARCHAR"),
    (re.compile(r"^BOOLEAN$"), "BOOLEAN"),
    (re.compile(r"^BLOB$"), "BINARY"),
    (re.compile(r"^TIMESTAMP( WITH TIME ZONE)?$"), "TIMESTAMP_NTZ"),
    (re.compile(r"^DATE$"), "DATE"),
    (re.compile(r"^JSON$"), "VARIANT"),
    (re.compile(r".*\[\]$"), "ARRAY"),
    (re.compile(r"^(STRUCT|MAP).*"), "OBJECT"),
]


def snowflake_type(duck_type: str) -> str:
    for pattern, replacement in _DUCK_TO_SNOWFLAKE:
        if pattern.match(duck_type):
            return pattern.sub(replacement, duck_type)
    return duck_type


def _table_sql(table: ObjectName) -> str:
    """DuckDB reference inside one database file: "SCHEMA"."TABLE" (the database is the file)."""
    assert table.schema is not None
    return f"{table.schema.sql}.{table.name.sql}"


def write_row_groups(reader: Any, target: Path, size: int) -> int:
    """Stream Arrow batches into a Parquet file whose row groups hold exactly `size` rows (the job's
    batches); DuckDB's own COPY … ROW_GROUP_SIZE rounds small sizes up, so groups are cut here."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 0
    with pq.ParquetWriter(target, reader.schema) as writer:
        pending: list[pa.RecordBatch] = []
        held = 0
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            while held >= size:
                buffered = pa.Table.from_batches(pending)
                writer.write_table(buffered.slice(0, size), row_group_size=size)
                rest = buffered.slice(size)
                pending, held = rest.to_batches(), rest.num_rows
                rows += size
        if held:
            writer.write_table(pa.Table.from_batches(pending, schema=reader.schema), row_group_size=size)
            rows += held
    return rows


class LocalTables:
    def __init__(self, account: LocalAccount) -> None:
        self.account = account

    @contextmanager
    def connect(self, database: Identifier, *, create: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        import duckdb

        path = self.account.database_file(database)
        if not path.exists() and not create:
            known = [d.name for d in self.account.databases()]
            hint = did_you_mean(database.name, known)
            raise NotFound(
                f"Database {database} does not exist in the local account.{hint}",
                "Check the name, or load data with `snowbatch local load-table`.",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect_waiting_for_lock(duckdb, path, database)
        try:
            yield con
        finally:
            with _OPEN_CLOSE:
                con.close()

    def _columns(self, con: duckdb.DuckDBPyConnection, table: ObjectName) -> list[ColumnInfo]:
        assert table.schema is not None
        rows = con.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [table.schema.name, table.name.name],
        ).fetchall()
        return [ColumnInfo(name=r[0], sql_type=snowflake_type(r[1]), nullable=r[2] == "YES") for r in rows]

    def _known_tables(self, con: duckdb.DuckDBPyConnection, schema: Identifier) -> list[str]:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema.name]
        ).fetchall()
        return [r[0] for r in rows]

    def describe(self, table: ObjectName, *, count_rows: bool) -> RelationInfo:
        assert table.database is not None and table.schema is not None
        with self.connect(table.database) as con:
            columns = self._columns(con, table)
            if not columns:
                known = self._known_tables(con, table.schema)
                raise NotFound(
                    f"Table {table} does not exist or is not visible.{did_you_mean(table.name.name, known)}",
                    "Check the name (unquoted names are upper-cased), or list tables in the schema.",
                )
            count = None
            if count_rows:
                count = int(con.execute(f"SELECT COUNT(*) FROM {_table_sql(table)}").fetchone()[0])  # type: ignore[index]
        return RelationInfo(source=str(table), columns=columns, row_count=count)

    def exists(self, table: ObjectName) -> bool:
        assert table.database is not None
        if not self.account.database_file(table.database).exists():
            return False
        with self.connect(table.database) as con:
            return bool(self._columns(con, table))

    def snapshot_to_parquet(
        self, table: ObjectName, projection: list[tuple[str, str]], target: Path, *, row_group_size: int
    ) -> int:
        """Copy the input as it is now into a Parquet file (a job reads this, never the live table):
        `projection` is (source column, input column) pairs, every column as is when empty."""
        assert table.database is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        size = max(1, int(row_group_size))
        with self.connect(table.database) as con:
            select = f"SELECT {projection_sql(projection)} FROM {_table_sql(table)}"
            return write_row_groups(con.sql(select).to_arrow_reader(min(size, 100_000)), target, size)

    def write(self, table: ObjectName, source: Any, *, mode: TableWriteMode) -> int:
        """Write an Arrow table / pandas frame, or a list of Parquet files, into a table.

        The whole write is one DuckDB transaction: on any error nothing is left half-written.
        """
        assert table.database is not None and table.schema is not None
        with self.connect(table.database, create=True) as con:
            exists = bool(self._columns(con, table))
            if exists and mode == "error":
                raise Conflict(
                    f"Table {table} already exists.",
                    "Choose another table name, or pass mode='overwrite' (replace) or 'append'.",
                )
            if isinstance(source, list):
                files = ", ".join(f"'{_path_literal(p)}'" for p in source)
                select = f"SELECT * FROM read_parquet([{files}])"
            else:
                con.register("_snowbatch_source", source)
                select = "SELECT * FROM _snowbatch_source"
            con.execute("BEGIN")
            try:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.schema.sql}")
                if exists and mode == "append":
                    before = int(con.execute(f"SELECT COUNT(*) FROM {_table_sql(table)}").fetchone()[0])  # type: ignore[index]
                    con.execute(f"INSERT INTO {_table_sql(table)} BY NAME {select}")
                    after = int(con.execute(f"SELECT COUNT(*) FROM {_table_sql(table)}").fetchone()[0])  # type: ignore[index]
                    written = after - before
                else:
                    con.execute(f"CREATE OR REPLACE TABLE {_table_sql(table)} AS {select}")
                    written = int(con.execute(f"SELECT COUNT(*) FROM {_table_sql(table)}").fetchone()[0])  # type: ignore[index]
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return written


# DuckDB shares one database instance per file within a process; opening a file while another thread
# closes its last connection fails with "Unique file handle conflict" (seen with 20 concurrent clients),
# so within this process opening and closing a database file take turns. Queries still run concurrently.
_OPEN_CLOSE = threading.Lock()


def _connect_waiting_for_lock(duckdb: Any, path: Path, database: Identifier, wait_s: float = 10.0) -> Any:
    """Open a database file, waiting while another process holds its write lock (DuckDB allows one)."""
    import time

    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            with _OPEN_CLOSE:
                return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise BackendFailure(
                    f"The local database {database} is busy: another process (a second snowbatch server, the "
                    "CLI or a warehouse job) is writing to it.",
                    "Try again in a moment; if it stays busy, stop the other snowbatch process using this "
                    "SNOWBATCH_HOME.",
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _path_literal(path: Path) -> str:
    return str(path).replace("'", "''")
