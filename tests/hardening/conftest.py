"""Shared pieces of the hardening tests: servers over both backends and a synchronous tool call.

Hypothesis tests cannot use function-scoped fixtures, so the servers they drive are built once per module
and each example opens its own in-process `mcp.Client` through `call_tool_sync`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from snowbatch.server import build_server
from snowbatch.settings import Settings


@dataclass
class Outcome:
    """A tool call as the model sees it: error flag, the text, the structured content."""

    is_error: bool
    text: str
    structured: dict[str, Any] | None

    @property
    def everything(self) -> str:
        return self.text + json.dumps(self.structured or {}, default=str)


async def call_tool(client: Client, tool: str, args: dict[str, Any]) -> Outcome:
    result = await client.call_tool(tool, args)
    text = "".join(getattr(c, "text", "") for c in result.content)
    return Outcome(bool(result.is_error), text, result.structured_content)


def call_tool_sync(server: Any, tool: str, args: dict[str, Any]) -> Outcome:
    async def go() -> Outcome:
        async with Client(server) as client:
            return await call_tool(client, tool, args)

    return anyio.run(go)


def fake_snowflake_server(root: Path, **settings: Any) -> tuple[Any, Any]:
    """(backend, server) over the SQL-level fake Snowflake account (ML.PUBLIC samples)."""
    from tests.fakes import make_fake_snowflake_backend

    backend = make_fake_snowflake_backend(root)
    server = build_server(
        Settings(backend="snowflake", home=root / "server-home", **settings), backend=backend
    )
    return backend, server


def local_server(home: Path, **settings: Any) -> Any:
    return build_server(Settings(backend="local", home=home, **settings))


def tree_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` with its size and mtime: equal snapshots mean nothing was written."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".lock" not in path.name and "locks" not in path.parts:
            stat = path.stat()
            out[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return out


# --- a real server process over streamable HTTP on loopback ---------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HttpServer:
    """`snowbatch serve --transport http` on 127.0.0.1 in its own process; stopped by `stop()`."""

    def __init__(self, home: Path, *extra: str, env: dict[str, str] | None = None, log: Path | None = None):
        import os
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.log = log or home.parent / f"server-{self.port}.log"
        src = str(Path(__file__).resolve().parents[2] / "server")
        full_env = {**os.environ, **(env or {})}
        full_env["PYTHONPATH"] = src + os.pathsep + full_env.get("PYTHONPATH", "")
        self._log_fh = self.log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "snowbatch",
                "serve",
                "--transport",
                "http",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--backend",
                "local",
                "--home",
                str(home),
                *extra,
            ],
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
        )
        self._wait_listening()

    def _wait_listening(self, timeout: float = 30.0) -> None:
        import socket
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited: {self.log.read_text()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"the server did not listen within {timeout}s")

    def kill(self) -> None:
        """SIGKILL: the server dies without any chance to clean up."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self._log_fh.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except Exception:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log_fh.close()
