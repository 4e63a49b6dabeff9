"""A Snowflake error that quotes a secret reaches nobody with the secret in it.

The account answers a statement with an error whose text carries the password (a driver or a server may
quote what it was given), through every way an error is classified — lack of privileges, an object that
does not exist, any other failure — and through a job submission that fails in the background. The
secret is in the settings or in the environment, and the session comes from an injected factory (as in
every fake-Snowflake test): which secrets are scrubbed must not depend on how the session was made.
The tool result, the job's status, the log lines and the server's files must all be clean.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from tests.fakes import standard_account
from tests.integration.helpers import TABLE_PLAN, call

from snowbatch.backends.snowflake import SnowflakeBackend
from snowbatch.server import build_server
from snowbatch.settings import Settings

pytestmark = pytest.mark.anyio

PASSWORD = "pw-Quoted-4c1e9b77"
PAT = "pat-Quoted-81f0aa2d"
PASSPHRASE = "pp-Quoted-e5d3"
# How the account words the failure: (errno, text); each takes one way through the error translation.
FAILURES = {
    "privileges": (3001, "SQL access control error:\nInsufficient privileges for user pw {secret}"),
    "missing": (2003, "Object 'POOLS' does not exist or not authorized (login {secret})."),
    "other": (1003, "SQL compilation error:\nsyntax error near '{secret}'"),
}


def server_over(tmp_path: Path, **secrets: Any) -> tuple[Any, Any]:
    account = standard_account(tmp_path / "fake")
    settings = Settings(backend="snowflake", home=tmp_path / "home", **secrets)
    backend = SnowflakeBackend(settings, session_factory=account.session)
    return account, build_server(settings, backend=backend)


def everything_written(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


def clean(text: str, *secrets: str) -> bool:
    return not any(s in text for s in secrets)


@pytest.mark.parametrize("how", sorted(FAILURES))
async def test_a_query_error_quoting_the_configured_password_is_scrubbed(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account, server = server_over(tmp_path, password=PASSWORD, private_key_passphrase=PASSPHRASE)
    errno, text = FAILURES[how]
    account.fail(r"SHOW COMPUTE POOLS", text.format(secret=f"{PASSWORD} / {PASSPHRASE}"), errno)
    async with Client(server) as client:
        result = await client.call_tool("list_compute_pools", {})
    shown = "".join(getattr(c, "text", "") for c in result.content)
    shown += json.dumps(result.structured_content or {})
    assert result.is_error
    assert clean(shown, PASSWORD, PASSPHRASE), shown
    assert "***" in shown  # the rest of the message still says what went wrong
    assert clean("\n".join(r.getMessage() for r in caplog.records), PASSWORD, PASSPHRASE)


@pytest.mark.parametrize("variable", ["SNOWFLAKE_PASSWORD", "SNOWFLAKE_PAT", "SNOWBATCH_PASSWORD"])
async def test_a_secret_from_the_environment_is_scrubbed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, PAT)
    account, server = server_over(tmp_path)
    account.fail(r"SHOW COMPUTE POOLS", f"Incorrect username or password was specified ({PAT}).", 1003)
    async with Client(server) as client:
        result = await client.call_tool("list_compute_pools", {})
    shown = "".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error and clean(shown, PAT) and "***" in shown, shown


async def test_a_submission_that_fails_in_the_background_keeps_the_secret_out_of_the_job(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account, server = server_over(tmp_path, password=PASSWORD)
    account.fail(r"EXECUTE INFERENCE JOB SERVICE", f"Job refused for credentials {PASSWORD}.", 1003)
    async with Client(server) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        args = {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
        job = (await call(client, "submit_batch_job", args))["result"]["job_id"]
        view = await call(client, "wait_for_job", {"job_id": job, "timeout_seconds": 20})
        listed = await call(client, "list_jobs", {})
    assert view["job"]["status"] == "FAILED" and "***" in view["job"]["message"], view
    assert clean(json.dumps(view) + json.dumps(listed), PASSWORD)
    assert clean(everything_written(tmp_path / "home"), PASSWORD)
    assert clean("\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records), PASSWORD)
