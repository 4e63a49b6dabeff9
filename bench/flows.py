"""The tabular flow, driven as an assistant would drive it, with every tool call and byte counted.

Two scripts over the same tools:

- `skill` — what the batch-inference skills prescribe (since a15a6ec): the shortest honest flow, with
  nothing skipped that protects the person. The named model is looked up directly with
  show_model_functions, `plan_batch_job` is the input check (it spends nothing and reports the same fit
  and row count as describe_input) and gives the token the person's one yes submits with, and
  `wait_for_job` reports the verified output (`_SUCCESS`, rows, a preview), so no separate
  inspect/preview call is made;
- `earlier` — what the skills prescribed before that revision (list_models, versions, functions,
  describe_input, stages, pool, plan with code, submit, wait, inspect, preview), kept as the
  baseline the revision is measured against.

Bytes are those of the text content the assistant reads (what the demo counts).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from snowbatch import samples

MODEL = f"{samples.DATABASE}.{samples.SCHEMA}.{samples.CHURN_MODEL}"
TABLE = f"{samples.DATABASE}.{samples.SCHEMA}.{samples.CUSTOMERS_TABLE}"
FUNCTION = "PREDICT_PROBA"
TERMINAL = ("DONE", "FAILED", "CANCELLED", "INTERNAL_ERROR", "DELETED")


class FlowFailed(RuntimeError):
    pass


@dataclass
class CallRecord:
    tool: str
    bytes: int


@dataclass
class Counted:
    """An MCP client that counts calls and bytes of tool output, as the assistant's context sees them."""

    client: Any
    calls: list[CallRecord] = field(default_factory=list)

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await self.client.call_tool(name, args)
        text = "".join(getattr(c, "text", "") for c in result.content)
        self.calls.append(CallRecord(name, len(text.encode())))
        if result.is_error:
            raise FlowFailed(f"{name} failed: {text[:400]}")
        return result.structured_content or {}

    @property
    def n_calls(self) -> int:
        return len(self.calls)

    @property
    def n_bytes(self) -> int:
        return sum(c.bytes for c in self.calls)


@dataclass
class FlowResult:
    name: str
    calls: int
    bytes: int
    per_tool: list[tuple[str, int]]
    rows: int
    verified: bool
    seconds: float


def _run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{time.perf_counter_ns() % 100000:05d}"


async def _wait(c: Counted, job_id: str, *, timeout_seconds: int = 30) -> dict[str, Any]:
    while True:
        view = await c.call("wait_for_job", {"job_id": job_id, "timeout_seconds": timeout_seconds})
        if view["job"]["status"] in TERMINAL:
            return view


async def _submit(c: Counted, plan: dict[str, Any]) -> str:
    """The person said yes to the plan's summary: one call with the plan's token."""
    args = {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
    return str((await c.call("submit_batch_job", args))["result"]["job_id"])


async def _verify(c: Counted, job_id: str, view: dict[str, Any], *, preview_rows: int) -> int:
    """Rows verified complete: from wait_for_job when it reports the output, else inspect + preview."""
    if view["job"]["status"] != "DONE":
        raise FlowFailed(f"job ended {view['job']['status']}: {view['job'].get('message')}")
    output = view.get("output")
    if output is None:
        output = await c.call("inspect_output", {"job_id": job_id})
    if output.get("state") != "complete" or not output.get("success_marker"):
        raise FlowFailed(f"output is not complete: {output}")
    preview = view.get("preview")
    if not preview:
        preview = await c.call("preview_results", {"job_id": job_id, "limit": preview_rows})
    return int(output.get("rows") or preview.get("total_rows") or 0)


async def earlier_flow(c: Counted) -> int:
    """The calls the skills prescribed before a15a6ec, in order (the baseline)."""
    await c.call("get_environment", {})
    await c.call("list_models", {"like": samples.CHURN_MODEL})
    await c.call("list_model_versions", {"model": MODEL})
    await c.call("show_model_functions", {"model": MODEL})
    await c.call("describe_input", {"table": TABLE, "model": MODEL, "function": FUNCTION})
    stages = await c.call("list_stages", {})
    pool = (await c.call("list_compute_pools", {"model": MODEL, "function": FUNCTION}))["recommendation"]
    plan = await c.call(
        "plan_batch_job",
        {
            "model": MODEL,
            "function": FUNCTION,
            "input": {"kind": "table", "table": TABLE},
            "output_stage": f"@{stages['usable_for_output'][0]}/churn/{_run_id()}/",
            "compute_pool": pool["pool"],
            "include_code": True,
        },
    )
    if not plan["ok"]:
        raise FlowFailed(f"plan failed: {plan['checks']}")
    job_id = await _submit(c, plan)
    view = await _wait(c, job_id)
    # the skill's own steps 10 and 11, whatever wait_for_job says
    out = await c.call("inspect_output", {"job_id": job_id})
    preview = await c.call("preview_results", {"job_id": job_id, "limit": 5})
    if out["state"] != "complete" or view["job"]["status"] != "DONE":
        raise FlowFailed(f"not complete: {out}")
    return int(out.get("rows") or preview.get("total_rows") or 0)


async def skill_flow(c: Counted) -> int:
    """The calls the skills prescribe: the shortest flow that keeps every checkpoint (module docstring)."""
    await c.call("get_environment", {})
    await c.call("show_model_functions", {"model": MODEL})
    stages = await c.call("list_stages", {})
    pool = (await c.call("list_compute_pools", {"model": MODEL, "function": FUNCTION}))["recommendation"]
    plan = await c.call(
        "plan_batch_job",
        {
            "model": MODEL,
            "function": FUNCTION,
            "input": {"kind": "table", "table": TABLE},
            "output_stage": f"@{stages['usable_for_output'][0]}/churn/{_run_id()}/",
            "compute_pool": pool["pool"],
            "include_code": False,
        },
    )
    if not plan["ok"]:
        raise FlowFailed(f"plan failed: {plan['checks']}")
    job_id = await _submit(c, plan)
    view = await _wait(c, job_id)
    return await _verify(c, job_id, view, preview_rows=5)


FLOWS: dict[str, Callable[[Counted], Awaitable[int]]] = {"skill": skill_flow, "earlier": earlier_flow}


async def run_flow(client: Any, name: str) -> FlowResult:
    c = Counted(client)
    started = time.perf_counter()
    rows = await FLOWS[name](c)
    return FlowResult(
        name=name,
        calls=c.n_calls,
        bytes=c.n_bytes,
        per_tool=[(r.tool, r.bytes) for r in c.calls],
        rows=rows,
        verified=True,
        seconds=time.perf_counter() - started,
    )
