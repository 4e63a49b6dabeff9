"""Snowflake errors as `SnowbatchError`s that say what to do next (and carry no secrets)."""

from __future__ import annotations

import re

from snowbatch.backends.snowflake.config import scrub
from snowbatch.core.errors import BackendFailure, Conflict, NotFound, PermissionDenied, SnowbatchError

DOES_NOT_EXIST = 2003
ALREADY_EXISTS = 2002
_ACCESS = re.compile(r"insufficient privileges|access control|not authorized to", re.I)


def _code(exc: BaseException) -> int | None:
    for attr in ("errno", "sql_error_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    return None


def _message(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or getattr(exc, "msg", None) or exc)
    # Snowflake prefixes "SQL compilation error:" on its own line; keep the informative line.
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    informative = [ln for ln in lines if not ln.endswith("error:")]
    return " ".join(informative or lines)[:400]


def translate(
    exc: BaseException, *, context: str, grant_hint: str | None, secrets: list[str]
) -> SnowbatchError:
    code = _code(exc)
    message = scrub(_message(exc), secrets)
    where = f"{context}: " if context else ""
    if _ACCESS.search(message) and code != DOES_NOT_EXIST:
        return PermissionDenied(
            f"{where}Snowflake refused for lack of privileges ({message}).",
            grant_hint
            or "Ask an administrator for the privilege named above, or switch to a role that has it.",
        )
    if code == DOES_NOT_EXIST:
        return NotFound(
            f"{where}{message}",
            (grant_hint and f"Check the name, or whether your role can see it: {grant_hint}")
            or "Check the name and that your role can see the object (USAGE on its database and schema).",
        )
    if code == ALREADY_EXISTS:
        return Conflict(f"{where}{message}", "Choose another name, or use the existing object.")
    shown = f"Snowflake error {code}: {message}" if code else f"{type(exc).__name__}: {message}"
    return BackendFailure(
        f"{where}{shown}",
        "Check the statement's inputs; `snowbatch doctor` checks the connection and privileges.",
    )
