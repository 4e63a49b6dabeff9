"""The SELECT a tabular job reads, one text for the backend and for the person's code: a table's
columns (renamed to the inputs they feed), a checked query, or a finished job's Parquet output read in
place with a staged-file query (Snowflake, "Querying data in staged files": `SELECT $1:<element> FROM
@stage/path (FILE_FORMAT => '<format>', PATTERN => '<regex>')`, where $1 is each Parquet row)."""

from __future__ import annotations

from snowbatch.core.input_columns import projection_sql
from snowbatch.core.names import Identifier, ObjectName, StageLocation, sql_string
from snowbatch.core.requests import ResolvedInput
from snowbatch.core.warehouse import INPUT_ALIAS, query_as_relation

# `$1:"field"` is a VARIANT: each field is cast to its column's type (types from the job's output)
STAGED_CASTS = {"VARCHAR": "VARCHAR", "FLOAT": "FLOAT", "NUMBER(38,0)": "NUMBER", "BOOLEAN": "BOOLEAN"}
PARQUET_PATTERN = ".*[.]parquet"  # the job's parts, never its _SUCCESS marker


def parquet_format(owner: ObjectName) -> ObjectName:
    """The temporary Parquet file format, in the model's schema (as save_results_to_table makes it)."""
    return ObjectName(Identifier("SNOWBATCH_PARQUET"), owner.schema, owner.database)


def create_parquet_format(owner: ObjectName) -> str:
    return f"CREATE TEMPORARY FILE FORMAT IF NOT EXISTS {parquet_format(owner).sql} TYPE = PARQUET"


def _staged_select(source: ResolvedInput, owner: ObjectName) -> str:
    location = StageLocation.parse(source.parquet_location or "")
    types = source.column_types or {}
    fields = []
    for column, target in source.projection():
        cast = STAGED_CASTS.get(types.get(column, ""))
        element = '$1:"' + column.replace('"', '""') + '"'
        fields.append(f"{element}{'::' + cast if cast else ''} AS {Identifier(target).sql}")
    # FROM @stage/path takes no quoting: planning admits only plain paths here
    staged = f"@{location.stage.sql}/{location.path}"
    return (
        f"SELECT {', '.join(fields)} FROM {staged} "
        f"(FILE_FORMAT => {sql_string(parquet_format(owner).sql)}, PATTERN => {sql_string(PARQUET_PATTERN)})"
    )


def input_select(source: ResolvedInput, owner: ObjectName) -> str | None:
    """The SELECT for a tabular input that is not one table read as it is; None for such a table."""
    if source.kind != "table":
        return None
    if source.parquet_location:
        return _staged_select(source, owner)
    if source.query is not None:
        return f"SELECT {projection_sql(source.projection())} FROM {query_as_relation(source.query)}"
    if source.column_map and source.table:
        return f"SELECT {projection_sql(source.projection())} FROM {ObjectName.parse(source.table).sql}"
    return None


SCORED_ALIAS = Identifier("SNOWBATCH_SCORED")


def new_rows_query(
    table: ObjectName | None, query: str | None, key: Identifier, scored_in: ObjectName
) -> str:
    """The rows of a table or a checked query whose key is not yet in the results table: NOT EXISTS
    rather than NOT IN, so a NULL key among the results cannot empty the answer (a NULL key of the input
    matches nothing, so such a row is always scored). One text for the plan's count, both backends' jobs
    and the person's code."""
    relation = (
        query_as_relation(query)
        if query is not None
        else f"{table.sql if table else ''} AS {INPUT_ALIAS.sql}"
    )
    scored = SCORED_ALIAS.sql
    return (
        f"SELECT {INPUT_ALIAS.sql}.* FROM {relation} WHERE NOT EXISTS "
        f"(SELECT 1 FROM {scored_in.sql} AS {scored} WHERE {scored}.{key.sql} = {INPUT_ALIAS.sql}.{key.sql})"
    )
