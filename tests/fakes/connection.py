"""A fake `snowflake.connector` connection: the one layer below a *real* Snowpark Session.

Snowpark and snowflake-ml run unchanged on top of it: they build their own SQL (SHOW VERSIONS with
statement parameters, the COPY INTO unload, EXECUTE INFERENCE JOB SERVICE sent asynchronously,
DESCRIBE SERVICE with bind parameters, ...) and hand it to `cursor.execute`. Here every statement is
recorded and answered by `FakeAccount.answer`, which fails loudly on a statement it does not know.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from snowflake.connector.constants import FIELD_NAME_TO_ID
from snowflake.connector.cursor import ResultMetadata
from snowflake.connector.errors import NotSupportedError, ProgrammingError


def _is_session_parameter(key: str) -> bool:
    """Snowflake parameters are upper-case; snowflake-ml's telemetry keys are lower-case (dropped)."""
    return key.isupper() and not key.startswith("_")


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "TEXT"  # a connector field type name: TEXT, FIXED, REAL, BOOLEAN, TIMESTAMP_LTZ, ...
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True

    def metadata(self) -> ResultMetadata:
        return ResultMetadata(
            self.name, FIELD_NAME_TO_ID[self.type], None, None, self.precision, self.scale, self.nullable
        )


@dataclass
class Result:
    columns: list[Column]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    @classmethod
    def status(cls, message: str) -> Result:
        return cls([Column("status")], [(message,)])


@dataclass(frozen=True)
class Statement:
    """One round trip as the server would see it."""

    sql: str
    params: tuple[Any, ...] | None = None
    statement_params: tuple[tuple[str, Any], ...] = ()
    kind: str = "execute"  # execute | async | describe

    @property
    def first_line(self) -> str:
        return self.sql.strip().splitlines()[0] if self.sql.strip() else ""


def fake_error(
    message: str, errno: int, sqlstate: str = "02000", query: str | None = None
) -> ProgrammingError:
    """A connector error shaped like Snowflake's (error code + SQL state), as Snowpark wraps them."""
    return ProgrammingError(
        msg=message,
        errno=errno,
        sqlstate=sqlstate,
        sfqid=str(uuid.uuid4()),
        query=query,
        send_telemetry=False,
    )


class FakeCursor:
    def __init__(self, connection: FakeConnection) -> None:
        self.connection = connection
        self.description: list[ResultMetadata] = []
        self._rows: list[tuple[Any, ...]] = []
        self.sfqid: str | None = None
        self.query: str | None = None
        self._request_id = uuid.uuid4()
        self.request_id = self._request_id
        self.rowcount = 0
        self._query_result_format = "json"

    def _run(self, command: str, params: Any, statement_params: dict[str, Any] | None, kind: str) -> None:
        kept = tuple(sorted((k, v) for k, v in (statement_params or {}).items() if _is_session_parameter(k)))
        stmt = Statement(command, tuple(params) if params else None, kept, kind)
        self.query = command
        self.sfqid = str(uuid.uuid4())
        result = self.connection.record_and_answer(stmt)
        self.description = [c.metadata() for c in result.columns]
        self._rows = list(result.rows)
        self.rowcount = len(self._rows)

    def execute(
        self, command: str, params: Any = None, _statement_params: dict[str, Any] | None = None, **_: Any
    ) -> FakeCursor:
        self._run(command, params, _statement_params, "execute")
        return self

    def execute_async(
        self, command: str, params: Any = None, _statement_params: dict[str, Any] | None = None, **_: Any
    ) -> dict[str, Any]:
        self._run(command, params, _statement_params, "async")
        assert self.sfqid is not None
        self.connection.async_results[self.sfqid] = (self.description, self._rows)
        return {"queryId": self.sfqid}

    def get_results_from_sfqid(self, sfqid: str) -> None:
        self.description, self._rows = self.connection.async_results[sfqid]
        self.sfqid = sfqid

    def _describe_internal(self, command: str, params: Any = None, **_: Any) -> list[ResultMetadata]:
        self._run(command, params, None, "describe")
        return self.description

    def describe(self, command: str, *args: Any, **kwargs: Any) -> list[ResultMetadata]:
        return self._describe_internal(command, kwargs.get("params"))

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def __iter__(self) -> Any:
        return iter(self.fetchall())

    def fetch_pandas_all(self, **_: Any) -> Any:
        raise NotSupportedError("the fake answers in JSON format")  # Snowpark falls back to fetchall()

    fetch_pandas_batches = fetch_pandas_all

    def close(self) -> None:
        pass


class FakeConnection:
    """Duck-types the parts of `SnowflakeConnection` that Snowpark's ServerConnection touches."""

    _ids = itertools.count(1000)

    def __init__(
        self,
        account: Any,
        *,
        database: str | None,
        schema: str | None,
        role: str | None,
        warehouse: str | None,
        user: str = "BATCH_USER",
        account_name: str = "FAKEORG-FAKEACCT",
    ) -> None:
        self.account_state = account
        self.database = database
        self.schema = schema
        self.role = role
        self.warehouse = warehouse
        self.user = user
        self.account = account_name
        self.host = f"{account_name.lower()}.snowflakecomputing.com"
        self.session_id = next(self._ids)
        self._session_parameters: dict[str, Any] = {}
        self._telemetry = None
        self.expired = False
        self.closed = False
        self.async_results: dict[str, tuple[list[ResultMetadata], list[tuple[Any, ...]]]] = {}

    def record_and_answer(self, stmt: Statement) -> Result:
        if self.closed:
            raise fake_error("Connection is closed", 250002, "08003", stmt.sql)
        return self.account_state.answer(self, stmt)

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def is_closed(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    # F47: the connector's QueryStatus for a query id (statements finish at once unless a test says so);
    # a name outside the enum raises KeyError, as `QueryStatus[name]` does in the connector.
    def get_query_status(self, sfqid: str) -> Any:
        from snowflake.connector.constants import QueryStatus

        return QueryStatus[self.account_state.query_status.get(sfqid, "SUCCESS")]

    def get_query_status_throw_if_error(self, sfqid: str) -> Any:
        return self.get_query_status(sfqid)

    @staticmethod
    def is_still_running(status: Any) -> bool:
        from snowflake.connector.connection import SnowflakeConnection

        return bool(SnowflakeConnection.is_still_running(status))

    @staticmethod
    def is_an_error(status: Any) -> bool:
        from snowflake.connector.connection import SnowflakeConnection

        return bool(SnowflakeConnection.is_an_error(status))
