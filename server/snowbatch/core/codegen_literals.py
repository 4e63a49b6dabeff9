"""How a value is written into generated code: Python literals, SQL literals and names, sorted imports.

Values reach rendered code only through these functions (the templates' `py` and `sql` filters), so no
value can change the shape of the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snowbatch.core.names import Identifier, ObjectName, StageLocation, sql_string

# Snowflake's reserved keywords: a plain name that is one of these must still be quoted in SQL.
_RESERVED_WORDS = (
    "ACCOUNT ALL ALTER AND ANY AS BETWEEN BY CASE CAST CHECK COLUMN CONNECT CONNECTION CONSTRAINT "
    "CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATABASE DELETE "
    "DISTINCT DROP ELSE EXISTS FALSE FOLLOWING FOR FROM FULL GRANT GROUP GSCLUSTER HAVING ILIKE IN "
    "INCREMENT INNER INSERT INTERSECT INTO IS ISSUE JOIN LATERAL LEFT LIKE LOCALTIME LOCALTIMESTAMP "
    "MINUS NATURAL NOT NULL OF ON OR ORDER ORGANIZATION QUALIFY REGEXP REVOKE RIGHT RLIKE ROW ROWS "
    "SAMPLE SCHEMA SELECT SET SOME START TABLE TABLESAMPLE THEN TO TRIGGER TRUE TRY_CAST UNION UNIQUE "
    "UPDATE USING VALUES VIEW WHEN WHENEVER WHERE WINDOW WITH"
)
_RESERVED = frozenset(_RESERVED_WORDS.split())


def _sql_identifier(identifier: Identifier) -> str:
    """Bare when that names the same object (as snowflake-ml's own SQL does), else quoted."""
    bare = str(identifier)
    return identifier.sql if bare.startswith('"') or bare in _RESERVED else bare


def sql_literal(value: Any) -> str:
    """A value as SQL text: names quoted as needed, stage locations and text as string literals."""
    if isinstance(value, Identifier):
        return _sql_identifier(value)
    if isinstance(value, ObjectName):
        return ".".join(_sql_identifier(p) for p in value.parts())
    if isinstance(value, StageLocation):
        return "'" + str(value).replace("'", "''") + "'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return sql_string(value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def _py_string(text: str) -> str:
    literal = repr(text)
    # repr picks single quotes unless the text holds one; prefer the double quotes ruff format uses.
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1] + '"'
    return literal


def py_literal(value: Any) -> str:
    """A value as Python source; names and stage locations as the text snowflake-ml expects."""
    if isinstance(value, Identifier | ObjectName | StageLocation):
        return _py_string(str(value))
    if isinstance(value, str):
        return _py_string(value)
    if isinstance(value, bool | int | float | type(None)):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Python literal for {type(value).__name__}")


_IMPORT_WIDTH = 88  # ruff/isort's default line length, which rendered code is checked with


def _import_sort_key(name: str) -> tuple[int, str]:
    # isort's order-by-type: CONSTANTS, then Classes, then functions, each alphabetical.
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def import_block(*entries: str) -> str:
    """Sorted imports, as ruff's isort rule wants them. Entries: 'json' or 'module:Name' ('' is skipped)."""
    entries = tuple(e for e in entries if e)
    plain = sorted({e for e in entries if ":" not in e})
    grouped: dict[str, set[str]] = {}
    for entry in entries:
        if ":" in entry:
            module, name = entry.split(":", 1)
            grouped.setdefault(module, set()).add(name)
    lines = [f"import {m}" for m in plain]
    if lines and grouped:
        lines.append("")
    for module in sorted(grouped):
        names = sorted(grouped[module], key=_import_sort_key)
        one_line = f"from {module} import {', '.join(names)}"
        if len(one_line) <= _IMPORT_WIDTH:
            lines.append(one_line)
        else:
            lines.append(f"from {module} import (")
            lines.extend(f"    {n}," for n in names)
            lines.append(")")
    return "\n".join(lines)
