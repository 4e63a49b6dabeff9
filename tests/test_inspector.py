"""A second, independent MCP client: the MCP Inspector CLI (npm, pinned) lists the tools with --strict
schema checks and calls read-only tools against `snowbatch serve` over stdio on a seeded local account.

The pinned package is installed into .cache/inspector/ (gitignored) the first time; it needs node and npm
and the npm registry. Without node or npm the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.npm_tools import npm_tool

pytestmark = pytest.mark.slow

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "inspector"
READ_ONLY_CALLS: list[tuple[str, list[str]]] = [
    ("get_environment", []),
    ("list_models", []),
    ("list_compute_pools", []),
    ("list_stages", []),
    ("show_model_functions", ["model=ML.PUBLIC.CHURN_CLASSIFIER"]),
    ("describe_input", ["table=ML.PUBLIC.CUSTOMERS", "model=ML.PUBLIC.PRICE_REGRESSOR"]),
]


@pytest.fixture(scope="module")
def inspector() -> Path:
    return npm_tool(CACHE, INSPECTOR, "mcp-inspector")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.backends.local.seed import seed_local_account

    home = tmp_path_factory.mktemp("inspector") / "home"
    seed_local_account(LocalBackend(home), rows=200)
    return home


def command(inspector: Path, home: Path, *method: str) -> list[str]:
    # The Inspector passes only a default environment to the server: settings go in with -e.
    return [
        str(inspector),
        "--cli",
        "-e",
        f"SNOWBATCH_HOME={home}",
        "-e",
        "SNOWBATCH_BACKEND=local",
        sys.executable,
        "-m",
        "snowbatch",
        "serve",
        *method,
    ]


def run(inspector: Path, home: Path, *method: str) -> tuple[int, Any, str]:
    proc = subprocess.run(
        command(inspector, home, *method),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=CACHE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        out = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        out = proc.stdout
    return proc.returncode, out, proc.stderr


def test_tools_list_passes_strict_schema_checks(inspector: Path, home: Path) -> None:
    code, out, err = run(inspector, home, "--method", "tools/list", "--strict")
    assert code == 0, f"exit {code} (6 = schema not portable):\n{err[-3000:]}"
    tools = {t["name"]: t for t in out["tools"]}
    for name in ("get_environment", "list_models", "plan_batch_job", "submit_batch_job", "generate_code"):
        assert name in tools
    for t in tools.values():
        hints = t.get("annotations") or {}
        assert "readOnlyHint" in hints, t["name"]  # the others only where MCP's default does not hold
    # what a third-party client receives is within the context budget (bench/ reports the figure)
    assert len(json.dumps(out, separators=(",", ":")).encode()) <= 12 * 1024
    warnings = [line for line in err.splitlines() if line.strip().startswith("Path:")]
    print(f"{len(tools)} tools; --strict warnings: {len(warnings)} {warnings}")


@pytest.mark.parametrize(("tool", "args"), READ_ONLY_CALLS, ids=[c[0] for c in READ_ONLY_CALLS])
def test_read_only_tools_answer(inspector: Path, home: Path, tool: str, args: list[str]) -> None:
    method = ["--method", "tools/call", "--tool-name", tool]
    for arg in args:
        method += ["--tool-arg", arg]
    code, out, err = run(inspector, home, *method)
    assert code == 0, f"{tool}: exit {code}\n{err[-2000:]}"
    assert out["isError"] is False
    content = out["structuredContent"]
    if tool == "list_models":
        assert "ML.PUBLIC.CHURN_CLASSIFIER" in [m["name"] for m in content["items"]]
    if tool == "get_environment":
        assert content["environment"]["backend"] == "local"
        assert content["client_elicitation"] is False  # the Inspector declares no elicitation
    if tool == "describe_input":
        assert content["row_count"] == 200


def test_gated_tool_asks_for_confirmation(inspector: Path, home: Path) -> None:
    """No elicitation in this client: a gated tool must answer confirmation_required, not act."""
    code, out, err = run(
        inspector,
        home,
        "--method",
        "tools/call",
        "--tool-name",
        "create_stage",
        "--tool-arg",
        "stage=ML.PUBLIC.INSPECTOR_STAGE",
    )
    assert code == 0, err[-2000:]
    assert out["structuredContent"]["status"] == "confirmation_required"
    stage = home / "stages" / "ML" / "PUBLIC" / "INSPECTOR_STAGE"
    assert (home / "stages" / "ML" / "PUBLIC" / "BATCH_OUT.json").exists()  # the layout this check relies on
    assert not stage.exists() and not stage.with_suffix(".json").exists()
