"""Clients of a real `snowbatch serve --transport http` process on 127.0.0.1: an MCP client that sends
a bearer token, and a bare HTTP request for what an unauthenticated caller gets back."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.hardening.conftest import Outcome, call_tool

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}


@asynccontextmanager
async def bearer_client(url: str, token: str | None, **kwargs: Any) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http,
        Client(streamable_http_client(url, http_client=http), **kwargs) as client,
    ):
        yield client


def bare_post(url: str, authorization: str | None = None) -> httpx2.Response:
    """An MCP initialize with only the headers a client cannot do without (and `authorization`)."""
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return httpx2.post(url, json=INITIALIZE, headers=headers, timeout=30)


async def texts_of(client: Client, tool: str, args: dict[str, Any], seen: list[str]) -> Outcome:
    """Call a tool and keep everything it answered (to look for secrets in)."""
    outcome = await call_tool(client, tool, args)
    seen.append(outcome.everything)
    return outcome


def fresh_home(seeded_template: Path, root: Path) -> Path:
    home = root / "home"
    shutil.copytree(seeded_template, home)
    return home
