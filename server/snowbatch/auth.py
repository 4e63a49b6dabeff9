"""Authentication for `snowbatch serve --transport http`, through the MCP SDK's own resource-server
support (a `TokenVerifier` and `AuthSettings`: the SDK answers 401 with `WWW-Authenticate: Bearer …` and,
in OAuth mode, serves the protected resource metadata of RFC 9728).

Two ways, configured by SNOWBATCH_* settings (docs/shared-server.md):

- static bearer tokens: `auth_token` (one, principal "token") or `auth_token_file` (one `name token` per
  line, each name a principal), compared in constant time on their SHA-256 digests;
- OAuth resource server: JWT access tokens from `oauth_issuer`, checked against its JWKS (signature,
  issuer, audience = `oauth_audience` or `resource_url`, expiry), with PyJWT.

Binding to anything but loopback without one of them is refused before anything listens. No token is ever
logged: refusals log the kind of failure only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from snowbatch.settings import Settings

if TYPE_CHECKING:
    from mcp.server.auth.provider import AccessToken, TokenVerifier
    from mcp.server.auth.settings import AuthSettings

log = logging.getLogger("snowbatch.auth")
MIN_TOKEN_CHARS = 16
JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
HOW = (
    "Set SNOWBATCH_AUTH_TOKEN to a long random secret (e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and give it to each client as "
    "`Authorization: Bearer <token>`; or SNOWBATCH_AUTH_TOKEN_FILE, a file of `name token` lines (one "
    "principal each); or SNOWBATCH_OAUTH_ISSUER with SNOWBATCH_RESOURCE_URL to accept your identity "
    "provider's access tokens. See docs/shared-server.md."
)


class AuthConfigError(ValueError):
    """The server cannot start as configured; the message says how to fix it."""


@dataclass(frozen=True)
class HttpAuth:
    settings: AuthSettings
    verifier: TokenVerifier
    description: str  # for the start-up log line; no secret


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def http_auth(settings: Settings, *, host: str, port: int) -> HttpAuth | None:
    """The authentication an HTTP server on host:port needs, or None (loopback with none configured).
    Raises AuthConfigError when the server must not start."""
    static = settings.auth_token is not None or settings.auth_token_file is not None
    if static and settings.oauth_issuer:
        raise AuthConfigError(
            "Both bearer tokens (SNOWBATCH_AUTH_TOKEN/_FILE) and OAuth (SNOWBATCH_OAUTH_ISSUER) are set. "
            "Set one of them."
        )
    if settings.oauth_issuer:
        chosen = _oauth(settings, host, port)
    elif static:
        chosen = _static(settings, port)
    elif is_loopback(host):
        log.info("HTTP on %s without authentication: loopback only", host)
        return None
    else:
        raise AuthConfigError(
            f"Refusing to serve on {host} without authentication: anyone who can reach it could run "
            f"jobs that spend your credits. {HOW} Or serve on 127.0.0.1."
        )
    log.info("HTTP on %s: %s", host, chosen.description)
    return chosen


# --- static bearer tokens ---------------------------------------------------------------------------
def static_tokens(settings: Settings) -> dict[str, bytes]:
    """principal name -> SHA-256 of its token, from auth_token and auth_token_file."""
    found: dict[str, bytes] = {}

    def add(name: str, token: str, where: str) -> None:
        if len(token) < MIN_TOKEN_CHARS:
            raise AuthConfigError(
                f"The bearer token {where} is shorter than {MIN_TOKEN_CHARS} characters. {HOW}"
            )
        if name in found:
            raise AuthConfigError(f"The principal name {name!r} {where} is used twice; names must differ.")
        found[name] = hashlib.sha256(token.encode()).digest()

    if settings.auth_token is not None:
        add("token", settings.auth_token.get_secret_value().strip(), "in SNOWBATCH_AUTH_TOKEN")
    if settings.auth_token_file is not None:
        path = settings.auth_token_file.expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise AuthConfigError(f"Cannot read SNOWBATCH_AUTH_TOKEN_FILE {path}: {exc.strerror}.") from None
        for number, line in enumerate(lines, 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if len(words) > 2:
                raise AuthConfigError(f"Line {number} of {path} is not `name token` (or just `token`).")
            name, token = (words[0], words[1]) if len(words) == 2 else (f"token-{number}", words[0])
            add(name, token, f"on line {number} of {path}")
    if not found:
        raise AuthConfigError(f"No bearer token is configured. {HOW}")
    return found


class StaticTokenVerifier:
    """A TokenVerifier for a fixed set of named tokens. Every configured token is compared (in constant
    time, on digests of equal length), so the time taken says nothing about which one, if any, matched."""

    def __init__(self, tokens: dict[str, bytes]) -> None:
        self._tokens = tokens

    async def verify_token(self, token: str) -> AccessToken | None:
        from mcp.server.auth.provider import AccessToken

        offered = hashlib.sha256(token.encode()).digest()
        match = None
        for name, digest in self._tokens.items():
            if hmac.compare_digest(offered, digest):
                match = name
        if match is None:
            log.info("bearer token refused: unknown token")
            return None
        return AccessToken(token=token, client_id=match, subject=match, scopes=[])


def _static(settings: Settings, port: int) -> HttpAuth:
    from mcp.server.auth.settings import AuthSettings

    tokens = static_tokens(settings)
    # The SDK's AuthSettings requires an issuer; with no resource_server_url it is never published or
    # used (no metadata, no authorization routes), so the server's own loopback origin stands in.
    auth = AuthSettings(issuer_url=f"http://127.0.0.1:{port}", resource_server_url=None)
    return HttpAuth(auth, StaticTokenVerifier(tokens), f"bearer tokens ({len(tokens)} principal(s))")


# --- OAuth resource server ----------------------------------------------------------------------------
class JwtVerifier:
    """A TokenVerifier for JWT access tokens (RFC 9068) signed by the issuer's keys (its JWKS)."""

    def __init__(self, issuer: str, audience: str, jwks_url: str | None) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks_url = jwks_url
        self._client: Any = None

    async def verify_token(self, token: str) -> AccessToken | None:
        import anyio

        return await anyio.to_thread.run_sync(self._verify, token)

    def _verify(self, token: str) -> AccessToken | None:
        import jwt
        from mcp.server.auth.provider import AccessToken

        try:
            key = self._jwks().get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=JWT_ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=30,
            )
        except (jwt.PyJWTError, OSError, ValueError, KeyError) as exc:
            log.info("bearer token refused: %s", type(exc).__name__)  # never the token, never its claims
            return None
        scopes = claims.get("scope", claims.get("scp", []))
        subject = claims.get("sub")
        client_id = claims.get("client_id") or claims.get("azp") or subject or "unknown"
        return AccessToken(
            token=token,
            client_id=str(client_id),
            subject=str(subject) if subject is not None else None,
            scopes=scopes.split() if isinstance(scopes, str) else [str(s) for s in scopes],
            expires_at=int(claims["exp"]),
            claims={"iss": claims["iss"]},
        )

    def _jwks(self) -> Any:
        if self._client is None:
            from jwt import PyJWKClient

            url = self._jwks_url or discover_jwks_url(self.issuer)
            self._client = PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)
        return self._client


