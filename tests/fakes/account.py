"""A fake Snowflake account: state plus the statements it understands.

`FakeAccount.connect()` gives a connector-level connection; wrap it in a real Snowpark `Session` with
`FakeAccount.session()`. Every statement from every connection lands in `account.statements`. A
statement no route matches raises `UnknownStatement` (an AssertionError, so nothing catches it as a
Snowflake error) and is kept in `account.unknown`.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tests.fakes.connection import FakeConnection, Result, Statement, fake_error
from tests.fakes.routes.common import quote
from tests.fakes.routes.tasks import CHANNEL
from tests.fakes.state import Denial, FakeJob, FakeModel, FakePool, FakeStage, FakeVersion, Key

Handler = Callable[[FakeConnection, Statement, "re.Match[str]"], Result]
# Every account made in this process, so a test run can check none was sent a statement it did not know.
ACCOUNTS: list[FakeAccount] = []
_EXECUTE_JOB = re.compile(
    r"EXECUTE INFERENCE JOB SERVICE\s.*?MODEL = (?P<model>\S+)(?:\s+VERSION = (?P<v>\S+))?", re.S
)


class UnknownStatement(AssertionError):
    pass


class FakeAccount:
    def __init__(self, root: Path, *, name: str = "FAKEORG-FAKEACCT") -> None:
        from tests.fakes import routes
        from tests.fakes.routes.warehouse import ModelFunctions

        self.root = root
        self.name = name
        self.root.mkdir(parents=True, exist_ok=True)
        self.db = duckdb.connect(":memory:")
        self.databases: dict[str, set[str]] = {}
        self.tables: dict[Key, list[tuple[str, str]]] = {}  # key -> [(column, Snowflake type)]
        self.models: dict[Key, FakeModel] = {}
        self.stages: dict[Key, FakeStage] = {}
        self.pools: dict[str, FakePool] = {}
        self.jobs: dict[Key, FakeJob] = {}
        self.denials: list[Denial] = []
        self.statements: list[Statement] = []
        self.answered: list[tuple[Statement, tuple[str, ...]]] = []  # each with the ledger rows it cites
        self.unknown: list[Statement] = []
        self.capabilities: dict[str, Any] = {}
        self.job_history_enabled = True
        # complete | pending | fail: what a submitted job does (or a function of the FakeJob saying it)
        self.job_behaviour: str | Callable[[FakeJob], str] = "complete"
        self.expire_next: int = 0  # the next N statements fail with "session expired" (390112)
        self.connections: list[FakeConnection] = []
        # F30: EXECUTE INFERENCE JOB SERVICE waits for the model's image to be built before it returns,
        # even with ASYNC = TRUE; a version's image is built once. release_builds() ends a wait early.
        self.image_build_seconds: float = 0.0
        self.built_images: set[tuple[str, ...]] = set()
        self.build_release = threading.Event()
        # D14: the save-mode check scans the whole base (snowflake-ml's comment) or the job's folder (docs).
        self.save_mode_scope = "base"
        self.history_default_days = 14  # F37: the default window (one revision of the page says 30)
        self.clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        self.locator = "FK12345"  # F01: CURRENT_ACCOUNT() answers the account locator
        self.query_status: dict[
            str, str
        ] = {}  # F47: query id -> connector QueryStatus name (default SUCCESS)
        self.hold_writes = False  # a warehouse CTAS is accepted but its table does not appear (still running)
        # F61–F65: tasks and procedures by key, the package channel, and a CREATE TASK that fails (a test)
        self.tasks: dict[Key, dict[str, str]] = {}
        self.procedures: dict[Key, dict[str, str]] = {}
        self.package_channel: list[tuple[str, str]] = list(CHANNEL)
        self.fail_create_task = False
        self._lock = threading.RLock()
        self.model_functions = ModelFunctions(self)
        self.routes: list[routes.Route] = routes.build(self)
        ACCOUNTS.append(self)

    def now(self) -> datetime:
        return self.clock()

    def release_builds(self) -> None:
        """Let every image build in progress finish now."""
        self.build_release.set()

    # --- seeding --------------------------------------------------------------------------------
    def add_database(self, database: str, *schemas: str) -> None:
        self.databases.setdefault(database, set()).update(schemas or ("PUBLIC",))
        self.db.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {quote(database)}")
        for sc in schemas or ("PUBLIC",):
            self.db.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(database)}.{quote(sc)}")

    def add_table(self, key: Key, frame: pd.DataFrame, types: dict[str, str]) -> None:
        self.add_database(key[0], key[1])
        self.db.register("_seed", frame)
        self.db.execute(f"CREATE OR REPLACE TABLE {'.'.join(map(quote, key))} AS SELECT * FROM _seed")
        self.db.unregister("_seed")
        self.tables[key] = [(c, types[c]) for c in frame.columns]

    def add_model(self, key: Key, model: FakeModel) -> None:
        self.models[key] = model

    def add_version(self, key: Key, version: FakeVersion, *, default: bool = False) -> None:
        model = self.models[key]
        model.versions[version.name] = version
        if default or model.default_version is None:
            model.default_version = version.name

    def add_stage(self, key: Key, *, encryption: str = "SNOWFLAKE_SSE", comment: str = "") -> FakeStage:
        # Percent-encoded folder names: a stage may be named anything, even "../x" or "a/b".
        folder = self.root.joinpath(
            "stages", *(urllib.parse.quote(k, safe="").replace(".", "%2E") for k in key)
        )
        folder.mkdir(parents=True, exist_ok=True)
        kind = {"SNOWFLAKE_SSE": "INTERNAL NO CSE", "SNOWFLAKE_FULL": "INTERNAL", "EXTERNAL": "EXTERNAL"}[
            encryption
        ]
        stage = FakeStage(
            key[2],
            folder,
            type=kind,
            comment=comment,
            url="s3://fake-bucket/data/" if kind == "EXTERNAL" else "",
        )
        self.stages[key] = stage
        return stage

    def add_pool(self, pool: FakePool) -> None:
        self.pools[pool.name] = pool

    def deny(self, pattern: str, message: str, errno: int = 3001) -> None:
        """Make statements matching `pattern` fail as an access-control error for the current role."""
        self.denials.append(Denial(pattern, message, errno))

    def fail(self, pattern: str, message: str, errno: int, sqlstate: str = "42000") -> None:
        """Make statements matching `pattern` fail with this error (a message as Snowflake would word it)."""
        self.denials.append(Denial(pattern, message, errno, sqlstate, access=False))

    # --- connecting ---------------------------------------------------------------------------
    def connect(
        self,
        *,
        database: str | None = "ML",
        schema: str | None = "PUBLIC",
        role: str | None = "ML_ENGINEER",
        warehouse: str | None = "ML_WH",
        user: str = "BATCH_USER",
    ) -> FakeConnection:
        conn = FakeConnection(
            self,
            database=database,
            schema=schema,
            role=role,
            warehouse=warehouse,
            user=user,
            account_name=self.name,
        )
        self.connections.append(conn)
        return conn

    def session(self, **kwargs: Any) -> Any:
        """A real Snowpark Session over a fake connection (like a fresh process for snowflake-ml)."""
        from snowflake.ml._internal import platform_capabilities
        from snowflake.snowpark import Session
        from snowflake.snowpark._internal.server_connection import ServerConnection

        # snowflake-ml caches capabilities per process; each fake account starts as a new process would.
        platform_capabilities.PlatformCapabilities._instance = None
        return Session(ServerConnection({}, conn=self.connect(**kwargs)))  # type: ignore[arg-type]

    # --- answering ----------------------------------------------------------------------------
    def answer(self, conn: FakeConnection, stmt: Statement) -> Result:
        with self._lock:
            self.statements.append(stmt)
        if self.expire_next > 0:
            self.expire_next -= 1
            conn.expired = True
            raise fake_error(
                "Session no longer exists.  New login required to access the service.",
                390112,
                "08001",
                stmt.sql,
            )
        for denial in self.denials:
            if re.search(denial.pattern, stmt.sql, re.I | re.S):
                text = f"SQL access control error:\n{denial.message}" if denial.access else denial.message
                raise fake_error(text, denial.errno, denial.sqlstate, stmt.sql)
        if stmt.kind == "describe":  # F42: Snowpark asks for a query's columns without running it
            with self._lock:
                self.answered.append((stmt, ("F42",)))
                return self._describe_query(conn, stmt)
        text = stmt.sql.strip().rstrip(";").strip()
        self._wait_for_image(text)  # outside the lock: other sessions go on while an image builds
        with self._lock:
            for route in self.routes:
                match = route.pattern.fullmatch(text)
                if match:
                    self.answered.append((stmt, route.ledger))
                    return route.handler(conn, stmt, match)
            self.unknown.append(stmt)
        raise UnknownStatement(f"the fake Snowflake account does not know this statement:\n{stmt.sql}")

    def _wait_for_image(self, text: str) -> None:
        match = _EXECUTE_JOB.match(text)
        if match is None or not self.image_build_seconds:
            return
        image = (match["model"], match["v"] or "")
        if image not in self.built_images:
            self.build_release.wait(self.image_build_seconds)
            self.built_images.add(image)

    def _describe_query(self, conn: FakeConnection, stmt: Statement) -> Result:
        from tests.fakes.connection import Column
        from tests.fakes.stagefiles import evaluate_select

        query = self.model_functions.rewrite(stmt.sql)
        frame = evaluate_select(self, conn, f"SELECT * FROM ({query}) LIMIT 0", stmt.sql)
        kinds = {
            "i": ("FIXED", 38, 0),
            "u": ("FIXED", 38, 0),
            "f": ("REAL", None, None),
            "b": ("BOOLEAN", None, None),
        }
        cols = []
        for name, dtype in frame.dtypes.items():
            kind, precision, scale = kinds.get(dtype.kind, ("TEXT", None, None))
            cols.append(Column(str(name), kind, precision, scale))
        return Result(cols, [])

    # --- helpers for tests --------------------------------------------------------------------
    def clear_statements(self) -> None:
        self.statements.clear()

    def sql_log(self) -> list[str]:
        """Statements as one-line text, for readable assertions."""
        return [" ".join(s.sql.split()) for s in self.statements]

    def stage_for(self, key: Key) -> FakeStage:
        return self.stages[key]
