"""Stages as folders: locating `@stage/path`, LIST rows, GET, REMOVE, Parquet in and out."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tests.fakes.connection import fake_error
from tests.fakes.state import FakeStage, Key, split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection

_DUCK_TYPES = {
    "BIGINT": "NUMBER(38,0)",
    "INTEGER": "NUMBER(38,0)",
    "DOUBLE": "FLOAT",
    "FLOAT": "FLOAT",
    "VARCHAR": "VARCHAR(16777216)",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP_NTZ(9)",
}


def locate(acct: FakeAccount, conn: FakeConnection, text: str, query: str) -> tuple[FakeStage, str]:
    """`'@"DB"."SC"."ST"/dir/'` or `@DB.SC.ST/dir/` → the stage and the path inside it."""
    text = text.strip()
    if text.startswith("'"):  # a literal: '' is a quote and a backslash escapes the next character
        text = re.sub(r"''|\\(.)", lambda m: m[1] if m[1] is not None else "'", text[1:-1], flags=re.S)
    if not text.startswith("@"):
        raise fake_error(f"SQL compilation error:\ninvalid stage location {text}", 1003, "42000", query)
    body, quoted, cut = text[1:], False, None
    for i, ch in enumerate(body):
        if ch == '"':
            quoted = not quoted
        elif ch == "/" and not quoted:
            cut = i
            break
    name, path = (body, "") if cut is None else (body[:cut], body[cut + 1 :])
    parts = split_name(name)
    while len(parts) < 3:
        parts.insert(0, (conn.schema if len(parts) == 1 else conn.database) or "")
    key: Key = (parts[0], parts[1], parts[2])
    stage = acct.stages.get(key)
    if stage is None:
        raise fake_error(
            f"SQL compilation error:\nStage '{'.'.join(key)}' does not exist or not authorized.",
            2003,
            "02000",
            query,
        )
    return stage, path


def _files(stage: FakeStage, prefix: str) -> list[Path]:
    return sorted(
        p
        for p in stage.folder.rglob("*")
        if p.is_file() and p.relative_to(stage.folder).as_posix().startswith(prefix)
    )


def files_under(stage: FakeStage, prefix: str) -> list[Path]:
    return _files(stage, prefix)


def list_name(stage: FakeStage, rel: str) -> str:
    """F17: an internal stage lists `<stage name, lower-case>/<path>`, an external one the cloud URL (D11)."""
    if stage.type == "EXTERNAL":
        return stage.url.rstrip("/") + "/" + rel
    return f"{stage.name.lower()}/{rel}"


def list_rows(stage: FakeStage, prefix: str, pattern: str | None) -> list[tuple[Any, ...]]:
    """LIST output (F17): name, size, md5, last_modified; PATTERN matches the whole name."""
    rows = []
    for p in _files(stage, prefix):
        rel = p.relative_to(stage.folder).as_posix()
        name = list_name(stage, rel)
        if pattern and not re.fullmatch(pattern, name, re.S):
            continue
        data = p.read_bytes()
        rows.append((name, len(data), hashlib.md5(data).hexdigest(), "Thu, 15 Jan 2026 09:30:00 GMT"))
    return rows


def remove(stage: FakeStage, prefix: str) -> list[str]:
    removed = []
    for p in _files(stage, prefix):
        removed.append(f"{stage.name.lower()}/{p.relative_to(stage.folder).as_posix()}")
        p.unlink()
    return removed


def get(stage: FakeStage, prefix: str, target: str, pattern: str | None) -> list[tuple[Any, ...]]:
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for p in _files(stage, prefix):
        rel = p.relative_to(stage.folder).as_posix()
        if pattern and not re.fullmatch(pattern, f"{stage.name.lower()}/{rel}", re.S):
            continue
        shutil.copy(p, out / p.name)
        rows.append((p.name, p.stat().st_size, "DOWNLOADED", ""))
    return rows


def evaluate_select(acct: FakeAccount, conn: FakeConnection, query: str, stmt: str) -> pd.DataFrame:
    """Run the SELECT that Snowpark put in a COPY INTO in DuckDB: table scans run as they are;
    create_dataframe's `SELECT $1 AS "A" ... FROM VALUES (...), (...)` is rewritten into DuckDB's form."""
    q = _rewrite_staged(acct, conn, _rewrite_values(query.strip()), stmt).replace(":: STRING", ":: VARCHAR")
    try:
        return acct.db.execute(q).fetchdf()
    except Exception as exc:  # a DuckDB error means the fake cannot follow this query: fail loudly
        raise AssertionError(f"the fake cannot evaluate this unload query ({exc}):\n{stmt}") from exc


# A staged-file query (F57): `SELECT $1:"f"::T AS X FROM @stage/path (FILE_FORMAT => 'ff', PATTERN => 're')`
STAGED_FROM = re.compile(
    r"FROM\s+(?P<loc>@[^\s(]+)\s*\(\s*FILE_FORMAT\s*=>\s*'[^']*'\s*,\s*PATTERN\s*=>\s*'(?P<pattern>[^']*)'\s*\)"
)
STAGED_FIELD = re.compile(r'\$1:"((?:[^"]|"")*)"(?:::(\w+))?')
DUCK_CASTS = {"FLOAT": "DOUBLE", "NUMBER": "BIGINT", "VARCHAR": "VARCHAR", "BOOLEAN": "BOOLEAN"}


def _rewrite_staged(acct: FakeAccount, conn: FakeConnection, q: str, stmt: str) -> str:
    """Parquet files on a stage read with a staged-file query, as DuckDB's read_parquet over the stage
    folder: every file under the location whose stage path matches PATTERN (d:querying-stage)."""
    m = STAGED_FROM.search(q)
    if not m:
        return q
    stage, prefix = locate(acct, conn, m["loc"], stmt)
    root = Path(stage.folder)
    pattern = re.compile(m["pattern"])
    files = sorted(
        str(p)
        for p in (root / prefix).rglob("*")
        if p.is_file() and pattern.fullmatch(p.relative_to(root).as_posix())
    )
    if not files:
        raise AssertionError(f"the fake found no staged file for this query:\n{stmt}")
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    q = q[: m.start()] + f"FROM read_parquet([{listed}])" + q[m.end() :]

    def field(f: re.Match[str]) -> str:
        name = '"' + f[1] + '"'
        return f"CAST({name} AS {DUCK_CASTS[f[2].upper()]})" if f[2] else name

    return STAGED_FIELD.sub(field, q)


def _rewrite_values(q: str) -> str:
    m = re.search(r"FROM\s+VALUES\s+", q)
    if not m:
        return q
    i, width = m.end(), 0
    while i < len(q) and q[i] == "(":
        depth, quoted, j = 0, False, i
        while j < len(q):
            ch = q[j]
            if ch == "'":
                quoted = not quoted
            elif not quoted and ch == "(":
                depth += 1
            elif not quoted and ch == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if width == 0:
            width = len(_split_top(q[i + 1 : j]))
        i = j + 1
        rest = q[i:].lstrip()
        if not rest.startswith(","):
            break
        i = len(q) - len(rest) + 1
        while i < len(q) and q[i] == " ":
            i += 1
    names = ", ".join(f"c{k}" for k in range(1, width + 1))
    head = re.sub(r"\$(\d+)", r"c\1", q[: m.start()])
    return f"{head}FROM (VALUES {q[m.end() : i]}) AS v({names}){q[i:]}"


def _split_top(text: str) -> list[str]:
    parts, depth, quoted, cur = [], 0, False, ""
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if not quoted and ch in "([":
            depth += 1
        if not quoted and ch in ")]":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def write_parquet(
    stage: FakeStage, prefix: str, frame: pd.DataFrame, name: str = "data_0_0_0.snappy.parquet"
) -> int:
    folder = stage.folder / prefix
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    frame.to_parquet(path, index=False)
    return path.stat().st_size


def infer_frame(stage: FakeStage, prefix: str, names: list[str] | None, query: str) -> pd.DataFrame:
    """What INFER_SCHEMA reads (F23): the FILES named (relative to LOCATION), else every file under it."""
    paths = [stage.folder / prefix / n for n in names] if names else _files(stage, prefix)
    frames = []
    for path in paths:
        if not path.is_file():
            raise fake_error(f"File '{path.name}' does not exist or not authorized.", 2003, "02000", query)
        try:
            frames.append(pd.read_parquet(path))
        except Exception:
            raise fake_error(
                f"Error parsing the parquet file: {path.name} is not a Parquet file.", 100152, "22000", query
            ) from None
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def read_parquet(stage: FakeStage, prefix: str) -> pd.DataFrame:
    parts = [pd.read_parquet(p) for p in _files(stage, prefix) if p.suffix == ".parquet"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def store_table(acct: FakeAccount, key: Key, frame: pd.DataFrame) -> None:
    acct.add_database(key[0], key[1])
    acct.db.register("_frame", frame)
    acct.db.execute(f'CREATE OR REPLACE TABLE "{key[0]}"."{key[1]}"."{key[2]}" AS SELECT * FROM _frame')
    acct.db.unregister("_frame")
    types = acct.db.execute(f'DESCRIBE "{key[0]}"."{key[1]}"."{key[2]}"').fetchall()
    acct.tables[key] = [(str(r[0]), _DUCK_TYPES.get(str(r[1]), "VARIANT")) for r in types]


def load_into_table(
    acct: FakeAccount, key: Key, stage: FakeStage, prefix: str, pattern: str, query: str
) -> list[tuple[Any, ...]]:
    """COPY INTO <table> (F24): a bulk load applies PATTERN "to the entire storage location"
    (d:copy-into-table), taken here as the name its load output gives a file, `<stage>/<path>`, matched
    whole (the page's `.*sales.*[.]csv` loads "only uncompressed CSV files"). Every file under the
    location counts, subfolders too; a matched file that is no Parquet fails the statement."""
    rows = []
    for p in _files(stage, prefix):
        if not re.fullmatch(pattern, f"{stage.name.lower()}/{p.relative_to(stage.folder).as_posix()}", re.S):
            continue
        try:
            frame = pd.read_parquet(p)
        except Exception:
            raise fake_error(
                f"Error parsing the parquet file: {p.name} is not a Parquet file.", 100152, "22000", query
            ) from None
        acct.db.register("_frame", frame)
        acct.db.execute(f'INSERT INTO "{key[0]}"."{key[1]}"."{key[2]}" BY NAME SELECT * FROM _frame')
        acct.db.unregister("_frame")
        rows.append(
            (
                f"{stage.name.lower()}/{p.relative_to(stage.folder).as_posix()}",
                "LOADED",
                len(frame),
                len(frame),
            )
        )
    return rows


def sql_types(frame: pd.DataFrame) -> dict[str, str]:
    """Snowflake column types for a seeded DataFrame."""
    out = {}
    for col, dtype in frame.dtypes.items():
        kind = dtype.kind
        out[str(col)] = (
            "NUMBER(38,0)"
            if kind in "iu"
            else "FLOAT"
            if kind == "f"
            else "BOOLEAN"
            if kind == "b"
            else "TIMESTAMP_NTZ(9)"
            if kind == "M"
            else "VARCHAR(16777216)"
        )
    return out
