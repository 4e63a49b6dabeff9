"""Who may start an HTTP server, and with what: anything but loopback needs authentication, or the
server refuses to start and says how to configure it; static bearer tokens are checked in constant time."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest

from snowbatch.auth import AuthConfigError, StaticTokenVerifier, http_auth, static_tokens
from snowbatch.cli.serve import run_serve
from snowbatch.settings import Settings

TOKEN = "s3cret-token-for-the-team-0123456789"


@pytest.fixture(autouse=True)
def _no_auth_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("SNOWBATCH_AUTH", "SNOWBATCH_OAUTH", "SNOWBATCH_RESOURCE")):
            monkeypatch.delenv(name)


def test_serving_beyond_loopback_without_authentication_is_refused_before_listening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def listened(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started listening")

    monkeypatch.setattr("snowbatch.server.SnowbatchServer.run", listened)
    with pytest.raises(SystemExit) as exited:
        run_serve(["--transport", "http", "--host", "0.0.0.0", "--backend", "local", "--home", str(tmp_path)])
    said = capsys.readouterr().err
    assert exited.value.code == 2
    assert "0.0.0.0 without authentication" in said and "SNOWBATCH_AUTH_TOKEN" in said
    assert "SNOWBATCH_OAUTH_ISSUER" in said and "docs/shared-server.md" in said


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_authentication(host: str) -> None:
    assert http_auth(Settings(), host=host, port=8765) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "snowbatch.example.com"])
def test_every_other_address_does(host: str) -> None:
    with pytest.raises(AuthConfigError, match="without authentication"):
        http_auth(Settings(), host=host, port=8765)
    chosen = http_auth(Settings(auth_token=TOKEN), host=host, port=8765)
    assert chosen is not None and TOKEN not in repr(chosen)


def test_tokens_come_from_the_environment_and_from_a_file_of_named_lines(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# the team\nalice {TOKEN}-a\nbob {TOKEN}-b\n\n{TOKEN}-anon\n")
    found = static_tokens(Settings(auth_token=TOKEN, auth_token_file=tokens))
    assert sorted(found) == ["alice", "bob", "token", "token-5"]


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ("alice short\n", "shorter than 16"),
        (f"alice {TOKEN}-a\nalice {TOKEN}-b\n", "used twice"),
        (f"alice {TOKEN} extra\n", "not `name token`"),
        ("# nothing but a comment\n", "No bearer token"),
    ],
)
def test_a_bad_token_file_is_refused_without_repeating_a_token(
    tmp_path: Path, lines: str, problem: str
) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(lines)
    with pytest.raises(AuthConfigError, match=problem) as refused:
        static_tokens(Settings(auth_token_file=tokens))
    assert TOKEN not in str(refused.value)


def test_tokens_and_oauth_together_are_refused() -> None:
    with pytest.raises(AuthConfigError, match="Set one of them"):
        http_auth(Settings(auth_token=TOKEN, oauth_issuer="https://idp.example.com"), host="0.0.0.0", port=1)


def test_oauth_beyond_loopback_needs_the_public_resource_url() -> None:
    with pytest.raises(AuthConfigError, match="SNOWBATCH_RESOURCE_URL"):
        http_auth(Settings(oauth_issuer="https://idp.example.com"), host="0.0.0.0", port=1)
    chosen = http_auth(
        Settings(oauth_issuer="https://idp.example.com", resource_url="https://sb.example.com/mcp"),
        host="0.0.0.0",
        port=1,
    )
    assert chosen is not None and str(chosen.settings.resource_server_url) == "https://sb.example.com/mcp"


def test_the_static_verifier_accepts_exactly_the_configured_tokens() -> None:
    verifier = StaticTokenVerifier(static_tokens(Settings(auth_token=TOKEN)))

    async def check(token: str) -> str | None:
        found = await verifier.verify_token(token)
        return found.client_id if found else None

    assert anyio.run(check, TOKEN) == "token"
    assert anyio.run(check, TOKEN[:-1]) is None
    assert anyio.run(check, TOKEN + "x") is None
    assert anyio.run(check, "") is None
