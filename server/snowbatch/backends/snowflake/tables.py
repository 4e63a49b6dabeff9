"""Input relations: columns from DESCRIBE TABLE, and a row count only when asked and cheap; and the
audit table's records."""

from __future__ import annotations

import json
from typing import Any

from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.core.errors import BackendFailure, NotFound
from snowbatch.core.names import ObjectName
from snowbatch.core.records import ColumnInfo, RelationInfo

COUNT_TIMEOUT_SECONDS = 20  # a COUNT(*) on a table is a metadata lookup; on a view it may not be


class Tables:
    def __init__(self, sessions: SessionProvider) -> None:
        self._s = sessions
        self._audit_tables: set[str] = set()  # created (or found) by this process: one CREATE each

    def describe_table(self, table: ObjectName, *, count_rows: bool) -> RelationInfo:
        # DESCRIBE TABLE also answers for views (documented alias behaviour: UNVERIFIED on a live account).
        try:
            rows = self._s.rows(
                f"DESCRIBE TABLE {table.sql}",
                context=f"Describing {table}",
                grant_hint="SELECT on the table and USAGE on its database and schema.",
            )
        except NotFound:
            raise NotFound(
                f"Table or view {table} was not found (or your role cannot read it).",
                "Check the name (DB.SCHEMA.TABLE) and that the role has SELECT on it.",
            ) from None
        columns = [
            ColumnInfo(name=str(r["name"]), sql_type=str(r["type"]), nullable=str(r.get("null?", "Y")) == "Y")
            for r in rows
            if str(r.get("kind", "COLUMN")).upper() == "COLUMN"
        ]
        count = None
        if count_rows:
            try:
                (row,) = self._s.rows(
                    f"SELECT COUNT(*) FROM {table.sql}",
                    context=f"Counting rows of {table}",
                    statement_params={"STATEMENT_TIMEOUT_IN_SECONDS": COUNT_TIMEOUT_SECONDS},
                )
                count = int(next(iter(row.values())))
            except BackendFailure:  # timed out or failed: the count is optional
                count = None
        return RelationInfo(source=str(table), columns=columns, row_count=count)

    def append_audit(self, table: ObjectName, record: dict[str, Any]) -> None:
        """F60: the table is made once if missing; each record is one INSERT … SELECT with PARSE_JSON
        (a VARIANT is inserted through SELECT, not VALUES: d:to-variant), the JSON bound, never inlined."""
        if str(table) not in self._audit_tables:
            self._s.rows(
                f"CREATE TABLE IF NOT EXISTS {table.sql} (RECORDED_AT TIMESTAMP_LTZ, RECORD VARIANT)",
                context=f"Creating the audit table {table}",
                grant_hint="CREATE TABLE on the schema (or INSERT on the existing table).",
            )
            self._audit_tables.add(str(table))
        self._s.rows(
            f"INSERT INTO {table.sql} (RECORDED_AT, RECORD) SELECT CURRENT_TIMESTAMP(), PARSE_JSON(?)",
            [json.dumps(record, sort_keys=True)],
            context=f"Adding a record to the audit table {table}",
            grant_hint="INSERT on the audit table.",
        )
