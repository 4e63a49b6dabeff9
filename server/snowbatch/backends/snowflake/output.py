"""A job's results on the stage: LIST for completeness, GET + Parquet for a preview, COPY INTO a table.

The table load (file format, CREATE TABLE … USING TEMPLATE from INFER_SCHEMA, COPY INTO …
MATCH_BY_COLUMN_NAME)
follows Snowflake's documented pattern; it is exercised only against the fake: UNVERIFIED on a live account.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.backends.snowflake.stages import STAGE_GRANT, Stages, relative_path
from snowbatch.core.copy_pattern import direct_parts_pattern
from snowbatch.core.errors import Conflict, NotFound
from snowbatch.core.names import Identifier, ObjectName, StageLocation, sql_string
from snowbatch.core.output import assess_output, result_parts
from snowbatch.core.records import OutputFile, OutputInfo, ResultPreview


class Output:
    def __init__(self, sessions: SessionProvider, stages: Stages) -> None:
        self._s = sessions
        self._stages = stages

    def _listing(self, location: StageLocation) -> list[OutputFile]:
        """Every file below the location (LIST), as the judge in core.output takes them."""
        return [file for _, file in self._named_listing(location)]

    def _named_listing(self, location: StageLocation) -> list[tuple[str, OutputFile]]:
        """Each file below the location with the name LIST gave it (F17)."""
        loc = location.as_directory()
        return [
            (
                str(row["name"]),
                OutputFile(
                    path=f"@{loc.stage}/{relative_path(str(row['name']))}", size=int(row.get("size") or 0)
                ),
            )
            for row in self._stages.list_rows(loc)
        ]

    def _result_files(self, location: StageLocation) -> list[OutputFile]:
        return result_parts(str(location.as_directory()), self._listing(location))

    def inspect_output(self, location: StageLocation) -> OutputInfo:
        return assess_output(str(location.as_directory()), self._listing(location))

    def preview_results(self, location: StageLocation, *, limit: int, max_cell_chars: int) -> ResultPreview:
        parquet = self._result_files(location)
        if not parquet:
            raise NotFound(
                f"No Parquet results under {location}.", "Call inspect_output to see what is there."
            )
        first = StageLocation.parse(parquet[0].path)
        with tempfile.TemporaryDirectory(prefix="snowbatch-preview-") as tmp:
            folder = StageLocation(first.stage, first.path.rsplit("/", 1)[0] + "/")
            name = first.path.rsplit("/", 1)[-1]
            self._s.run(
                lambda session: session.file.get(folder.sql, tmp, pattern=f".*/{_regex(name)}"),
                context=f"Reading results from {location}",
                grant_hint=STAGE_GRANT,
            )
            import pyarrow.parquet as pq

            table = pq.read_table(next(Path(tmp).glob("*.parquet")))
        frame = table.slice(0, limit).to_pylist()
        cut = 0
        rows: list[dict[str, Any]] = []
        for record in frame:
            shown = {}
            for key, value in record.items():
                text = value if isinstance(value, (int, float, bool)) or value is None else str(value)
                if isinstance(text, str) and len(text) > max_cell_chars:
                    text, cut = text[: max_cell_chars - 1] + "…", cut + 1
                shown[key] = text
            rows.append(shown)
        return ResultPreview(
            location=str(location),
            columns=list(table.column_names),
            rows=rows,
            total_rows=table.num_rows if len(parquet) == 1 else None,
            truncated_cells=cut,
        )

    def save_results_to_table(self, location: StageLocation, table: ObjectName, *, mode: str) -> int:
        assert table.database and table.schema
        loc = location.as_directory()
        # Only the parts directly in the folder: snowflake-ml stages the job's input as Parquet in a
        # subfolder of the output (`_temporary/`, `_snowflake_temporary/<uuid>/`), which is no result.
        named = [
            (n, f)
            for n, f in self._named_listing(loc)
            if _directly_in(loc, f) and f.path.endswith(".parquet")
        ]
        parquet = [f for _, f in named]
        file_format = ObjectName(Identifier("SNOWBATCH_PARQUET"), table.schema, table.database)
        create = {
            "error": "CREATE TABLE",
            "overwrite": "CREATE OR REPLACE TABLE",
            "append": "CREATE TABLE IF NOT EXISTS",
        }[mode]
        grant = "CREATE TABLE and CREATE FILE FORMAT on the schema, READ on the stage."
        self._s.rows(
            f"CREATE TEMPORARY FILE FORMAT IF NOT EXISTS {file_format.sql} TYPE = PARQUET",
            context="Preparing the load",
            grant_hint=grant,
        )
        # The schema comes from one Parquet part, named with FILES: INFER_SCHEMA over the whole folder would
        # also read the 0-byte _SUCCESS marker, which is no Parquet file.
        if not parquet:
            raise NotFound(f"No Parquet results under {loc}.", "Call inspect_output to check the location.")
        first = StageLocation.parse(parquet[0].path).path[len(loc.path) :]
        try:
            self._s.rows(
                # WITHIN GROUP (ORDER BY ORDER_ID): the columns in the files' order, not a random one (D9)
                f"{create} {table.sql} USING TEMPLATE (SELECT ARRAY_AGG(OBJECT_CONSTRUCT(*)) "
                "WITHIN GROUP (ORDER BY ORDER_ID) FROM TABLE("
                f"INFER_SCHEMA(LOCATION => {loc.sql}, FILE_FORMAT => {sql_string(file_format.sql)}, "
                f"FILES => {sql_string(first)})))",
                context=f"Creating table {table}",
                grant_hint=grant,
            )
        except Conflict:
            raise Conflict(
                f"Table {table} already exists.", "Use mode='append' or 'overwrite', or another table."
            ) from None
        listed_prefix = named[0][0][: len(named[0][0]) - len(first)]  # as LIST names the folder (F17)
        pattern = direct_parts_pattern(loc.path, listed_prefix=listed_prefix, stage_name=loc.stage.name.name)
        loaded = self._s.rows(
            f"COPY INTO {table.sql} FROM {loc.sql} FILE_FORMAT = (FORMAT_NAME = {file_format.sql}) "
            f"MATCH_BY_COLUMN_NAME = CASE_SENSITIVE PATTERN = {sql_string(pattern)}",
            context=f"Loading results into {table}",
            grant_hint=grant,
        )
        return sum(int(r.get("rows_loaded") or 0) for r in loaded)


def _directly_in(location: StageLocation, file: OutputFile) -> bool:
    inner = StageLocation.parse(file.path).path[len(location.path) :]
    return "/" not in inner


def _regex(name: str) -> str:
    import re

    return re.escape(name)
