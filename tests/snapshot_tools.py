"""Tool definitions as clients receive them (name, description, input schema, annotations), one JSON
file per tool under tests/snapshots/tools/. `python -m tests.snapshot_tools` rewrites them after a
deliberate change, so the diff shows in review; tests/integration/test_tool_snapshots.py fails on drift.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from snowbatch.server import build_server
from snowbatch.settings import Settings

FOLDER = Path(__file__).parent / "snapshots" / "tools"


async def tools_list() -> list[dict[str, Any]]:
    """tools/list of a local server, as the wire carries it."""
    with tempfile.TemporaryDirectory(prefix="snowbatch-snapshots-") as home:
        async with Client(build_server(Settings(backend="local", home=Path(home)))) as client:
            tools = (await client.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


def render(tool: dict[str, Any]) -> str:
    return json.dumps(tool, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    tools = anyio.run(tools_list)
    FOLDER.mkdir(parents=True, exist_ok=True)
    names = {t["name"] for t in tools}
    for stale in FOLDER.glob("*.json"):
        if stale.stem not in names:
            stale.unlink()
            print(f"removed {stale.name}")
    for tool in tools:
        path = FOLDER / f"{tool['name']}.json"
        text = render(tool)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
