"""The whole product flow against one account, step by step: the live suite's scenario and
`snowbatch doctor --smoke`.

It drives the MCP tools in-process, as an assistant would: discovery, a stage, a plan, submit, wait,
output, preview, save, delete; a second job cancelled; a warehouse preview and write; optionally a files
job. Approvals are given by the caller up front (the person said yes to the whole smoke run), so every
`confirmation_required` answer is followed by the same call with its token, and a plan's token
submits it.

The flow never creates a compute pool (that is the account owner's decision and cost): the target names
an existing one. Everything else it makes lives in the target's schema.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from snowbatch.core.records import SUBMITTING


class SmokeFailed(RuntimeError):
    pass


@dataclass
class SmokeTarget:
    """Where the flow runs: a tabular model, its input table, an output stage (created if missing),
    an existing compute pool; optionally a BYTES model and files on an SSE stage for a files job."""

    model: str
    function: str | None
    table: str
    stage: str
    pool: str
    files_model: str | None = None
    files_location: str | None = None
    warehouse_table: str | None = None
    save_table: str | None = None
    run_id: str = field(default_factory=lambda: time.strftime("RUN_%Y%m%d_%H%M%S"))


@dataclass
class Step:
    name: str
    ok: bool
    detail: str


@dataclass
class SmokeReport:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


Say = Callable[[Step], None]


class Flow:
    def __init__(self, client: Any, target: SmokeTarget, say: Say, wait_seconds: float) -> None:
        self.client = client
        self.t = target
        self.say = say
        self.wait_seconds = wait_seconds
        self.report = SmokeReport()

    def step(self, name: str, ok: bool, detail: str) -> None:
        step = Step(name, ok, detail)
        self.report.steps.append(step)
        self.say(step)
        if not ok:
            raise SmokeFailed(f"{name}: {detail}")

    async def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await self.client.call_tool(tool, args)
        text = "".join(getattr(c, "text", "") for c in result.content)
        if result.is_error:
            raise SmokeFailed(f"{tool} failed: {text}")
        return dict(result.structured_content or {})

    async def approved(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        """A gated call, approved by the person who started the run."""
        first = await self.call(tool, args)
        if first.get("status") != "confirmation_required":
            return first
        return await self.call(tool, {**args, "confirmation_token": first["confirmation_token"]})

    async def wait(self, job_id: str, until: tuple[str, ...] = ("DONE",)) -> dict[str, Any]:
        deadline = time.monotonic() + self.wait_seconds
        view: dict[str, Any] = {}
        while time.monotonic() < deadline:
            view = await self.call("wait_for_job", {"job_id": job_id, "timeout_seconds": 30})
            status = view["job"]["status"]
            if status in until:
                return view
            if status in ("FAILED", "CANCELLED", "INTERNAL_ERROR", "DELETED", "SUSPENDED"):
                raise SmokeFailed(f"job {job_id} ended {status}: {view['job'].get('message')}")
        raise SmokeFailed(
            f"job {job_id} still {view.get('job', {}).get('status')} after {self.wait_seconds:.0f}s"
        )

    # --- the steps ----------------------------------------------------------------------------
    async def discovery(self) -> None:
        env = (await self.call("get_environment", {}))["environment"]
        self.step("environment", True, f"{env['backend']} backend, role {env.get('role')}")
        fns = await self.call("show_model_functions", {"model": self.t.model})
        names = [f["name"] for f in fns["functions"]]
        self.step("model", bool(names), f"{fns['model']} {fns['version']}: {', '.join(names)}")
        pools = [p["name"] for p in (await self.call("list_compute_pools", {}))["pools"]]
        self.step("compute pool", self.t.pool in pools, f"{self.t.pool} among {', '.join(pools) or 'none'}")

    async def stage(self) -> None:
        stage = self.t.stage.lstrip("@").split("/", 1)[0]
        made = await self.approved("create_stage", {"stage": stage})
        self.step("output stage", True, made.get("summary", stage))

    def _plan_args(self, run: str) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": self.t.model,
            "input": {"kind": "table", "table": self.t.table},
            "output_stage": f"{self.t.stage.rstrip('/')}/{self.t.run_id}_{run}/",
            "compute_pool": self.t.pool,
            "include_code": False,
        }
        if self.t.function:
            args["function"] = self.t.function
        return args

    async def submit(self, plan_args: dict[str, Any]) -> str:
        plan = await self.call("plan_batch_job", plan_args)
        failing = [c["message"] for c in plan["checks"] if c["status"] == "fail"]
        self.step("plan", plan["ok"], "; ".join(failing) or f"{len(plan['checks'])} checks pass or warn")
        started = time.monotonic()
        token = plan["confirmation_token"]  # the plan is the summary the person approved
        submitted = await self.call(
            "submit_batch_job", {"plan_id": plan["plan_id"], "confirmation_token": token}
        )
        job_id = str((submitted.get("result") or {}).get("job_id"))
        self.step("submit", bool(job_id), f"{job_id}, answered in {time.monotonic() - started:.1f}s")
        return job_id

    async def batch_job(self) -> str:
        job_id = await self.submit(self._plan_args("tabular"))
        view = await self.wait(job_id)
        out = view.get("output") or {}
        self.step(
            "output",
            out.get("state") == "complete",
            f"{out.get('state')}, _SUCCESS {out.get('success_marker')}",
        )
        preview = view.get("preview") or {}
        self.step("preview", bool(preview.get("rows")), f"{len(preview.get('rows') or [])} row(s) shown")
        if self.t.save_table:
            saved = await self.approved(
                "save_results_to_table",
                {"job_id": job_id, "table": self.t.save_table, "mode": "error"},
            )
            self.step("save to table", True, saved.get("summary", ""))
        deleted = await self.approved("delete_job", {"job_id": job_id})
        self.step("delete job", True, deleted.get("summary", ""))
        return job_id

    async def cancelled_job(self) -> None:
        job_id = await self.submit(self._plan_args("cancel"))
        deadline = time.monotonic() + self.wait_seconds
        job = (await self.call("wait_for_job", {"job_id": job_id, "timeout_seconds": 0}))["job"]
        while str(job.get("message") or "").startswith(SUBMITTING) and time.monotonic() < deadline:
            await anyio.sleep(2)  # no job service to cancel until the submission is through
            job = (await self.call("wait_for_job", {"job_id": job_id, "timeout_seconds": 0}))["job"]
        status = job["status"]
        if status == "DONE":
            self.step("cancel", True, "the job finished before it could be cancelled")
            return
        done = await self.approved("cancel_job", {"job_id": job_id})
        self.step("cancel", True, done.get("summary", ""))

    async def warehouse(self) -> None:
        args: dict[str, Any] = {"model": self.t.model, "table": self.t.table, "preview_limit": 3}
        if self.t.function:
            args["function"] = self.t.function
        preview = await self.call("preview_in_warehouse", args)
        rows = (preview.get("result") or {}).get("rows") or []
        self.step("warehouse preview", bool(rows), f"{len(rows)} row(s)")
        if self.t.warehouse_table:
            del args["preview_limit"]
            write = await self.approved(
                "run_in_warehouse", {**args, "output_table": self.t.warehouse_table, "mode": "error"}
            )
            job_id = str((write.get("result") or {}).get("job_id"))
            await self.wait(job_id)
            self.step("warehouse write", True, f"{self.t.warehouse_table} written by {job_id}")

    async def files_job(self) -> None:
        if not (self.t.files_model and self.t.files_location):
            return
        listing = await self.call("list_stage_files", {"stage_location": self.t.files_location, "limit": 5})
        self.step("files", listing["count"] > 0, f"{listing['count']} file(s) at {self.t.files_location}")
        job_id = await self.submit(
            {
                "model": self.t.files_model,
                "input": {"kind": "files", "stage_location": self.t.files_location},
                "output_stage": f"{self.t.stage.rstrip('/')}/{self.t.run_id}_files/",
                "compute_pool": self.t.pool,
                "include_code": False,
            }
        )
        view = await self.wait(job_id)
        rows = (view.get("preview") or {}).get("rows") or []
        self.step("files job", bool(rows), f"{len(rows)} file(s) scored")


async def run_flow(
    client: Any,
    target: SmokeTarget,
    *,
    say: Say = lambda step: None,
    wait_seconds: float = 1800.0,
    cancel: bool = True,
    warehouse: bool = True,
) -> SmokeReport:
    """Run every step; the first failing step ends the run (its Step says why)."""
    flow = Flow(client, target, say, wait_seconds)
    try:
        await flow.discovery()
        await flow.stage()
        await flow.batch_job()
        if cancel:
            await flow.cancelled_job()
        if warehouse:
            await flow.warehouse()
        await flow.files_job()
    except SmokeFailed as exc:
        if flow.report.ok:  # a tool failed outside a step: record it as the failing step
            flow.report.steps.append(Step("error", False, str(exc)))
            say(flow.report.steps[-1])
    return flow.report
