"""Scrubbing, and the one door every statement goes through: no fragment of a secret survives, whichever
way the connection is made, and the door re-logs in once — never more — when the login expired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from snowflake.connector.errors import ProgrammingError

from snowbatch.backends.snowflake.config import resolve_connection, scrub
from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.core.errors import BackendFailure, NotFound
from snowbatch.settings import Settings

PASSWORD = "pw-scrub-7d1c"


def settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(backend="snowflake", home=tmp_path, **kw)


def test_a_secret_inside_a_longer_one_leaves_no_fragment_of_either() -> None:
    short, long = "abcd", "abcd-efgh-ijkl"
    for order in ([short, long], [long, short]):
        assert scrub(f"token {long} and {short}.", order) == "token *** and ***."
    assert scrub("key abcd-zz99-xy.", ["zz99", "abcd-zz99-xy"]) == "key ***."  # not the alphabetical order


def test_secrets_of_four_characters_are_scrubbed_and_shorter_ones_would_mangle_text() -> None:
    assert scrub("pin 9z7q here", ["9z7q"]) == "pin *** here"
    assert scrub("a b c", ["a"]) == "a b c"


def test_inside_spcs_the_configured_password_is_still_a_secret(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("spcs-oauth-token-123\n")
    env = {"SNOWFLAKE_HOST": "acct.snowflakecomputing.com", "SNOWFLAKE_ACCOUNT": "ACCT"}
    config = resolve_connection(settings(tmp_path, password=PASSWORD), env=env, token_file=token)
    assert "password" not in config.options  # the token file is used ...
    assert set(config.secrets()) >= {PASSWORD, "spcs-oauth-token-123"}  # ... and both are scrubbed


def test_the_redacted_options_show_everything_but_the_secrets(tmp_path: Path) -> None:
    env = {"SNOWFLAKE_ACCOUNT": "org-acct", "SNOWFLAKE_USER": "SVC", "SNOWFLAKE_PASSWORD": PASSWORD}
    shown = resolve_connection(settings(tmp_path), env=env, token_file=tmp_path / "none").redacted()
    assert shown["account"] == "org-acct" and shown["user"] == "SVC" and shown["password"] == "***"
    assert "session_parameters" not in shown


class Session:
    """A session whose statements fail as the test says."""

    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures

    def answer(self) -> str:
        if self.failures:
            raise self.failures.pop(0)
        return "answered"


def expired() -> ProgrammingError:
    return ProgrammingError(msg="Session no longer exists.", errno=390112, send_telemetry=False)


def provider(tmp_path: Path, failures: list[BaseException]) -> tuple[SessionProvider, list[Session]]:
    made: list[Session] = []

    def factory() -> Session:
        made.append(Session(failures))
        return made[-1]

    return SessionProvider(settings(tmp_path), session_factory=factory), made


def test_an_expired_login_is_renewed_once_and_the_statement_runs(tmp_path: Path) -> None:
    sessions, made = provider(tmp_path, [expired()])
    assert sessions.run(lambda s: s.answer()) == "answered" and len(made) == 2


def test_a_login_that_expires_again_at_once_is_an_error_not_a_loop(tmp_path: Path) -> None:
    sessions, made = provider(tmp_path, [expired(), expired(), expired()])
    with pytest.raises(BackendFailure, match="390112"):
        sessions.run(lambda s: s.answer(), context="Listing")
    assert len(made) == 2


def test_other_errors_are_not_retried_and_our_own_pass_through_as_they_are(tmp_path: Path) -> None:
    syntax = ProgrammingError(msg="syntax error", errno=1003, send_telemetry=False)
    sessions, made = provider(tmp_path, [syntax])
    with pytest.raises(BackendFailure, match="Listing: Snowflake error 1003"):
        sessions.run(lambda s: s.answer(), context="Listing")
    sessions, made = provider(
        tmp_path, [ProgrammingError(msg="syntax error", errno=1003, send_telemetry=False)]
    )
    with pytest.raises(BackendFailure) as failed:
        sessions.run(lambda s: s.answer())  # no context: the problem starts with what Snowflake said
    assert failed.value.problem.startswith("Snowflake error 1003: ")
    own = NotFound("No such job.", "list_jobs shows them.")
    sessions, made = provider(tmp_path, [own])
    with pytest.raises(NotFound) as err:
        sessions.run(lambda s: s.answer())
    assert err.value is own and len(made) == 1


def test_a_named_connection_reaches_the_connector_by_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    class Builder:
        def configs(self, options: dict[str, Any]) -> Any:
            seen.update(options)
            raise RuntimeError("no network here")

    import snowflake.snowpark

    monkeypatch.setattr(snowflake.snowpark.Session, "builder", Builder())
    sessions = SessionProvider(settings(tmp_path, connection_name="dev"))
    with pytest.raises(BackendFailure) as err:
        sessions.get()
    assert seen["connection_name"] == "dev" and err.value.code == "connection_failed"


# --- what a Snowflake error becomes -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("errno", "text", "code", "hint_used"),
    [
        (
            3001,
            "SQL access control error:\nInsufficient privileges to operate on pool 'P'",
            "permission_denied",
            True,
        ),
        (2003, "Object 'T' does not exist or not authorized.", "not_found", True),
        (
            2003,
            "Insufficient privileges to operate on schema 'S' (does not exist or not authorized)",
            "not_found",
            True,
        ),
        (2002, "Object 'T' already exists.", "conflict", False),
        (1003, "SQL compilation error:\nsyntax error line 1", "backend_failure", False),
    ],
)
def test_each_snowflake_error_becomes_the_error_that_says_what_to_do(
    errno: int, text: str, code: str, hint_used: bool
) -> None:
    from snowbatch.backends.snowflake.errors import translate

    exc = ProgrammingError(msg=text, errno=errno, send_telemetry=False)
    error = translate(exc, context="Listing pools", grant_hint="USAGE on the pool.", secrets=[])
    assert error.code == code and error.problem.startswith("Listing pools: ")
    assert ("USAGE on the pool." in error.next_step) == hint_used
    if code == "backend_failure":
        assert f"Snowflake error {errno}: syntax error line 1" in error.problem


def test_without_a_grant_hint_the_next_step_still_says_what_to_check() -> None:
    from snowbatch.backends.snowflake.errors import translate

    denied = ProgrammingError(msg="Insufficient privileges", errno=3001, send_telemetry=False)
    assert "administrator" in translate(denied, context="", grant_hint=None, secrets=[]).next_step
    missing = ProgrammingError(msg="Object 'T' does not exist", errno=2003, send_telemetry=False)
    error = translate(missing, context="", grant_hint=None, secrets=[])
    assert error.problem.endswith("Object 'T' does not exist") and "USAGE on its database" in error.next_step
    other = translate(RuntimeError("boom"), context="", grant_hint=None, secrets=[])
    assert other.problem == "RuntimeError: boom"
