"""Recording what statements a session sends and the *shape* of what comes back, and comparing shapes.

A live run (SNOWBATCH_LIVE_CONNECTION) records into a cassette: per statement, the ledger row it belongs
to (found with the fake's own route patterns), a normalised statement with every literal, quoted name and
number blanked, the result's column names and types, and a format class per column (int, float, json
object, timestamp text, …). No data value and no secret is stored. The same flow on the fake records the
same way; `compare` then lists every place where the fake's answer differs from the account's, so one
maintainer's live run makes the fake more faithful for good.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

# Seeding statements only a live run sends (the fake is seeded directly): never compared.
LIVE_ONLY = {"F51", "F52", "F53", "F54", "F55"}
_LITERAL = re.compile(r"'(?:[^'\\]|''|\\.)*'", re.S)
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_NUMBER = re.compile(r"\b\d+\b")


def normalise(sql: str) -> str:
    text = _LITERAL.sub("'…'", sql)
    text = _QUOTED.sub('"…"', text)
    text = _NUMBER.sub("0", text)
    return " ".join(text.split())[:300]


def value_format(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (datetime, date)):
        return "datetime"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    text = str(value).strip()
    if not text:
        return "empty"
    if text[0] in "[{":
        try:
            return "json-array" if isinstance(json.loads(text), list) else "json-object"
        except ValueError:
            pass
    if re.match(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", text):
        return "timestamp-text"
    return "text"


def columns_of(description: Any) -> list[tuple[str, str]]:
    from snowflake.connector.constants import FIELD_ID_TO_NAME

    return [(d.name, FIELD_ID_TO_NAME.get(d.type_code, str(d.type_code))) for d in description]


@dataclass
class Entry:
    ledger: list[str] | None
    shape: str
    kind: str
    columns: list[tuple[str, str]] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)


class Recorder:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Entry] = {}
        self._routes: list[Any] | None = None

    def _ledger(self, sql: str) -> list[str] | None:
        if self._routes is None:
            import tempfile

            from tests.fakes.account import ACCOUNTS, FakeAccount

            self._routes = FakeAccount(Path(tempfile.mkdtemp(prefix="snowbatch-routes-"))).routes
            ACCOUNTS.pop()  # a scratch account for its patterns only
        text = sql.strip().rstrip(";").strip()
        for route in self._routes:
            if route.pattern.fullmatch(text):
                return list(route.ledger)
        return None

    def seen(self, sql: str, kind: str, description: Any) -> Entry:
        key = (normalise(sql), kind)
        entry = self.entries.get(key)
        if entry is None:
            ledger = ["F42"] if kind == "describe" else self._ledger(sql)
            entry = self.entries[key] = Entry(ledger, key[0], kind)
        if description and not entry.columns:
            entry.columns = columns_of(description)
        return entry

    @staticmethod
    def rows(entry: Entry, rows: list[Any]) -> None:
        for row in rows:
            for (name, _), value in zip(entry.columns, row, strict=False):
                if value is not None and name not in entry.formats:
                    entry.formats[name] = value_format(value)

    def wrap(self, session: Any) -> Any:
        """Record everything `session` sends from now on (Snowpark's connection is replaced by a proxy)."""
        server = session._conn
        server._conn = RecordingConnection(server._conn, self)
        return session

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([asdict(e) for e in self.entries.values()], indent=1, sort_keys=True))


def load(path: Path) -> list[Entry]:
    return [
        Entry(d["ledger"], d["shape"], d["kind"], [tuple(c) for c in d["columns"]], d["formats"])
        for d in json.loads(path.read_text())
    ]


class RecordingConnection:
    def __init__(self, inner: Any, recorder: Recorder) -> None:
        self._inner, self._recorder = inner, recorder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def cursor(self, *args: Any, **kwargs: Any) -> RecordingCursor:
        return RecordingCursor(self._inner.cursor(*args, **kwargs), self._recorder)


class RecordingCursor:
    def __init__(self, inner: Any, recorder: Recorder) -> None:
        self._inner, self._recorder = inner, recorder
        self._entry: Entry | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __iter__(self) -> Any:
        return iter(self.fetchall())

    def execute(self, command: str, *args: Any, **kwargs: Any) -> Any:
        self._inner.execute(command, *args, **kwargs)
        self._entry = self._recorder.seen(command, "execute", self._inner.description)
        return self

    def execute_async(self, command: str, *args: Any, **kwargs: Any) -> Any:
        answer = self._inner.execute_async(command, *args, **kwargs)
        self._entry = self._recorder.seen(command, "async", None)
        return answer

    def get_results_from_sfqid(self, sfqid: str) -> Any:
        answer = self._inner.get_results_from_sfqid(sfqid)
        if self._entry is not None and not self._entry.columns and self._inner.description:
            self._entry.columns = columns_of(self._inner.description)
        return answer

    def describe(self, command: str, *args: Any, **kwargs: Any) -> Any:
        result = self._inner.describe(command, *args, **kwargs)
        self._recorder.seen(command, "describe", result)
        return result

    def _describe_internal(self, command: str, *args: Any, **kwargs: Any) -> Any:
        result = self._inner._describe_internal(command, *args, **kwargs)
        self._recorder.seen(command, "describe", result)
        return result

    def fetchall(self) -> Any:
        rows = self._inner.fetchall()
        if self._entry is not None:
            self._recorder.rows(self._entry, rows)
        return rows

    def fetchone(self) -> Any:
        row = self._inner.fetchone()
        if self._entry is not None and row is not None:
            self._recorder.rows(self._entry, [row])
        return row


def compare(live: list[Entry], fake: list[Entry]) -> list[str]:
    """Where the fake's answers differ from a live account's: unknown statements, missing or retyped
    columns, other value formats. Empty means the fake matches every shape the live run saw."""
    problems: list[str] = []
    fake_by_row: dict[str, list[Entry]] = {}
    for e in fake:
        for row in e.ledger or []:
            fake_by_row.setdefault(row, []).append(e)
    for e in live:
        rows = "/".join(e.ledger or [])
        if not e.ledger:
            problems.append(f"a real account answered a statement the fake does not know: {e.shape}")
            continue
        if set(e.ledger) <= LIVE_ONLY or not e.columns:
            continue
        answers = [f for row in e.ledger for f in fake_by_row.get(row, []) if f.kind == e.kind]
        if not answers:
            problems.append(f"{rows} was answered live but never by the fake: {e.shape}")
            continue
        columns = {name: kind for f in answers for name, kind in f.columns}
        formats = {name: fmt for f in answers for name, fmt in f.formats.items()}
        for name, kind in e.columns:
            if name not in columns:
                problems.append(f"{rows}: the fake has no column {name!r} ({e.shape})")
            elif columns[name] != kind:
                problems.append(f"{rows}: column {name!r} is {kind} live, {columns[name]} in the fake")
            elif name in e.formats and name in formats and e.formats[name] != formats[name]:
                problems.append(
                    f"{rows}: column {name!r} holds {e.formats[name]} live, {formats[name]} in the fake"
                )
    return problems
