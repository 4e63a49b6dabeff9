"""Snowflake names as value objects.

Every SQL statement snowbatch builds takes object names from these classes and nothing else: they are
parsed once from user input with Snowflake's identifier rules (unquoted parts are upper-cased and must be
plain; quoted parts are kept exactly, with `""` standing for a quote) and rendered back in fully quoted
form, so no input can change the shape of a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from snowbatch.core.errors import InvalidName

MAX_IDENTIFIER_LENGTH = 255
MAX_STAGE_PATH_LENGTH = 1024
_UNQUOTED = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
_UPPER_UNQUOTED = re.compile(r"[A-Z_][A-Z0-9_$]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _reject(text: str, why: str, fix: str) -> InvalidName:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return InvalidName(f"{shown!r} is not a valid Snowflake name: {why}.", fix)


@dataclass(frozen=True, order=True)
class Identifier:
    """One identifier; `name` is the exact name Snowflake stores (SHOW output shows this)."""

    name: str

    def __post_init__(self) -> None:
        if not self.name:
            raise _reject(self.name, "it is empty", "Give a non-empty name.")
        if len(self.name) > MAX_IDENTIFIER_LENGTH:
            raise _reject(
                self.name,
                f"it is longer than {MAX_IDENTIFIER_LENGTH} characters",
                "Use a shorter name.",
            )
        if _CONTROL.search(self.name):
            raise _reject(self.name, "it contains control characters", "Remove them from the name.")

    @classmethod
    def parse(cls, text: str, *, allow_quoted: bool = True) -> Identifier:
        """Parse a name as a person writes it: `my_model` → MY_MODEL, `"my model"` → my model."""
        if not isinstance(text, str):
            raise _reject(str(text), "it is not text", "Pass the name as a string.")
        text = text.strip()
        if text.startswith('"'):
            if not allow_quoted:
                raise _reject(
                    text,
                    "quoted (case-sensitive) names are not supported for this kind of object",
                    "Use a plain name of letters, digits, _ and $.",
                )
            if len(text) < 2 or not text.endswith('"'):
                raise _reject(text, "the closing quote is missing", 'Write it as "name".')
            inner = text[1:-1]
            if re.search(r'(?<!")"(?!")', inner.replace('""', "")):
                raise _reject(text, "a quote inside a quoted name must be doubled", 'Write " as "".')
            return cls(inner.replace('""', '"'))
        if not _UNQUOTED.match(text):
            raise _reject(
                text,
                "unquoted names start with a letter or _ and hold only letters, digits, _ and $",
                'Put the name in double quotes to use other characters, e.g. "my model".',
            )
        return cls(text.upper())

    @property
    def sql(self) -> str:
        """The quoted form for SQL text: always quoted, so case and characters are exact."""
        return '"' + self.name.replace('"', '""') + '"'

    def __str__(self) -> str:
        """The form a person would type: bare when that resolves to the same name, else quoted."""
        return self.name if _UPPER_UNQUOTED.match(self.name) else self.sql


def column_identifier(key: str) -> Identifier:
    """A column named by data rather than typed as SQL (an inline row's key, a file header).

    A plain name follows SQL's rule (`tenure` is TENURE, as Snowpark treats an unquoted column name);
    a quoted one is exact; anything else (spaces, dashes, a leading digit) can only mean itself.
    """
    text = key.strip()
    if _UNQUOTED.match(text) or (text.startswith('"') and text.endswith('"') and len(text) >= 2):
        return Identifier.parse(text)
    return Identifier(key)


def _split_parts(text: str) -> list[str]:
    """Split on dots that are not inside double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if quoted and i + 1 < len(text) and text[i + 1] == '"':
                current.append('""')
                i += 2
                continue
            quoted = not quoted
        if ch == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if quoted:
        raise _reject(text, "a double quote is not closed", 'Close every quoted part, e.g. DB."my schema".T')
    parts.append("".join(current))
    return parts


@dataclass(frozen=True)
class ObjectName:
    """A schema-level object name (`DB.SCHEMA.NAME`), possibly not yet fully qualified."""

    name: Identifier
    schema: Identifier | None = None
    database: Identifier | None = None

    @classmethod
    def parse(cls, text: str, *, what: str = "object") -> ObjectName:
        if not isinstance(text, str) or not text.strip():
            raise InvalidName(f"The {what} name is empty.", f"Give the {what} as DB.SCHEMA.NAME.")
        parts = _split_parts(text.strip())
        if len(parts) > 3:
            raise _reject(
                text,
                f"a {what} name has at most three parts (DB.SCHEMA.NAME)",
                'Quote a part that contains a dot, e.g. DB.SCHEMA."a.b".',
            )
        ids = [Identifier.parse(p) for p in parts]
        if len(ids) == 3:
            return cls(ids[2], ids[1], ids[0])
        if len(ids) == 2:
            return cls(ids[1], ids[0])
        return cls(ids[0])

    @property
    def is_qualified(self) -> bool:
        return self.database is not None and self.schema is not None

    def qualified(self, database: Identifier | None, schema: Identifier | None) -> ObjectName:
        """Fill missing parts from defaults (the session's or the registry's database and schema)."""
        db = self.database or database
        sc = self.schema or schema
        if db is None or sc is None:
            raise InvalidName(
                f"{self} is not fully qualified and no default database/schema is set.",
                "Give the name as DB.SCHEMA.NAME.",
            )
        return ObjectName(self.name, sc, db)

    def parts(self) -> list[Identifier]:
        return [p for p in (self.database, self.schema, self.name) if p is not None]

    @property
    def sql(self) -> str:
        return ".".join(p.sql for p in self.parts())

    @property
    def is_plain(self) -> bool:
        """Every part is a plain (unquoted, upper-case) identifier: the only names some SPCS commands take."""
        return all(_UPPER_UNQUOTED.match(p.name) for p in self.parts())

    @property
    def plain_sql(self) -> str:
        """The unquoted form, for statements that refuse quoted names (SHOW SERVICE CONTAINERS, …)."""
        if not self.is_plain:
            raise _reject(
                str(self),
                "this kind of object cannot have a quoted or case-sensitive name",
                "Use plain names: upper-case letters, digits, _ and $ (unquoted names are upper-cased).",
            )
        return ".".join(p.name for p in self.parts())

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts())


