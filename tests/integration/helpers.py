"""Helpers for driving the server as an assistant would."""

import json
import time
from typing import Any

from mcp import Client

TABLE_PLAN = {
    "model": "ML.PUBLIC.CHURN_CLASSIFIER",
    "function": "PREDICT_PROBA",
    "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"},
    "output_stage": "@ML.PUBLIC.BATCH_OUT/test/",
    "compute_pool": "CPU_POOL",
    "include_code": False,
}


async def call(client: Client, tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(tool, args or {})
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert not result.is_error, f"{tool} failed: {text}"
    assert result.structured_content is not None
    assert json.loads(text) is not None  # the text form is valid (compact) JSON too
    return result.structured_content


async def call_error(client: Client, tool: str, args: dict[str, Any]) -> str:
    """Call a tool that must fail; return the error text the model sees."""
    result = await client.call_tool(tool, args)
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error, f"{tool} unexpectedly succeeded: {text}"
    return text


async def approve_and_submit(client: Client, plan: dict[str, Any]) -> str:
    """The person said yes to the plan's summary: submit with the token the plan gave (one yes)."""
    assert plan["ok"] and plan["confirmation_token"], plan
    started = await call(
        client,
        "submit_batch_job",
        {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]},
    )
    assert started["status"] == "started", started
    return str(started["result"]["job_id"])


async def wait_done(client: Client, job_id: str, deadline_s: float = 90) -> dict[str, Any]:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        view = await call(client, "wait_for_job", {"job_id": job_id, "timeout_seconds": 20})
        if view["job"]["status"] in ("DONE", "FAILED", "CANCELLED", "INTERNAL_ERROR"):
            return dict(view["job"])
    raise AssertionError(f"job {job_id} did not finish in {deadline_s}s")


def hints(annotations: Any) -> dict[str, bool]:
    """A tool's hints as MCP defines them when left out (readOnly false, destructive true, idempotent
    false, openWorld true)."""
    a = annotations
    return {
        "read_only": bool(a and a.read_only_hint),
        "destructive": True if a is None or a.destructive_hint is None else a.destructive_hint,
        "idempotent": bool(a and a.idempotent_hint),
        "open_world": True if a is None or a.open_world_hint is None else a.open_world_hint,
    }