def discover_jwks_url(issuer: str) -> str:
    """The issuer's jwks_uri from its metadata: RFC 8414 first, then OpenID Connect discovery."""
    from urllib.request import urlopen

    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    candidates = [
        f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{path}",
        f"{issuer.rstrip('/')}/.well-known/openid-configuration",
    ]
    for url in candidates:
        try:
            with urlopen(url, timeout=10) as response:
                metadata = json.loads(response.read())
        except (OSError, ValueError):
            continue
        if metadata.get("issuer") == issuer and isinstance(metadata.get("jwks_uri"), str):
            return str(metadata["jwks_uri"])
    raise OSError(f"no authorization server metadata with a jwks_uri for {issuer}")


def _oauth(settings: Settings, host: str, port: int) -> HttpAuth:
    from mcp.server.auth.settings import AuthSettings
    from pydantic import ValidationError

    issuer = str(settings.oauth_issuer)
    resource = settings.resource_url
    if resource is None:
        if not is_loopback(host):
            raise AuthConfigError(
                "OAuth needs SNOWBATCH_RESOURCE_URL: the URL clients use to reach this server's /mcp "
                "(e.g. https://snowbatch.example.com/mcp); it is the token audience and where the "
                "protected resource metadata points."
            )
        resource = f"http://{host}:{port}/mcp"
    scopes = (settings.oauth_scopes or "").replace(",", " ").split()
    try:
        auth = AuthSettings(
            issuer_url=issuer,
            resource_server_url=resource,
            required_scopes=scopes or None,
            validate_token_resource=False,  # JwtVerifier checks the audience itself
        )
    except ValidationError as exc:
        raise AuthConfigError(
            f"SNOWBATCH_OAUTH_ISSUER and SNOWBATCH_RESOURCE_URL must be http(s) URLs ({exc.error_count()} "
            "problem(s))."
        ) from None
    verifier = JwtVerifier(issuer, settings.oauth_audience or resource, settings.oauth_jwks_url)
    return HttpAuth(auth, verifier, f"OAuth access tokens from {issuer} for {resource}")
