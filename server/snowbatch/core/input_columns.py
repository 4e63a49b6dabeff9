"""Column names a person gives for a job's input, resolved once to the exact names Snowflake stores.

Inline row keys and a table's `columns` are read like a column named in data (`column_identifier`):
a plain name is upper-cased as SQL would (`tenure` is TENURE), a quoted one is exact (`"Mixed"`), and
anything else (`tenure months`) can only mean itself. Every tool shows column names in the form that
reads back to the same column (`Identifier.__str__`), so a name a tool returned can be passed back.
After this, every layer below (spec, backends, generated code) uses the exact names only.
"""

from __future__ import annotations

from typing import Any

from snowbatch.core.errors import InvalidName
from snowbatch.core.names import Identifier, column_identifier
from snowbatch.core.records import ColumnInfo


def exact_column(text: str) -> str:
    return column_identifier(text).name


def shown_column(exact: str) -> str:
    """The form to show a column in: passed back to any tool, it means the same column."""
    return str(Identifier(exact))


def resolve_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """Inline rows keyed by exact column names; a problem when keys clash or differ between rows."""
    try:
        names = {key: exact_column(key) for row in rows for key in row}
    except InvalidName as exc:
        return rows, str(exc)
    first = list(rows[0])
    clash = [k for k in first if [names[o] for o in first].count(names[k]) > 1]
    if clash:
        return rows, f"Keys {', '.join(clash)} name the same column ({names[clash[0]]})"
    for i, row in enumerate(rows[1:], start=2):
        if set(row) != set(first):
            extra = sorted(set(row) - set(first))
            missing = sorted(set(first) - set(row))
            said = "; ".join(
                part
                for part in (
                    f"it adds {', '.join(extra)}" if extra else "",
                    f"it lacks {', '.join(missing)}" if missing else "",
                )
                if part
            )
            return rows, f"Row {i} has other keys than row 1: {said}"
    return [{names[k]: v for k, v in row.items()} for row in rows], None


def select_columns(available: list[ColumnInfo], wanted: list[str]) -> tuple[list[ColumnInfo], str | None]:
    """The table's columns a person picked (all when none), in the order given; a problem for names the
    table does not have."""
    if not wanted:
        return available, None
    by_name = {c.name: c for c in available}
    try:
        exact = [exact_column(w) for w in wanted]
    except InvalidName as exc:
        return available, str(exc)
    unknown = [shown_column(e) for e in exact if e not in by_name]
    if unknown:
        known = ", ".join(shown_column(c.name) for c in available[:20])
        return available, f"The table has no column {', '.join(unknown)} (it has {known})"
    return [by_name[e] for e in dict.fromkeys(exact)], None


def map_columns(
    available: list[ColumnInfo], mapping: dict[str, str]
) -> tuple[list[ColumnInfo], dict[str, str], str | None]:
    """`{signature input: source column}` resolved: the columns the job passes, named as the inputs they
    feed (so the signature checks read them), the exact mapping, and a problem for unknown sources."""
    by_name = {c.name: c for c in available}
    try:
        exact = {exact_column(target): exact_column(source) for target, source in mapping.items()}
    except InvalidName as exc:
        return available, {}, str(exc)
    unknown = [shown_column(s) for s in exact.values() if s not in by_name]
    if unknown:
        known = ", ".join(shown_column(c.name) for c in available[:20])
        return available, {}, f"The input has no column {', '.join(unknown)} (it has {known})"
    renamed = [by_name[source].model_copy(update={"name": target}) for target, source in exact.items()]
    return renamed, exact, None


def projection_sql(projection: list[tuple[str, str]]) -> str:
    """The SELECT list of a job's input: each source column under the input name it feeds (both
    backends' snapshots and unloads read their input through this)."""
    if not projection:
        return "*"
    return ", ".join(
        Identifier(source).sql + ("" if source == target else f" AS {Identifier(target).sql}")
        for source, target in projection
    )
