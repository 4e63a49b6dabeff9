"""Read-only mode: no gated tool is registered or callable, on either backend; auto_approve is off by
default and get_environment says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from tests.hardening.conftest import call_tool, fake_snowflake_server, tree_snapshot

from snowbatch.server import build_server
from snowbatch.settings import Settings

pytestmark = pytest.mark.anyio

GATED_CALLS: dict[str, dict[str, Any]] = {
    "create_stage": {"stage": "ML.PUBLIC.RO_STAGE"},
    "create_compute_pool": {"name": "RO_POOL", "instance_family": "CPU_X64_XS"},
    "resume_compute_pool": {"name": "ETL_POOL"},
    "submit_batch_job": {"plan_id": "plan_x"},
    "cancel_job": {"job_id": "X"},
    "delete_job": {"job_id": "X"},
    "save_results_to_table": {"table": "ML.PUBLIC.RO_T", "location": "@ML.PUBLIC.BATCH_OUT/"},
    "run_in_warehouse": {
        "model": "ML.PUBLIC.CHURN_CLASSIFIER",
        "table": "ML.PUBLIC.CUSTOMERS",
        "output_table": "T",
    },
}
WRITE_ARGS = {"output_table", "confirmation_token"}  # plan_batch_job's save mode is only planned


async def check_read_only(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert not set(GATED_CALLS) & set(tools), set(GATED_CALLS) & set(tools)
    for tool in tools.values():
        props = set((tool.input_schema or {}).get("properties", {}))
        assert tool.annotations is not None and tool.annotations.read_only_hint is True, tool.name
        assert not props & WRITE_ARGS, (tool.name, props & WRITE_ARGS)
    for name, args in GATED_CALLS.items():
        # with a token too: an unregistered tool cannot be approved into existence
        out = await call_tool(client, name, {**args, "confirmation_token": "x"})
        assert (out.is_error and "unknown tool" in out.text.lower()) or "not found" in out.text.lower(), (
            out.text
        )
    assert "preview_in_warehouse" in tools
    env = await call_tool(client, "get_environment", {})
    assert env.structured and env.structured["read_only"] is True and env.structured["auto_approve"] is False
    assert any("read_only is ON" in n for n in env.structured["notes"])


async def test_read_only_local_server_offers_and_runs_nothing_that_writes(local_home: Path) -> None:
    before = tree_snapshot(local_home)
    async with Client(build_server(Settings(backend="local", home=local_home, read_only=True))) as client:
        await check_read_only(client)
        plan = await call_tool(
            client,
            "plan_batch_job",
            {
                "model": "ML.PUBLIC.CHURN_CLASSIFIER",
                "function": "PREDICT",
                "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"},
                "output_stage": "@ML.PUBLIC.BATCH_OUT/ro/",
                "compute_pool": "CPU_POOL",
            },
        )
        assert not plan.is_error and plan.structured and plan.structured["ok"]  # planning stays available
    assert tree_snapshot(local_home) == before


async def test_read_only_snowflake_server_offers_nothing_that_writes(tmp_path: Path) -> None:
    backend, server = fake_snowflake_server(tmp_path, read_only=True)
    async with Client(server) as client:
        await check_read_only(client)
    writes = [
        s
        for s in backend.fake_account.sql_log()
        if s.split()[0].upper()
        in ("CREATE", "ALTER", "DROP", "COPY", "EXECUTE", "CALL", "REMOVE", "PUT", "INSERT")
    ]
    assert writes == []


async def test_read_only_even_with_auto_approve(local_home: Path) -> None:
    """auto_approve cannot bring a gated tool back: read_only wins."""
    settings = Settings(backend="local", home=local_home, read_only=True, auto_approve=True)
    async with Client(build_server(settings)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert not set(GATED_CALLS) & names


async def test_auto_approve_is_off_by_default_and_stated(
    local_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SNOWBATCH_AUTO_APPROVE", raising=False)
    monkeypatch.delenv("SNOWBATCH_READ_ONLY", raising=False)
    assert Settings(backend="local", home=local_home).auto_approve is False
    async with Client(build_server(Settings(backend="local", home=local_home))) as client:
        env = await call_tool(client, "get_environment", {})
        gated = await call_tool(client, "create_stage", {"stage": "ML.PUBLIC.NEEDS_A_YES"})
    assert env.structured and env.structured["auto_approve"] is False and env.structured["read_only"] is False
    assert gated.structured and gated.structured["status"] == "confirmation_required"
    async with Client(build_server(Settings(backend="local", home=local_home, auto_approve=True))) as client:
        env = await call_tool(client, "get_environment", {})
    assert env.structured and env.structured["auto_approve"] is True
    assert any("auto_approve is ON" in n for n in env.structured["notes"])
