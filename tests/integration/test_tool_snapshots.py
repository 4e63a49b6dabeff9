"""Every tool's definition equals its reviewed snapshot, and tools/list stays within its byte budget.

After a deliberate change: `python -m tests.snapshot_tools`, then review the diff of tests/snapshots/."""

from __future__ import annotations

import pytest
from bench.context import tools_list_bytes

from tests.snapshot_tools import FOLDER, render, tools_list

pytestmark = pytest.mark.anyio
TOOLS_LIST_BUDGET = 12 * 1024  # bytes of compact JSON: issue 16's ceiling (bench/ reports the figure)
UPDATE = "Run `python -m tests.snapshot_tools` and review the diff if the change is intended."


async def test_every_tool_matches_its_snapshot() -> None:
    tools = await tools_list()
    names = {t["name"] for t in tools}
    kept = {p.stem for p in FOLDER.glob("*.json")}
    assert names == kept, f"tools added {sorted(names - kept)}, removed {sorted(kept - names)}. {UPDATE}"
    drifted = [
        t["name"] for t in tools if (FOLDER / f"{t['name']}.json").read_text(encoding="utf-8") != render(t)
    ]
    assert not drifted, f"definitions changed: {drifted}. {UPDATE}"


async def test_tools_list_fits_the_context_budget() -> None:
    size = await tools_list_bytes()
    assert size <= TOOLS_LIST_BUDGET, f"tools/list is {size:,} bytes, over {TOOLS_LIST_BUDGET:,}"
