"""A local job's input snapshot when it is not one table as is: a checked query, a finished job's Parquet
output, or columns renamed to the signature inputs they feed — written, like a table's, as Parquet row
groups of exactly the job's batch size."""

from __future__ import annotations

from pathlib import Path

from snowbatch.backends.local.account import LocalAccount
from snowbatch.backends.local.tables import write_row_groups
from snowbatch.backends.local.warehouse import readonly_connection
from snowbatch.core.input_columns import projection_sql
from snowbatch.core.names import SchemaName, StageLocation
from snowbatch.core.requests import ResolvedInput
from snowbatch.core.warehouse import query_as_relation


def snapshot_query(
    account: LocalAccount, default: SchemaName, inp: ResolvedInput, target: Path, size: int
) -> int:
    """The rows of a checked SELECT (every database attached read-only, as previews read them)."""
    assert inp.query is not None
    select = f"SELECT {projection_sql(inp.projection())} FROM {query_as_relation(inp.query)}"
    with readonly_connection(account, default) as con:
        return write_row_groups(con.sql(select).to_arrow_reader(min(size, 100_000)), target, size)


def snapshot_job_output(account: LocalAccount, inp: ResolvedInput, target: Path, size: int) -> int:
    """A finished job's Parquet parts, in part order, with only the columns (renamed) the job reads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert inp.parquet_location is not None
    folder = account.location_path(StageLocation.parse(inp.parquet_location))
    parts = sorted(p for p in folder.rglob("*.parquet") if not p.name.startswith("."))
    table = pa.concat_tables([pq.read_table(p) for p in parts]) if parts else pa.table({})
    pairs = inp.projection()
    if pairs:
        table = table.select([source for source, _ in pairs]).rename_columns([target for _, target in pairs])
    return write_row_groups(pa.RecordBatchReader.from_batches(table.schema, table.to_batches()), target, size)
