"""The scripted assistant's chaining step (a mixin of evals.assistant.Assistant): at the results of
one job the person asks to feed its output to another model (batch-inference-jobs Step 6, then Steps
1–2 with `job_id` and `columns`, and Steps 3–5 for the new job)."""

from __future__ import annotations

from typing import Any

from evals.flow_base import FlowBase


class ChainFlow(FlowBase):
    async def chain(self, job_id: str, previous: dict[str, Any], wanted: dict[str, Any]) -> None:
        """The next model reads `job_id`'s output: its function's inputs are shown, the person maps them
        to the output's columns (names as the tools show them), and the new job has its own plan and yes."""
        shown = await self.rec.ok("show_model_functions", {"model": wanted["model"]})
        function = next(
            (f for f in shown.get("functions", []) if f["name"] == wanted.get("function")),
            (shown.get("functions") or [{}])[0],
        )
        columns = self.ask(
            "jobs.chain_columns",
            f"{function.get('name')} takes {', '.join(function.get('inputs', []))}; the output has "
            f"{', '.join(str(c) for c in previous.get('columns', []))}. Which column feeds which input?",
        )
        request = {
            "model": wanted["model"],
            "function": function.get("name"),
            "input": {"kind": "table", "job_id": job_id, "columns": columns},
            "output_stage": wanted["output_stage"],
            "compute_pool": wanted["compute_pool"],
        }
        next_id = await self.plan_and_submit(request)
        if next_id is None:
            return
        _, preview = await self.verified(next_id)
        self.observed["preview"] = preview
