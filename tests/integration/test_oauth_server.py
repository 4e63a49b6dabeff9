"""OAuth resource-server mode (the MCP authorization spec): `snowbatch serve --transport http` (a real
process on 127.0.0.1) accepts JWT access tokens from the configured issuer, whose metadata and JWKS a
small server on another loopback port publishes, with an RSA key made here.

- an unauthenticated request gets 401 with `WWW-Authenticate: Bearer …, resource_metadata="…"`, and
  that URL serves the protected resource metadata naming the issuer;
- a token signed by the issuer's key, for this resource, with the required scope, works; any other
  (another key, audience or issuer, expired, unsigned) gets 401, a missing scope 403;
- the person a token names (its subject) is the principal: plans are theirs alone, the audit trail
  names them, and no token is ever logged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.hardening.conftest import HttpServer, call_tool
from tests.integration.helpers import TABLE_PLAN, call
from tests.integration.http_clients import bare_post, bearer_client, fresh_home

pytestmark = pytest.mark.anyio
SCOPE = "snowbatch"


class Issuer:
    """An authorization server's public side on 127.0.0.1: RFC 8414 metadata and a JWKS."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        documents: dict[str, Any] = {
            "/jwks.json": {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(documents.get(self.path)).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        documents["/.well-known/oauth-authorization-server"] = {
            "issuer": self.url,
            "jwks_uri": f"{self.url}/jwks.json",
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "response_types_supported": ["code"],
        }
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def token(self, audience: str, subject: str = "alice@example.com", **changes: Any) -> str:
        key = changes.pop("key", self.key)
        claims = {
            "iss": self.url,
            "aud": audience,
            "sub": subject,
            "client_id": "team-assistant",
            "scope": f"openid {SCOPE}",
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
            **changes,
        }
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


@dataclass
class Protected:
    server: HttpServer
    issuer: Issuer
    minted: list[str]

    @property
    def resource(self) -> str:
        return self.server.url

    def token(self, **changes: Any) -> str:
        made = self.issuer.token(self.resource, **changes)
        self.minted.append(made)
        return made


@pytest.fixture(scope="module")
def protected(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    issuer = Issuer()
    home = fresh_home(seeded_template, tmp_path_factory.mktemp("oauth-server"))
    # no JWKS URL given: the server finds it in the issuer's metadata
    server = HttpServer(home, env={"SNOWBATCH_OAUTH_ISSUER": issuer.url, "SNOWBATCH_OAUTH_SCOPES": SCOPE})
    try:
        yield Protected(server, issuer, [])
    finally:
        server.stop()
        issuer.http.shutdown()


def test_an_unauthenticated_request_is_pointed_to_the_protected_resource_metadata(
    protected: Protected,
) -> None:
    response = bare_post(protected.resource)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    metadata_url = protected.resource.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
    assert challenge.startswith("Bearer ") and f'resource_metadata="{metadata_url}"' in challenge
    metadata = httpx2.get(metadata_url, timeout=10).json()
    assert metadata["resource"] == protected.resource
    assert [s.rstrip("/") for s in metadata["authorization_servers"]] == [protected.issuer.url]
    assert metadata["scopes_supported"] == [SCOPE]


async def test_an_access_token_from_the_issuer_works_and_its_subject_is_the_principal(
    protected: Protected,
) -> None:
    async with bearer_client(protected.resource, protected.token()) as alice:
        env = await call(alice, "get_environment")
        asked = await call(alice, "create_stage", {"stage": "ML.PUBLIC.OAUTH_STAGE"})
        args = {"stage": "ML.PUBLIC.OAUTH_STAGE", "confirmation_token": asked["confirmation_token"]}
        assert (await call(alice, "create_stage", args))["status"] == "done"
    trail = [json.loads(line) for line in Path(env["audit_log"]).read_text().splitlines()]
    assert [(r["tool"], r["principal"]) for r in trail] == [("create_stage", "alice@example.com")]


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("another key", 401),
        ("another audience", 401),
        ("another issuer", 401),
        ("expired", 401),
        ("unsigned", 401),
        ("without the scope", 403),
    ],
)
def test_any_other_token_is_refused(protected: Protected, case: str, status: int) -> None:
    if case == "unsigned":
        claims = jwt.decode(protected.token(), options={"verify_signature": False})
        token = jwt.encode(claims, key=None, algorithm="none", headers={"kid": "k1"})
    else:
        changes: dict[str, Any] = {
            "another key": {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
            "another audience": {"aud": "https://elsewhere.example.com/mcp"},
            "another issuer": {"iss": "https://idp.example.com"},
            "expired": {"exp": int(time.time()) - 120},
            "without the scope": {"scope": "openid"},
        }[case]
        token = protected.token(**changes)
    response = bare_post(protected.resource, f"Bearer {token}")
    assert response.status_code == status, (case, response.text)
    assert "Bearer " in response.headers["www-authenticate"]


async def test_two_people_using_one_client_app_keep_their_plans_apart(protected: Protected) -> None:
    async with (
        bearer_client(protected.resource, protected.token(subject="alice@example.com")) as alice,
        bearer_client(protected.resource, protected.token(subject="bob@example.com")) as bob,
    ):
        plan = await call(alice, "plan_batch_job", TABLE_PLAN)
        refused = await call_tool(bob, "submit_batch_job", {"plan_id": plan["plan_id"]})
        assert refused.structured and refused.structured["error"]["code"] == "not_found"


def test_no_access_token_is_ever_logged(protected: Protected) -> None:
    assert len(protected.minted) >= 5  # the tests above ran first, with good tokens and bad
    log = protected.server.log.read_text(errors="replace")
    assert "bearer token refused" in log  # the refusals were logged, by kind only
    assert not [token for token in protected.minted if token in log or token.split(".")[1] in log]
