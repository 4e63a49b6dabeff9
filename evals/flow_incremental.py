"""The scripted assistant's incremental scoring (a mixin of evals.assistant.Assistant): new rows every
night. batch-inference-jobs Step 2: `only_new: {"key": …, "against": <results table>}` makes the plan
score and count only the keys not yet in the results table; after the job, its verified output is
appended to that table (`save_results_to_table`, mode append: gated, one yes). With `schedule` (and a
`job_name`) the one yes to the plan creates a task that does both on the cron instead of a job now."""

from __future__ import annotations

from typing import Any

from evals.flow_base import FlowBase


def _only_new(request: dict[str, Any]) -> dict[str, str] | None:
    source = request.get("input")
    return source.get("only_new") if isinstance(source, dict) else None


class IncrementalFlow(FlowBase):
    def new_rows_only(self, request: dict[str, Any]) -> None:
        """Step 2 — the request asked for the rows not scored yet, with the results kept in a table (the
        facts settle the key and that table): the table input gets `only_new`; the plan counts them."""
        wanted = self.facts.get("only_new")
        if wanted and isinstance(request.get("input"), dict) and request["input"].get("kind") == "table":
            request["input"] = {**request["input"], "only_new": dict(wanted)}
            if self.facts.get("schedule"):  # "every night": the same request on a cron, named (Step 2)
                request["schedule"] = self.facts["schedule"]
                request["job_name"] = self.facts["job_name"]

    def nothing_new(self, request: dict[str, Any], failing: list[dict[str, Any]]) -> bool:
        """Step 4 — an only_new plan whose one failing check is row_count ("No new rows: …"): there is
        nothing to score until new rows arrive. Said as it is; no fix to ask for, nothing submitted."""
        if not _only_new(request) or not failing:
            return False
        if any(c.get("name") != "row_count" for c in failing):
            return False
        self.observed["ended_at"] = "no new rows"
        return True

    async def append_new(self, job_id: str, request: dict[str, Any]) -> None:
        """Steps 5–6 for new rows: wait and verify (only a complete output, _SUCCESS), show the preview,
        then append the output to the results table the person keeps — their request already chose it;
        save_results_to_table is gated, so its summary gets the one yes."""
        only_new = _only_new(request)
        assert only_new is not None
        _, preview = await self.verified(job_id)
        if preview is None:
            return  # a partial output is never appended: the next night would skip its missing keys
        self.observed["preview"] = preview
        table = only_new["against"]
        saved = await self.rec.gated_call(
            "save_results_to_table", {"table": table, "job_id": job_id, "mode": "append"}
        )
        self.observed["table"] = {"name": table, "rows": (saved.get("result") or {}).get("rows")}
