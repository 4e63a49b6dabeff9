"""A job's results on a local stage: what is there, whether it is complete, a preview, a table load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snowbatch.backends.local.account import LocalAccount
from snowbatch.backends.local.stages import LocalStages
from snowbatch.backends.local.tables import LocalTables
from snowbatch.core.errors import InvalidRequest, NotFound
from snowbatch.core.names import ObjectName, StageLocation
from snowbatch.core.output import assess_output, is_staged_input, preview_rows
from snowbatch.core.records import OutputFile, OutputInfo, ResultPreview, TableWriteMode


class LocalOutput:
    def __init__(self, account: LocalAccount, stages: LocalStages, tables: LocalTables) -> None:
        self.account = account
        self.stages = stages
        self.tables = tables

    def _parquet_files(self, location: StageLocation) -> list[tuple[str, Path]]:
        return [
            (rel, p)
            for rel, p in self.stages.files(location.as_directory())
            if p.suffix == ".parquet" and not is_staged_input(rel)
        ]

    def inspect(self, location: StageLocation) -> OutputInfo:
        import pyarrow.parquet as pq

        listing = self.stages.files(location.as_directory())
        files = []
        for rel, path in listing:
            rows = pq.ParquetFile(path).metadata.num_rows if path.suffix == ".parquet" else None
            files.append(
                OutputFile(path=str(StageLocation(location.stage, rel)), size=path.stat().st_size, rows=rows)
            )
        return assess_output(str(location.as_directory()), files)

    def preview(self, location: StageLocation, *, limit: int, max_cell_chars: int) -> ResultPreview:
        import pyarrow.parquet as pq

        parts = self._parquet_files(location)
        if not parts:
            raise NotFound(
                f"No Parquet results under {location}.",
                "Check the job's output_location (wait_for_job) and inspect_output.",
            )
        total = sum(pq.ParquetFile(p).metadata.num_rows for _, p in parts)
        rows: list[dict[str, Any]] = []
        columns: list[str] = []
        cut = 0
        for _, path in parts:
            table = pq.ParquetFile(path).read().slice(0, limit - len(rows))
            columns = columns or table.column_names
            shown, was_cut = preview_rows(table.to_pylist(), max_cell_chars)
            rows += shown
            cut += was_cut
            if len(rows) >= limit:
                break
        return ResultPreview(
            location=str(location), columns=columns, rows=rows, total_rows=total, truncated_cells=cut
        )

    def save(self, location: StageLocation, table: ObjectName, *, mode: TableWriteMode) -> int:
        parts = self._parquet_files(location)
        if not parts:
            raise NotFound(
                f"No Parquet results under {location}; nothing to save.",
                "Check the job finished (wait_for_job) and its output location.",
            )
        info = self.inspect(location)
        if not info.success_marker:
            raise InvalidRequest(
                f"{location} has no _SUCCESS marker: the results are partial.",
                "Wait for the job to finish, or re-run it; saving partial results would hide missing rows.",
            )
        return self.tables.write(table, [p for _, p in parts], mode=mode)