@dataclass(frozen=True)
class SchemaName:
    database: Identifier
    schema: Identifier

    @classmethod
    def parse(cls, text: str) -> SchemaName:
        parts = _split_parts(text.strip())
        if len(parts) != 2:
            raise _reject(text, "a schema is named DB.SCHEMA", "Give both parts, e.g. ML.PUBLIC.")
        return cls(Identifier.parse(parts[0]), Identifier.parse(parts[1]))

    @property
    def sql(self) -> str:
        return f"{self.database.sql}.{self.schema.sql}"

    def __str__(self) -> str:
        return f"{self.database}.{self.schema}"


def _clean_path(path: str, original: str) -> str:
    if _CONTROL.search(path):
        raise _reject(original, "the path contains control characters", "Remove them from the path.")
    if len(path) > MAX_STAGE_PATH_LENGTH:
        raise _reject(original, "the path is too long", f"Keep it under {MAX_STAGE_PATH_LENGTH} characters.")
    trailing = path.endswith("/")
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if any(s == ".." for s in segments):
        raise _reject(original, "'..' is not allowed in a stage path", "Name the folder directly.")
    cleaned = "/".join(segments)
    return cleaned + "/" if cleaned and trailing else cleaned


@dataclass(frozen=True)
class StageLocation:
    """`@DB.SCHEMA.STAGE/path/` — a stage and a path inside it (the path is case-sensitive)."""

    stage: ObjectName
    path: str = ""

    @classmethod
    def parse(cls, text: str) -> StageLocation:
        if not isinstance(text, str) or not text.strip():
            raise InvalidName("The stage location is empty.", "Give it as @DB.SCHEMA.STAGE/path/.")
        raw = text.strip()
        if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
            raw = raw[1:-1].replace("''", "'")
        if not raw.startswith("@"):
            raise _reject(text, "a stage location starts with @", "Write it as @DB.SCHEMA.STAGE/path/.")
        body = raw[1:]
        if body.startswith(("~", "%")):
            raise _reject(text, "user and table stages are not supported", "Use a named stage.")
        quoted = False
        cut = len(body)
        for i, ch in enumerate(body):
            if ch == '"':
                quoted = not quoted
            elif ch == "/" and not quoted:
                cut = i
                break
        stage = ObjectName.parse(body[:cut], what="stage")
        if stage.name.name.startswith("~") or stage.name.name.startswith("%"):
            raise _reject(text, "user and table stages are not supported", "Use a named stage.")
        return cls(stage, _clean_path(body[cut + 1 :], text) if cut < len(body) else "")

    def qualified(self, database: Identifier | None, schema: Identifier | None) -> StageLocation:
        return StageLocation(self.stage.qualified(database, schema), self.path)

    def child(self, relative: str) -> StageLocation:
        base = self.path if not self.path or self.path.endswith("/") else self.path + "/"
        return StageLocation(self.stage, _clean_path(base + relative, relative))

    def as_directory(self) -> StageLocation:
        if not self.path or self.path.endswith("/"):
            return self
        return StageLocation(self.stage, self.path + "/")

    @property
    def sql(self) -> str:
        """The location as SQL text: a single-quoted literal, safe for any path characters.

        Snowflake reads backslash escapes inside single-quoted literals, so a backslash is doubled as
        well as a quote (`sql_string`): otherwise a path ending in `\\` would escape the closing quote.
        """
        return sql_string("@" + self.stage.sql + "/" + self.path)

    def __str__(self) -> str:
        return f"@{self.stage}/{self.path}"


def sql_string(value: str) -> str:
    """A single-quoted SQL string literal."""
    if _CONTROL.search(value.replace("\n", "").replace("\t", "")):
        raise InvalidName("The text contains control characters.", "Remove them.")
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


Qualifiable = TypeVar("Qualifiable", ObjectName, StageLocation)


def qualify(name: Qualifiable, default: SchemaName | None) -> Qualifiable:
    """The one rule for unqualified names: their missing database and schema come from the default
    schema (the session's, or the local account's); without one, an unqualified name is refused."""
    if isinstance(name, ObjectName) and name.is_qualified:
        return name
    return name.qualified(default.database if default else None, default.schema if default else None)
