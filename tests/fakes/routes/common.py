"""What every route module shares: the route record (pattern, handler, ledger rows), SQL lexing helpers
and Snowflake-shaped errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakes.connection import Result, Statement, fake_error
from tests.fakes.state import Key, split_name

if TYPE_CHECKING:
    from tests.fakes.connection import FakeConnection

Handler = Callable[["FakeConnection", Statement, "re.Match[str]"], Result]

NAME = r'(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)'
FQN = rf"{NAME}(?:\.{NAME}){{0,2}}"
LIT = r"'(?:[^'\\]|''|\\.)*'"  # a single-quoted SQL literal ('' and backslash escapes, as Snowflake)
S = r"\s+"
STAGEREF = r'@(?:"(?:[^"]|"")*"|[^\s"])+'  # an unquoted stage reference; its quoted names may hold spaces


@dataclass(frozen=True)
class Route:
    """One statement shape the fake answers, and the rows of docs/snowflake-fidelity.md its answer follows."""

    pattern: re.Pattern[str]
    handler: Handler
    ledger: tuple[str, ...]


class Routes:
    """Collects a module's routes: `@routes.add(pattern, "F09", "F10")`."""

    def __init__(self) -> None:
        self.items: list[Route] = []

    def add(self, pattern: str, *ledger: str, flags: int = re.S) -> Callable[[Handler], Handler]:
        assert ledger and all(re.fullmatch(r"F\d\d", i) for i in ledger), "cite the ledger row(s)"

        def deco(fn: Handler) -> Handler:
            self.items.append(Route(re.compile(pattern, flags), fn, tuple(ledger)))
            return fn

        return deco


def quote(name: str) -> str:
    """A name as a DuckDB quoted identifier (so seeded names may hold any character)."""
    return '"' + name.replace('"', '""') + '"'


def unquote_literal(text: str) -> str:
    """The value of a single-quoted literal: '' is a quote and a backslash escapes the next character."""
    return re.sub(r"''|\\(.)", lambda m: m[1] if m[1] is not None else "'", text[1:-1], flags=re.S)


def like_matches(pattern: str | None, name: str) -> bool:
    """SQL LIKE as SHOW uses it: case-insensitive, `%` and `_` wildcards (F08, F11)."""
    if pattern is None:
        return True
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, name, re.I | re.S) is not None


def not_found(kind: str, name: str, query: str) -> Exception:
    return fake_error(
        f"SQL compilation error:\n{kind} '{name}' does not exist or not authorized.", 2003, "02000", query
    )


def already_exists(name: str, query: str) -> Exception:
    return fake_error(f"SQL compilation error:\nObject '{name}' already exists.", 2002, "42710", query)


def qualify(conn: FakeConnection, text: str) -> Key:
    parts = split_name(text)
    while len(parts) < 3:
        parts.insert(0, (conn.schema if len(parts) == 1 else conn.database) or "")
    return (parts[0], parts[1], parts[2])


def table(columns: list[str], rows: list[tuple[Any, ...]], types: dict[str, str] | None = None) -> Result:
    """A result of text columns (SHOW output is text unless a type is given)."""
    from tests.fakes.connection import Column

    kinds = types or {}
    return Result([Column(c, kinds.get(c, "TEXT")) for c in columns], rows)
