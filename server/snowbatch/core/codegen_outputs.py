"""The `output_fields` template parameter: which outputs of a model's SQL function become typed columns.

A scalar model function returns one OBJECT per row whose keys are the signature's output names in their
exact case (`output_feature_1`); a table function returns one column per output, upper-cased. Each entry
names an output as the signature spells it, its signature type (mapped to the SQL type the value is cast
to) and optionally the result column's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from snowbatch.core.errors import InvalidName
from snowbatch.core.names import Identifier

# Signature types → the SQL type a value is cast to. The same SQL also runs on DuckDB locally, so never
# FLOAT (32-bit there): DOUBLE for both floating types; unsigned types widen to the next signed type.
SQL_TYPES: dict[str, str] = {
    "DOUBLE": "DOUBLE",
    "FLOAT": "DOUBLE",
    "INT64": "BIGINT",
    "INT32": "INTEGER",
    "INT16": "SMALLINT",
    "INT8": "TINYINT",
    "UINT8": "SMALLINT",
    "UINT16": "INTEGER",
    "UINT32": "BIGINT",
    "UINT64": "BIGINT",
    "STRING": "VARCHAR",
    "BOOL": "BOOLEAN",
}
_KEYS = ("name", "type", "as")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class OutputField:
    """One output made a typed column: `name` exactly as the signature spells it, `sql_type` what it is
    cast to, `alias` the result column."""

    name: str
    signature_type: str
    sql_type: str
    alias: Identifier

    @property
    def column(self) -> Identifier:
        """The output's column in a table function's result (upper-cased, as snowflake-ml registers it)."""
        return Identifier(self.name.upper())


def _field(entry: Any, position: int) -> OutputField:
    where = f"output {position}"
    if not isinstance(entry, Mapping):
        raise ValueError(f'{where} is not an object like {{"name": "output_feature_0", "type": "DOUBLE"}}')
    unknown = sorted(str(k) for k in entry if k not in _KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}; allowed: {list(_KEYS)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name or _CONTROL.search(name):
        raise ValueError(f"{where} needs a name: the output name exactly as the model signature spells it")
    kind = entry.get("type")
    signature_type = kind.strip().upper() if isinstance(kind, str) else ""
    sql_type = SQL_TYPES.get(signature_type)
    if sql_type is None:
        shown = "no type" if kind is None else f"type {kind!r}"
        raise ValueError(
            f"{where} ({name}) has {shown}; give the signature's type, one of {', '.join(SQL_TYPES)}"
        )
    alias_text = entry.get("as")
    try:
        if alias_text is None:
            alias = Identifier(name.upper()) if _PLAIN.match(name) else Identifier(name)
        else:
            alias = Identifier.parse(alias_text)
    except InvalidName as exc:
        raise ValueError(f'{where} ({name}) has no valid result column name ("as"): {exc.problem}') from None
    return OutputField(name, signature_type, sql_type, alias)


def parse_output_fields(value: Any, _: Mapping[str, Any]) -> list[OutputField]:
    """A non-empty list of {name, type, as?}; result column names must be distinct."""
    if not isinstance(value, list | tuple) or not value:
        raise ValueError('expected a non-empty list like [{"name": "output_feature_1", "type": "DOUBLE"}]')
    fields = [_field(entry, i) for i, entry in enumerate(value, start=1)]
    seen: set[Identifier] = set()
    for field in fields:
        if field.alias in seen:
            raise ValueError(
                f'two outputs give the result column {field.alias}; give one of them another "as"'
            )
        seen.add(field.alias)
    return fields
