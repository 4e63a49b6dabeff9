"""The whole flow on one account — a real one when SNOWBATCH_LIVE_CONNECTION names a connection (never
run here: there is no account), the rebuilt fake otherwise — and the fake checked against every cassette
a live run recorded (tests/cassettes/*.json)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from mcp import Client

from snowbatch.cli.smoke import Step, run_flow
from snowbatch.server import build_server
from tests.live.cassette import Entry, compare, load
from tests.live.conftest import CASSETTES, LiveRun

pytestmark = [pytest.mark.live, pytest.mark.anyio]

STEPS = {
    "environment", "model", "compute pool", "output stage", "plan", "submit", "output", "preview",
    "save to table", "delete job", "cancel", "warehouse preview", "warehouse write", "files", "files job",
}  # fmt: skip


async def test_discovery_plan_stage_submit_wait_output_save_cancel_delete_warehouse_and_files(
    live_run: LiveRun,
) -> None:
    said: list[Step] = []
    async with Client(build_server(live_run.settings, backend=live_run.backend)) as client:
        report = await run_flow(
            client, live_run.target, say=said.append, wait_seconds=3600 if live_run.live else 60
        )
    failing = [f"{s.name}: {s.detail}" for s in report.steps if not s.ok]
    assert report.ok, failing
    assert {s.name for s in report.steps} >= STEPS
    if live_run.live:
        target = Path(
            os.environ.get("SNOWBATCH_LIVE_CASSETTE") or CASSETTES / f"live-{time.strftime('%Y%m%d')}.json"
        )
        live_run.recorder.save(target)
        return
    fake = list(live_run.recorder.entries.values())
    assert all(e.ledger for e in fake), [e.shape for e in fake if not e.ledger]
    for cassette in sorted(CASSETTES.glob("*.json")):
        assert not compare(load(cassette), fake), cassette.name


def test_a_cassette_comparison_names_every_way_the_fake_can_differ() -> None:
    fake = [
        Entry(["F33"], "DESCRIBE SERVICE IDENTIFIER(?)", "execute", [("status", "TEXT")], {"status": "text"})
    ]
    live = [
        Entry(None, "SHOW SOMETHING NEW", "execute"),
        Entry(["F33"], "DESCRIBE SERVICE IDENTIFIER(?)", "execute", [("status", "FIXED"), ("spec", "TEXT")]),
        Entry(["F34"], "SHOW SERVICE CONTAINERS IN SERVICE …", "execute", [("message", "TEXT")]),
        Entry(["F51"], "CREATE SCHEMA …", "execute", [("status", "TEXT")]),  # live-only seeding: not compared
    ]
    problems = compare(live, fake)
    assert len(problems) == 4, problems
    assert "does not know: SHOW SOMETHING NEW" in problems[0]
    assert "'status' is FIXED live, TEXT in the fake" in problems[1]
    assert "no column 'spec'" in problems[2]
    assert "F34 was answered live but never by the fake" in problems[3]
    assert compare(fake, fake) == []
