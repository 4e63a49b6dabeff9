"""Startup: spawn → `tools/list` answered over stdio, snowbatch against an empty MCPServer, same run.

Both are spawned with the same interpreter and the same client (`mcp.Client` over stdio), alternated
run by run so drift on a busy machine hits both; the figure is the ratio of the medians.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Row, Section, median, ratio

EMPTY_SERVER = """\
from mcp.server.mcpserver import MCPServer

MCPServer("empty").run()
"""


async def time_to_tools_list(command: str, args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds from spawning the server to the answer of tools/list, and how many tools it listed."""
    from mcp import Client, StdioServerParameters

    started = time.perf_counter()
    async with Client(StdioServerParameters(command=command, args=args, env=env)) as client:
        tools = (await client.list_tools()).tools
        elapsed = time.perf_counter() - started
    return elapsed, len(tools)


async def tools_list_bytes(env: dict[str, str]) -> int:
    """Bytes of the tools/list answer: the definitions every assistant carries in its context."""
    import json

    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "snowbatch", "serve"], env=env)
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
    wire = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
    return len(json.dumps(wire, separators=(",", ":")).encode())


async def run(reps: int = 9) -> Section:
    section = Section("startup")
    with tempfile.TemporaryDirectory(prefix="snowbatch-bench-startup-") as tmp:
        empty = Path(tmp) / "empty_server.py"
        empty.write_text(EMPTY_SERVER)
        env = {**os.environ, "SNOWBATCH_HOME": str(Path(tmp) / "home"), "SNOWBATCH_BACKEND": "local"}
        ours: list[float] = []
        base: list[float] = []
        n_tools = 0
        # one untimed warm-up of each, so the first timed run does not pay for a cold page cache alone
        await time_to_tools_list(sys.executable, [str(empty)], env)
        await time_to_tools_list(sys.executable, ["-m", "snowbatch", "serve"], env)
        for i in range(reps):
            pair: list[tuple[str, list[str]]] = [
                ("empty", [str(empty)]),
                ("ours", ["-m", "snowbatch", "serve"]),
            ]
            if i % 2:
                pair.reverse()
            for which, args in pair:
                seconds, count = await time_to_tools_list(sys.executable, args, env)
                (ours if which == "ours" else base).append(seconds)
                if which == "ours":
                    n_tools = count
        definitions = await tools_list_bytes(env)
    m_ours, m_base = median(ours), median(base)
    section.rows.append(
        Row(
            "startup",
            "spawn → tools/list (stdio, median)",
            m_ours,
            "s",
            m_base,
            "empty MCPServer",
            ratio(m_ours, m_base),
            1.10,
            "<=",
            note=f"{reps} alternated runs each; {n_tools} tools; ours {min(ours):.2f}–{max(ours):.2f}s, "
            f"empty {min(base):.2f}–{max(base):.2f}s",
        )
    )
    section.rows.append(
        Row(
            "startup",
            "tools/list size (tool definitions in context)",
            definitions,
            "B",
            note=f"{n_tools} tools, compact JSON",
        )
    )
    section.notes.append(official_note())
    return section


# --- the official Snowflake MCP server -----------------------------------------------------------
OFFICIAL_PACKAGE = "snowflake-labs-mcp"
OFFICIAL_VENV = Path(
    os.environ.get(
        "SNOWBATCH_BENCH_OFFICIAL_VENV", Path(tempfile.gettempdir()) / "snowbatch-bench-official-venv"
    )
)
OFFICIAL_CONFIG = """\
other_services:
  object_manager: true
  query_manager: true
  semantic_manager: true
sql_statement_permissions:
  - Select: true
  - Show: true
  - Describe: true
"""
_official: dict[str, Any] = {}


def install_official(venv: Path = OFFICIAL_VENV) -> str:
    """A throwaway venv with the official server (never a project dependency). Returns what happened."""
    import subprocess

    exe = venv / "bin" / OFFICIAL_PACKAGE
    if exe.exists():
        return f"already installed in {venv}"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", OFFICIAL_PACKAGE], capture_output=True, text=True
    )
    if proc.returncode != 0:
        return f"pip install {OFFICIAL_PACKAGE} failed: {proc.stderr.strip().splitlines()[-1:]}"
    return f"installed in {time.perf_counter() - started:.0f}s into {venv}"


async def probe_official(venv: Path = OFFICIAL_VENV, timeout: float = 120) -> dict[str, Any]:
    """Spawn the official server with no reachable account and ask for tools/list.

    It opens its Snowflake connection inside the MCP lifespan and registers its tools only after that
    connection exists, so without an account the handshake itself fails; we record how and how fast.
    """
    import anyio
    from mcp import Client, StdioServerParameters

    exe = venv / "bin" / OFFICIAL_PACKAGE
    if not exe.exists():
        return {"ran": False, "why": f"not installed (python -m bench --install-official puts it in {venv})"}
    version = ""
    meta = list((venv / "lib").glob("python*/site-packages/snowflake_labs_mcp-*.dist-info"))
    if meta:
        version = meta[0].name.removesuffix(".dist-info").split("-", 1)[1]
    with tempfile.TemporaryDirectory(prefix="snowbatch-bench-official-") as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(OFFICIAL_CONFIG)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp}
        errlog = Path(tmp) / "stderr.txt"
        # through sh only to keep its stderr (the reason it stops) out of the terminal and in a file
        params = StdioServerParameters(
            command="/bin/sh",
            env=env,
            args=[
                "-c",
                f'exec "$0" "$@" 2>"{errlog}"',
                str(exe),
                "--service-config-file",
                str(config),
                "--account",
                "bench-no-account",
                "--user",
                "nobody",
                "--password",
                "not-a-secret",
            ],
        )
        started = time.perf_counter()
        try:
            with anyio.fail_after(timeout):
                async with Client(params) as client:
                    tools = (await client.list_tools()).tools
            return {
                "ran": True,
                "version": version,
                "answered": True,
                "tools": len(tools),
                "seconds": time.perf_counter() - started,
            }
        except BaseException as exc:  # the handshake fails inside a task group; report, don't raise
            return {
                "ran": True,
                "version": version,
                "answered": False,
                "seconds": time.perf_counter() - started,
                "error": _root_error(exc),
                "server_said": _last_error_line(errlog),
            }


def _root_error(exc: BaseException) -> str:
    while getattr(exc, "exceptions", None):  # an ExceptionGroup from the client's task group
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def _last_error_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [ln.strip() for ln in lines if "Error" in ln or "error" in ln]
    return (errors[-1] if errors else (lines[-1].strip() if lines else ""))[:200]


def official_note() -> str:
    r = _official
    if not r:
        return "snowflake-labs-mcp: not probed."
    if not r.get("ran"):
        return f"snowflake-labs-mcp: {r['why']}."
    if r.get("answered"):
        return (
            f"snowflake-labs-mcp {r['version']}: answered tools/list ({r['tools']} tools) "
            f"in {r['seconds']:.2f}s."
        )
    return (
        f"snowflake-labs-mcp {r['version']}: cannot answer tools/list without an account — it connects to "
        f"Snowflake in its lifespan before registering any tool; with no account the handshake failed "
        f"after {r['seconds']:.1f}s (client: {r['error']}; "
        f"server: {r.get('server_said') or 'nothing on stderr'})."
    )


async def run_official(venv: Path = OFFICIAL_VENV) -> None:
    _official.clear()
    _official.update(await probe_official(venv))
