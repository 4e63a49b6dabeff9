"""Third-party Node.js clients the tests drive (MCP Inspector, the Claude Code CLI), installed by npm
into a cache folder of the repository (.cache/, ignored by git) the first time a test needs them."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest


def npm_tool(cache: Path, package: str, command: str) -> Path:
    """`command` from `package`, installed into `cache` if it is not there yet; the test is skipped only
    where Node.js or npm is missing, and fails (never skips) when the install fails."""
    installed = cache / "node_modules" / ".bin" / command
    if installed.exists():
        return installed
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"{package} not run: {' and '.join(missing)} not found on PATH (install Node.js with npm)"
        )
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / "package.json").exists():
        (cache / "package.json").write_text(f'{{"name": "snowbatch-{cache.name}-cache", "private": true}}\n')
    started = time.perf_counter()
    proc = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", package],
        cwd=cache,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"npm install {package} failed after {time.perf_counter() - started:.0f}s:\n{proc.stderr[-2000:]}"
        )
    return installed
