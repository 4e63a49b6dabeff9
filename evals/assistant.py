"""The scripted assistant: follows the skills' steps, in their order, through a recording MCP session.

Each method is one skill step and says which. It asks the person (Recorder.stop) exactly where the skill
has a STOP — conditional STOPs ("if you asked") only when the condition holds — and calls a gated tool
only the skill's way (Recorder.gated_call: confirmation_required → STOP for a yes → same call + token).
What it saw is collected in `observed` for grading.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from evals.flow_chain import ChainFlow
from evals.flow_incremental import IncrementalFlow
from evals.flow_media import MediaFlow
from evals.flow_warehouse import WarehouseFlow
from evals.scenario import Scenario
from evals.session import FlowError, Recorder

TERMINAL = {"DONE", "FAILED", "CANCELLED", "INTERNAL_ERROR", "DELETED"}
MAX_PLAN_ROUNDS = 3


class Ended(Exception):
    """The person ended the conversation at a STOP (or the flow reached an error with no way on)."""


def _split(name: str) -> tuple[str, str]:
    parts = name.split(".")
    return parts[0], parts[1]


class Assistant(WarehouseFlow, ChainFlow, MediaFlow, IncrementalFlow):
    def __init__(self, rec: Recorder, scenario: Scenario) -> None:
        self.rec = rec
        self.s = scenario
        self.facts = dict(scenario.facts)
        self.observed: dict[str, Any] = {"errors": [], "jobs": []}
        self.versions: dict[str, Any] = {}
        self.functions: dict[str, Any] = {}

    # --- helpers ------------------------------------------------------------------------------
    def error_seen(self, tool: str, text: str, *, check: str | None = None, fix: str = "") -> None:
        self.observed["errors"].append({"tool": tool, "check": check, "text": text, "fix": fix})

    def ask(self, name: str, shown: str = "") -> Any:
        answer = self.rec.stop(name, shown)
        if answer in ("stop", "end", None):
            self.observed["ended_at"] = name
            raise Ended(name)
        return answer

    @property
    def model(self) -> str:
        return str(self.facts["model"])

    # --- batch-inference (entry) --------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        with contextlib.suppress(Ended):  # the person ended the conversation at a STOP
            await self.entry()
        return self.observed

    async def entry(self) -> None:
        # Step 1 — Environment
        env = await self.rec.ok("get_environment")
        self.observed["environment"] = env.get("environment", {}).get("backend")
        # Step 2 — the person named a model: look it up first. show_model_functions without a version
        # confirms the model exists (batch-inference-jobs Step 1), lists its versions with the default,
        # and gives the default version's runnable_in, functions, input kinds and a suggested approach.
        while True:
            functions = await self.rec.call("show_model_functions", {"model": self.model})
            if not functions.is_error:
                break
            self.error_seen("show_model_functions", functions.text)
            # batch-inference-jobs Step 1: an unknown name is an error that lists the closest names —
            # show them and ask again; list_models only when the error names none.
            shown = functions.text
            if "Did you mean" not in shown:
                db, schema = _split(self.model)
                names = await self.rec.ok("list_models", {"database": db, "schema": schema})
                shown += "\nModels here: " + ", ".join(m["name"] for m in names.get("items", []))
            self.facts["model"] = self.ask("jobs.model", shown)
        self.functions = functions.structured or {}
        if len(self.version_names) > 1:
            # several versions: where each can run (list_model_versions), to compare them
            self.versions = await self.rec.ok("list_model_versions", {"model": self.model})
        approach = self.ask("entry.approach", f"Recommendation: {self.functions.get('approach')}")
        # Step 3 — hand over
        if approach == "warehouse":
            await self.warehouse()
        else:
            await self.jobs()

    @property
    def version_names(self) -> list[str]:
        """show_model_functions' versions, the default (the version it described) first."""
        default = str(self.functions.get("version", ""))
        names = [str(v) for v in self.functions.get("versions") or [default]]
        return sorted(names, key=lambda v: v != default)

    def runnable_versions(self, where: str) -> list[str]:
        """Versions runnable in WAREHOUSE or SNOWPARK_CONTAINER_SERVICES: list_model_versions' details
        when there are several versions, else the one version's runnable_in from show_model_functions.
        An empty runnable_in means no restriction (versions logged before the column existed)."""

        def runs(listed: list[str]) -> bool:
            return not listed or where in listed

        if self.versions:
            by_name = {str(v["version"]): v for v in self.versions.get("versions", [])}
            return [n for n in self.version_names if runs(by_name.get(n, {}).get("runnable_in", []))]
        return self.version_names if runs(self.functions.get("runnable_in", [])) else []

    async def functions_of(self, version: str | None) -> None:
        """A version other than the default: show_model_functions again with that version."""
        if version and version.upper() != str(self.functions.get("version", "")).upper():
            self.functions = await self.rec.ok(
                "show_model_functions", {"model": self.model, "version": version}
            )

    # --- batch-inference-jobs -----------------------------------------------------------------
    async def jobs(self) -> None:
        # Step 1 — the model: confirmed by show_model_functions in the entry (carried over)
        # Step 2 — version, from show_model_functions' versions; ask only when several
        runnable = self.runnable_versions("SNOWPARK_CONTAINER_SERVICES")
        if not runnable:
            raise FlowError("no version is runnable in SPCS (a warehouse-only version cannot be a job)")
        version = self.facts.get("version")
        if len(runnable) > 1 and not version:
            version = self.ask("jobs.version", ", ".join(runnable) + f" (default {self.version_names[0]})")
        await self.functions_of(version)
        # Step 3 — function (omit when there is one)
        function = self.facts.get("function")
        if self.functions.get("function_name_needed") and not function:
            function = self.ask("jobs.function", ", ".join(f["name"] for f in self.functions["functions"]))
        kind = self._input_kind(function)
        request: dict[str, Any] = {"model": self.model, "version": version, "function": function}
        # Step 4 — input
        if kind == "files":
            await self.files_input(request)
        elif kind == "chat":
            await self.chat_input(request)
        else:
            await self.tabular_input(request)
            self.new_rows_only(request)  # only the rows not scored yet, when the request says so
            await self.output_and_pool(request)
            request["scaling"] = self.facts.get("scaling")  # Step 7 — proposed, no STOP
            job_id = await self.plan_and_submit(request)
            if not job_id:
                return
            if self.facts.get("only_new"):
                await self.append_new(job_id, request)
            else:
                await self.finish(job_id)

    def _input_kind(self, function: str | None) -> str:
        fns = self.functions.get("functions", [])
        chosen = next(
            (f for f in fns if function and f["name"].upper() == function.upper()), fns[0] if fns else {}
        )
        return str(chosen.get("input_kind", "tabular"))

    async def tabular_input(self, request: dict[str, Any]) -> None:
        """Step 4 — the input. A table is not described here: plan_batch_job (Step 8) checks it against
        the signature and counts its rows (describe_input is optional; the person did not ask for it)."""
        source = self.ask(
            "jobs.input", "What should be scored: a table, inline rows, files, or chat messages?"
        )
        request["input"] = source

    async def output_and_pool(self, request: dict[str, Any], pool_stop: str = "jobs.compute_pool") -> None:
        # Step 5 — output stage
        db, schema = _split(self.model)
        stages = await self.rec.ok("list_stages", {"database": db, "schema": schema})
        usable = {s.upper() for s in stages.get("usable_for_output", [])}
        shown = f"Usable SSE stages: {', '.join(sorted(usable)) or 'none'}"
        while True:
            answer = self.ask("jobs.output_stage", shown)
            if isinstance(answer, dict) and "create" in answer:
                await self.rec.gated_call("create_stage", {"stage": answer["create"]})
                request["output_stage"] = f"@{answer['create']}/{answer.get('folder', '')}"
                break
            stage = str(answer).lstrip("@").split("/")[0].upper()
            if stage in usable:
                request["output_stage"] = answer
                break
            info: dict[str, Any] = next(
                (s for s in stages.get("stages", []) if s.get("name", "").upper() == stage), {}
            )
            text = (
                f"{stage} cannot take job output (kind {info.get('kind')}, encryption "
                f"{info.get('encryption')}); {stages.get('note', '')}"
            )
            self.error_seen(
                "list_stages",
                text,
                check="output_stage",
                fix="pick an SNOWFLAKE_SSE stage or create one with create_stage",
            )
            shown = text + " Pick an SSE stage, or shall I create one (create_stage)?"
        # Step 6 — compute pool: one list_compute_pools with the model gives the pools and the pick
        pools = await self.rec.ok(
            "list_compute_pools",
            {"model": self.model, "version": request["version"], "function": request["function"]},
        )
        advice = pools["recommendation"]
        shown = f"Recommended: {advice.get('pool')} — {advice.get('reason')} {advice.get('action') or ''}"
        answer = self.ask(pool_stop, shown.strip())
        pool_name = answer["pool"] if isinstance(answer, dict) else answer
        if isinstance(answer, dict):
            request["engine"] = answer.get("engine")
            request["engine_args"] = answer.get("engine_args")
        request["compute_pool"] = pool_name
        if str(pool_name).upper() == str(advice.get("pool") or "").upper():
            suspended = advice.get("pool_state") == "SUSPENDED" and "resume_compute_pool" in str(
                advice.get("action") or ""
            )
        else:  # the person picked another pool: its state is in the same answer
            pool = next(
                (p for p in pools.get("pools", []) if p["name"].upper() == str(pool_name).upper()), None
            )
            suspended = bool(pool and pool.get("state") == "SUSPENDED" and not pool.get("auto_resume"))
        offer = f"{pool_name} is SUSPENDED without auto-resume. Resume it?"
        if suspended and self.ask("jobs.resume_pool", offer) == "yes":
            await self.rec.gated_call("resume_compute_pool", {"name": pool_name})

    async def plan_and_submit(self, request: dict[str, Any]) -> str | None:
        """Step 8 — plan, the mandatory checkpoint, submit."""
        for _ in range(MAX_PLAN_ROUNDS):
            # the plan checks input fit and row count, stage and pool; no code unless the person wants it
            plan = await self.rec.ok("plan_batch_job", {**request, "include_code": False})
            if plan.get("ok"):
                break
            failing = [c for c in plan.get("checks", []) if c.get("status") == "fail"]
            for c in failing:
                self.error_seen(
                    "plan_batch_job", c.get("message", ""), check=c.get("name"), fix=c.get("fix", "")
                )
            if self.nothing_new(request, failing):
                return None
            change = self.ask(
                "jobs.plan_fix", "; ".join(f"{c['message']} Fix: {c.get('fix')}" for c in failing)
            )
            if isinstance(change, dict) and change.get("resume_pool"):
                await self.rec.gated_call("resume_compute_pool", {"name": request["compute_pool"]})
                change = {k: v for k, v in change.items() if k != "resume_pool"}
            if isinstance(change, dict):
                request.update(change)
        else:
            raise FlowError("the plan still fails after the person's fixes")
        self.observed["plan_summary"] = plan.get("summary")
        # Step 8 — the one yes: the plan's summary is shown once; its token submits, nothing more is asked
        if not self.rec.approve_shown("jobs.plan_approval", "submit_batch_job", str(plan.get("summary"))):
            self.observed["ended_at"] = "jobs.plan_approval"
            return None
        submitted = await self.rec.ok(
            "submit_batch_job", {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
        )
        if "schedule" in (submitted.get("result") or {}):  # a scheduled plan: a task, no job now
            self.observed["schedule"] = submitted["result"]["schedule"]
            return None
        job_id = str((submitted.get("result") or {})["job_id"])
        self.observed["jobs"].append(job_id)
        return job_id

    async def wait(self, job_id: str, *, deadline_s: float = 120) -> dict[str, Any]:
        """Step 9 — bounded waits until a terminal status (the person may ask to cancel meanwhile). The
        last view: on DONE a batch job's view also has `output` (verified) and `preview`."""
        cancel_after = self.facts.get("interrupt_cancel_after_rows")  # the person asks to cancel mid-run
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            timeout = 2 if cancel_after is not None else 20
            view = await self.rec.ok("wait_for_job", {"job_id": job_id, "timeout_seconds": timeout})
            job = view["job"]
            done_rows = (job.get("progress") or {}).get("rows_done") or 0
            if job["status"] in TERMINAL:
                self.observed["job"] = job
                return view
            if cancel_after is not None and done_rows >= int(cancel_after):
                cancel_after = None
                # Managing jobs: name the job and what cancelling does, STOP for which job and action
                shown = (
                    f"Job {job_id} is {job['status']} ({done_rows} rows done). Cancelling stops it and "
                    "leaves a partial output."
                )
                if self.ask("jobs.manage", shown) == "cancel":
                    await self.rec.gated_call("cancel_job", {"job_id": job_id})
        raise FlowError(f"job {job_id} did not finish in {deadline_s:.0f}s")

    async def verified(self, job_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Step 9 — wait and verify: the job, and its preview when the output is complete (else None).

        DONE: wait_for_job has checked the output; only output.state complete (_SUCCESS) counts.
        FAILED / INTERNAL_ERROR: get_job_logs. Output partial or missing (also CANCELLED): say so,
        inspect_output lists the files, nothing is previewed or saved as if complete."""
        view = await self.wait(job_id)
        job = view["job"]
        if job["status"] in ("FAILED", "INTERNAL_ERROR"):
            logs = await self.rec.ok("get_job_logs", {"job_id": job_id, "tail": 20})
            self.error_seen(
                "wait_for_job", f"{job['status']}: {job.get('message')}", fix=str(logs.get("lines"))[:300]
            )
        output = view.get("output") or {}
        if output.get("state") != "complete":
            self.observed["output"] = await self.rec.ok("inspect_output", {"job_id": job_id})
            self.observed["ended_at"] = "partial output"
            return job, None
        self.observed["output"] = output
        return job, dict(view.get("preview") or {})

    async def finish(self, job_id: str, *, results_stop: str = "jobs.results_next") -> None:
        """Steps 9–10: wait and verify, report, then the person's choice of next steps."""
        job, preview = await self.verified(job_id)
        if preview is None:
            return  # never preview or save a partial output as if complete
        output = self.observed["output"]
        shown = (
            f"{job['status']}: {output.get('rows')} rows in {output.get('parts')} file(s) at "
            f"{output.get('location')}. Preview, save, clean up?"
        )
        while True:
            choice = self.ask(results_stop, shown)
            if choice == "done":
                return
            if choice == "preview":
                # the rows wait_for_job returned; preview_results only when the person wants more rows
                self.observed["preview"] = preview
            elif isinstance(choice, dict) and "more_rows" in choice:
                self.observed["preview"] = await self.rec.ok(
                    "preview_results", {"job_id": job_id, "limit": int(choice["more_rows"])}
                )
            elif isinstance(choice, dict) and "save" in choice:
                saved = await self.rec.gated_call(
                    "save_results_to_table", {"table": choice["save"], "job_id": job_id}
                )
                self.observed["table"] = {
                    "name": choice["save"],
                    "rows": (saved.get("result") or {}).get("rows"),
                }
            elif choice == "delete":
                await self.rec.gated_call("delete_job", {"job_id": job_id})
            elif isinstance(choice, dict) and "chain" in choice:
                await self.chain(job_id, preview, choice["chain"])
            shown = "Anything else?"
