"""The scripted assistant's files and chat steps (batch-inference-files and batch-inference-chat; a mixin
of evals.assistant.Assistant): where the files are, their encodings or the messages, and a trial before
the full run when the input is large or the person asked for one."""

from __future__ import annotations

from typing import Any

from evals.flow_base import FlowBase
from evals.session import FlowError

HANDFUL = 10  # files a job runs at once, without a trial first (batch-inference-files Step 6)


class MediaFlow(FlowBase):
    # --- batch-inference-files (non-template) ---------------------------------------------------
    async def files_input(self, request: dict[str, Any]) -> None:
        # Step 1 — where the files are
        where = self.ask("files.location", "Which stage folder (and pattern)?")
        listing = await self.rec.ok(
            "list_stage_files", {"stage_location": where["stage_location"], "pattern": where.get("pattern")}
        )
        self.observed["files_listed"] = listing.get("count")
        # Step 2 — encoding from the signature (describe_input suggests it); ask only for STRING inputs
        fit = await self.rec.ok(
            "describe_input",
            {
                "stage_location": where["stage_location"],
                "pattern": where.get("pattern"),
                "model": self.model,
                "version": request["version"],
                "function": request["function"],
            },
        )
        handling = fit.get("suggested_column_handling") or {}
        if not handling:
            raise FlowError("the function has no file input")
        column, encoding = next(iter(handling.items()))
        if encoding != "RAW_BYTES":
            encoding = self.ask("files.encoding", f"{column}: {encoding}?")
        # Step 3 — signature params
        params = self.ask(
            "files.params",
            "Params and defaults: "
            + "; ".join(", ".join(f.get("params") or []) for f in self.functions.get("functions", [])),
        )
        files = {
            "kind": "files",
            "stage_location": where["stage_location"],
            "pattern": where.get("pattern"),
            "column": column,
            "encoding": encoding,
        }
        request["params"] = params if isinstance(params, dict) and params else None
        await self.trial_then_full(request, files, full_stop="files.full_run")

    async def trial_then_full(
        self,
        request: dict[str, Any],
        source: dict[str, Any],
        *,
        full_stop: str,
        pool_stop: str = "jobs.compute_pool",
        results_stop: str = "jobs.results_next",
    ) -> None:
        """Try a few first (files Step 5 / chat Step 5) when the input is large next to a trial or the
        person asked for one, then the full run into a fresh folder; a handful of files runs at once."""
        await self.output_and_pool(request, pool_stop=pool_stop)
        base = str(request["output_stage"])
        base = base if base.endswith("/") else base + "/"
        listed = self.observed.get("files_listed")
        if not self.facts.get("trial") and listed is not None and listed <= HANDFUL:
            request["input"] = source
            job_id = await self.plan_and_submit(request)
            if job_id:
                await self.finish(job_id, results_stop=results_stop)
            return
        request["input"] = {**source, "limit": 3}
        request["output_stage"] = base + "trial/"
        job_id = await self.plan_and_submit(request)
        if not job_id:
            return
        job, trial = await self.verified(job_id)  # the trial's output verified and previewed by the wait
        if trial is None:
            return
        self.observed["trial_rows"] = len(trial.get("rows", []))
        if (
            self.ask(full_stop, f"Trial {job['status']}: {len(trial.get('rows', []))} rows. Run all files?")
            != "yes"
        ):
            return
        request["input"] = source
        request["output_stage"] = base + "full/"
        job_id = await self.plan_and_submit(request)
        if job_id:
            await self.finish(job_id, results_stop=results_stop)

    # --- batch-inference-chat (template) --------------------------------------------------------
    async def chat_input(self, request: dict[str, Any]) -> None:
        # Step 1 — prompt and files
        what = self.ask("chat.prompt", "What should the model be asked, about which files?")
        if what.get("stage_location"):
            listing = await self.rec.ok(
                "list_stage_files", {"stage_location": what["stage_location"], "pattern": what.get("pattern")}
            )
            self.observed["files_listed"] = listing.get("count")
        # Step 2 — the messages: the server builds them from a chat input
        source = {"kind": "chat", **what}
        # Step 3 — generation settings: params or columns, from the signature
        fn: dict[str, Any] = next(iter(self.functions.get("functions", [])), {})
        where = "params" if fn.get("params") else "columns"
        settings = self.ask(
            "chat.settings", f"Generation settings go in {where}: {fn.get('params') or fn.get('inputs')}"
        )
        request["params"] = settings if where == "params" and isinstance(settings, dict) else None
        # Step 4 — engine and GPU pool (the pool is confirmed at this STOP); Step 5 — trial, full run
        await self.trial_then_full(
            request,
            source,
            full_stop="chat.full_run",
            pool_stop="chat.engine_pool",
            results_stop="chat.results_next",
        )
