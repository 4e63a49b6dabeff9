"""The one Snowpark Session a backend uses: made at first use, re-made once when its token expired.

Everything that talks to Snowflake goes through `SessionProvider.run`, which is also where connector
and Snowpark errors become `SnowbatchError`s with the secrets scrubbed out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from snowbatch.backends.snowflake.config import ConnectionConfig, resolve_connection, scrub
from snowbatch.backends.snowflake.errors import translate
from snowbatch.core.errors import BackendFailure, SnowbatchError
from snowbatch.settings import Settings

log = logging.getLogger("snowbatch.snowflake")
T = TypeVar("T")
SessionFactory = Callable[[], Any]

# Connector / GS codes meaning "log in again": session expired, master/id token expired, missing or
# invalid (snowflake/connector/network.py), and "connection is closed" (errorcode.ER_CONNECTION_IS_CLOSED).
AUTH_EXPIRED_CODES = frozenset({390110, 390112, 390113, 390114, 390115, 390195, 250002})


def error_code(exc: BaseException) -> int | None:
    """The Snowflake error number of a connector or Snowpark exception, if any."""
    for attr in ("errno", "sql_error_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def is_auth_expired(exc: BaseException) -> bool:
    # Exception chains can loop (re-raising a cause from inside its wrapper's handler links them both
    # ways), so each exception is looked at once.
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if error_code(seen) in AUTH_EXPIRED_CODES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class SessionProvider:
    def __init__(self, settings: Settings, session_factory: SessionFactory | None = None) -> None:
        self._settings = settings
        self._factory = session_factory
        self._session: Any = None
        self._lock = threading.RLock()
        self._config: ConnectionConfig | None = None
        self.generation = 0  # bumps on every (re)creation, so caches tied to a session can tell

    def config(self) -> ConnectionConfig:
        if self._config is None:
            self._config = resolve_connection(self._settings)
        return self._config

    def secrets(self) -> list[str]:
        """Every secret in the settings and the environment, scrubbed from any error that leaves: an
        injected session factory changes how the session is made, not which values must never show."""
        return self.config().secrets()

    def get(self) -> Any:
        with self._lock:
            if self._session is None:
                self._session = self._create()
                self.generation += 1
            return self._session

    def _create(self) -> Any:
        if self._factory is not None:
            return self._factory()
        config = resolve_connection(self._settings)  # re-read: the SPCS token file may have rotated
        self._config = config
        log.info("connecting to Snowflake using %s", config.source)
        failure: str | None = None
        try:
            from snowflake.snowpark import Session

            options = dict(config.options)
            if "connection_name" in options and options["connection_name"] is None:
                from snowflake.connector.config_manager import CONFIG_MANAGER

                options["connection_name"] = CONFIG_MANAGER["default_connection_name"]
            return Session.builder.configs(options).create()
        except Exception as exc:
            failure = scrub(f"Could not connect to Snowflake using {config.source}: {exc}", config.secrets())
        # Raised outside the handler so the original exception (which may quote a secret) is not chained.
        raise BackendFailure(
            failure.splitlines()[0][:500],
            "Check the connection (`snowbatch doctor` shows what is missing): a connection name in "
            "connections.toml, or SNOWFLAKE_ACCOUNT/USER plus a password, PAT or private key file.",
            code="connection_failed",
        )

    def reset(self) -> None:
        """Forget the session so the next call makes a new one.

        The old session is dropped, not closed: Snowpark's `Session.close()` cancels every query still
        running in it (SYSTEM$CANCEL_ALL_QUERIES, ledger F04, D17), which would stop a warehouse write
        that was started asynchronously."""
        with self._lock:
            self._session = None

    def run(self, action: Callable[[Any], T], *, context: str = "", grant_hint: str | None = None) -> T:
        """Run `action(session)`; on an expired login re-create the session once and retry."""
        for attempt in (1, 2):
            session = self.get()
            error: SnowbatchError | None = None
            try:
                return action(session)
            except SnowbatchError:
                raise
            except AssertionError:
                raise  # a test fake's loud failure, never a Snowflake answer
            except Exception as exc:
                if attempt == 1 and is_auth_expired(exc):
                    log.info("Snowflake session expired; reconnecting once")
                    self.reset()
                    continue
                error = translate(exc, context=context, grant_hint=grant_hint, secrets=self.secrets())
            raise error  # outside the handler: the raw driver error (and anything it quotes) is not chained
        raise AssertionError("unreachable")

    def rows(
        self,
        text: str,
        params: list[Any] | None = None,
        *,
        context: str = "",
        grant_hint: str | None = None,
        statement_params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """One statement, its rows as dicts keyed by the column names Snowflake returns."""

        def go(session: Any) -> list[dict[str, Any]]:
            result = session.sql(text, params=params).collect(statement_params=statement_params)
            return [row.as_dict() for row in result]

        return self.run(go, context=context, grant_hint=grant_hint)
