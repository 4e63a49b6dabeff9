"""Who is calling a tool: the key that scopes plans, confirmation tokens and limits to their maker, and
the names the audit trail records.

- Over HTTP with authentication: the principal the token verifier established (client id, issuer,
  subject — the SDK's own `principal_components`), whatever session the client uses.
- Over HTTP without authentication (loopback only): the MCP session (`Mcp-Session-Id`); clients of
  protocol 2026-07-28, which have no session, share one scope, "http".
- Over stdio, or an in-process client: one scope per process, "local" (one person, one client).

`SnowbatchServer.call_tool` sets `CALLER` for the length of each call (worker threads inherit it).
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Caller:
    key: str  # scopes plans, tokens and limits
    principal: str | None = None  # who authenticated (HTTP with auth); never a secret
    client: str | None = None  # the client's own name for itself (clientInfo): self-reported


LOCAL = Caller("local")
CALLER: ContextVar[Caller] = ContextVar("snowbatch_caller", default=LOCAL)


def current_caller() -> Caller:
    return CALLER.get()


def identify(context: Any) -> Caller:
    """The caller of the request `context` (an MCPServer Context) belongs to."""
    request_context = getattr(context, "_request_context", None)
    if request_context is None:
        return LOCAL
    client = _client_name(request_context)
    request = getattr(request_context, "request", None)
    scope = getattr(request, "scope", None)
    if request is None or not isinstance(scope, dict):
        return Caller("local", None, client)
    from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
    from mcp.server.auth.provider import principal_components

    user = scope.get("user")
    if isinstance(user, AuthenticatedUser):
        client_id, issuer, subject = principal_components(user.access_token)
        key = "principal:" + json.dumps([client_id, issuer, subject])
        return Caller(key, subject or client_id, client)
    session = request.headers.get("mcp-session-id")
    if session:
        return Caller(f"session:{session}", None, client)
    return Caller("http", None, client)


def _client_name(request_context: Any) -> str | None:
    params = getattr(getattr(request_context, "session", None), "client_params", None)
    info = getattr(params, "client_info", None)
    name = getattr(info, "name", None)
    return str(name)[:100] if name else None
