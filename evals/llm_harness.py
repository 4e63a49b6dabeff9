"""Optional: a real model drives the same scenarios through the server, and its transcript is graded with
the same checks as the scripted assistant's.

    python -m evals.llm_harness [--only ID ...]

Needs ANTHROPIC_API_KEY (and the `anthropic` package) or OPENAI_API_KEY (and `openai`); the model is
SNOWBATCH_EVAL_MODEL (defaults below). With no key it prints "skipped: no API key", writes a report with
status "skipped" and exits 0 — a skip is never a pass. A key without its SDK is an error (exit 1).

The person is simulated: at the model's first stop they give the scenario's answers as a short brief;
after that they answer "yes" only when the model has just shown a confirmation summary or a plan that
the scenario approves, and otherwise ask it to go on. Checkpoints are the model's stops (end of turn);
since a model does not name them, they are graded by count, not by name.

UNVERIFIED: no API key was available where this was written; the live path has never run. The grading
and the person simulator are unit-tested on recorded transcripts (tests/unit/test_evals_harness.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.grading import Verdict, grade_outcome, grade_transcript
from evals.scenario import Scenario, load_scenarios
from evals.transcript import Event, Transcript

DEFAULT_MODELS = {"anthropic": "claude-sonnet-4-5", "openai": "gpt-4o"}
MAX_TOOL_CALLS = 60
MAX_PERSON_TURNS = 14
SKILLS_DIR = Path(__file__).resolve().parents[1] / "skills"


def provider() -> tuple[str | None, str]:
    """(provider, why): which SDK to use, or None with the reason."""
    if os.environ.get("ANTHROPIC_API_KEY"):
        return "anthropic", "ANTHROPIC_API_KEY set"
    if os.environ.get("OPENAI_API_KEY"):
        return "openai", "OPENAI_API_KEY set"
    return None, "no API key (set ANTHROPIC_API_KEY or OPENAI_API_KEY)"


# --- the simulated person -----------------------------------------------------------------------------
@dataclass
class Person:
    """Answers like the scenario's person, without knowing which STOP the model is at."""

    scenario: Scenario
    turns: int = 0
    briefed: bool = False
    approvals_left: int = field(init=False)

    def __post_init__(self) -> None:
        self.approvals_left = sum(
            1 for c in self.scenario.expect.checkpoints if c.startswith("confirm:")
        ) + sum(1 for c in self.scenario.expect.checkpoints if c.endswith("plan_approval"))

    def brief(self) -> str:
        facts = {k: v for k, v in self.scenario.person.items() if not k.startswith("confirm:")}
        lines = [f"- {k}: {json.dumps(v)}" for k, v in facts.items()]
        return (
            "Here is what I want, for any question you have (answer keys are the step names):\n"
            + "\n".join(lines)
        )

    def reply(self, assistant_text: str, pending_confirmation: str | None) -> tuple[str, bool]:
        """(what the person says, whether it is a yes to a pending confirmation)."""
        self.turns += 1
        if not self.briefed:
            self.briefed = True
            if pending_confirmation is None:
                return self.brief(), False
        # a question from the server (elicitation) has its own answer; a question in the chat about
        # approving or submitting is the plan's summary, answered as the scenario's person answers it
        text = assistant_text.lower()
        asked_in_chat = not pending_confirmation and ("approv" in text or "submit" in text)
        key = (
            "jobs.plan_approval"
            if asked_in_chat or pending_confirmation == "submit_batch_job"
            else f"confirm:{pending_confirmation}"
        )
        wants_yes = (asked_in_chat or bool(pending_confirmation)) and self.scenario.person.get(key) == "yes"
        if wants_yes and self.approvals_left > 0:
            self.approvals_left -= 1
            return "Yes, approved.", pending_confirmation is not None
        return "Please go on with what you recommend; ask me if you need a decision.", False


# --- the model loop -------------------------------------------------------------------------------
def system_prompt(s: Scenario, instructions: str) -> str:
    parts = [instructions, "You are helping a person beside you. Follow these skills exactly."]
    for name in s.skills:
        path = SKILLS_DIR / name / "SKILL.md"
        if path.is_file():
            parts.append(f"<skill name='{name}'>\n{path.read_text(encoding='utf-8')}\n</skill>")
    return "\n\n".join(parts)


async def drive(s: Scenario, home: Path, kind: str, model: str) -> Transcript:  # pragma: no cover - live
    """One scenario with a real model. UNVERIFIED (never run without a key)."""
    import anyio

    from evals.session import Recorder, list_tools, stdio_client

    t = Transcript(s.id)
    person = Person(s)
    async with stdio_client(home) as client:
        tools = await list_tools(client)
        t.gated = sorted(n for n, ti in tools.items() if ti.gated)
        init = getattr(client, "server_info", None)
        instructions = str(getattr(init, "instructions", "") or "")
        rec = Recorder(client, t, {}, tools)
        chat = _Chat(kind, model, system_prompt(s, instructions), tools)
        chat.user(s.request)
        calls = 0
        pending: str | None = None
        while calls < MAX_TOOL_CALLS and person.turns < MAX_PERSON_TURNS:
            text, uses = await anyio.to_thread.run_sync(chat.step)
            if not uses:
                t.events.append(Event("checkpoint", f"stop:{person.turns + 1}", {"shown": text[:2000]}))
                said, yes = person.reply(text, pending)
                if pending is not None:
                    t.events.append(Event("answer", f"confirm:{pending}", {"yes": yes, "text": said}))
                pending = None
                if person.turns >= MAX_PERSON_TURNS or _finished(t):
                    break
                chat.user(said)
                continue
            results = []
            for use_id, name, args in uses:
                calls += 1
                c = await rec.call(name, args)
                if c.status == "confirmation_required":
                    pending = name
                results.append((use_id, c.text, c.is_error))
            chat.tool_results(results)
    return t


def _finished(t: Transcript) -> bool:
    last = t.calls[-1] if t.calls else None
    if last and last.tool == "wait_for_job":  # a DONE batch job: the wait verified and previewed it
        return bool((last.structured or {}).get("output"))
    return bool(last and last.tool in ("preview_results", "save_results_to_table", "inspect_output"))


class _Chat:  # pragma: no cover - live
    """The provider's message loop, reduced to: user text, one step (text, tool uses), tool results."""

    def __init__(self, kind: str, model: str, system: str, tools: dict[str, Any]) -> None:
        self.kind, self.model, self.system = kind, model, system
        self.messages: list[dict[str, Any]] = []
        if kind == "anthropic":
            import anthropic

            self.client: Any = anthropic.Anthropic()
            self.tools = [
                {"name": n, "description": ti.description, "input_schema": ti.input_schema}
                for n, ti in tools.items()
            ]
        else:
            import openai

            self.client = openai.OpenAI()
            self.tools = [
                {
                    "type": "function",
                    "function": {"name": n, "description": ti.description, "parameters": ti.input_schema},
                }
                for n, ti in tools.items()
            ]
            self.messages.append({"role": "system", "content": system})

    def user(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})

    def step(self) -> tuple[str, list[tuple[str, str, dict[str, Any]]]]:
        if self.kind == "anthropic":
            r = self.client.messages.create(
                model=self.model,
                max_tokens=2048,
                system=self.system,
                tools=self.tools,
                messages=self.messages,
            )
            self.messages.append({"role": "assistant", "content": [b.model_dump() for b in r.content]})
            text = "".join(b.text for b in r.content if b.type == "text")
            return text, [(b.id, b.name, dict(b.input)) for b in r.content if b.type == "tool_use"]
        r = self.client.chat.completions.create(model=self.model, messages=self.messages, tools=self.tools)
        msg = r.choices[0].message
        self.messages.append(msg.model_dump(exclude_none=True))
        uses = [
            (tc.id, tc.function.name, json.loads(tc.function.arguments or "{}"))
            for tc in msg.tool_calls or []
        ]
        return msg.content or "", uses

    def tool_results(self, results: list[tuple[str, str, bool]]) -> None:
        if self.kind == "anthropic":
            self.messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": i, "content": text, "is_error": err}
                        for i, text, err in results
                    ],
                }
            )
        else:
            for i, text, _err in results:
                self.messages.append({"role": "tool", "tool_call_id": i, "content": text})


# --- grading ------------------------------------------------------------------------------------
def grade_llm(s: Scenario, t: Transcript, home: Path | None) -> list[Verdict]:
    """The scripted checks, with checkpoints graded by count: the model must have stopped at least once
    per approval the scenario needs (plus once to ask its first question)."""
    verdicts = [v for v in grade_transcript(s, t, exact_checkpoints=True) if v.name != "checkpoints"]
    need = 1 + sum(1 for c in s.expect.checkpoints if c.startswith("confirm:") or c.endswith("plan_approval"))
    stops = len(t.checkpoints)
    verdicts.insert(0, Verdict("stops", stops >= need, f"{stops} stops; at least {need} needed"))
    return verdicts + grade_outcome(s, t, home)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--report-dir", type=Path, default=Path(__file__).parent / "reports")
    args = parser.parse_args(argv)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    out = args.report_dir / "llm_report.json"
    kind, why = provider()
    if kind is None:
        print(f"skipped: {why}")
        out.write_text(json.dumps({"status": "skipped", "reason": why, "scenarios": []}, indent=1))
        return 0
    try:
        __import__(kind)
    except ImportError:
        print(f"error: {why} but the {kind} package is not installed (pip install {kind})")
        out.write_text(json.dumps({"status": "error", "reason": f"{kind} not installed", "scenarios": []}))
        return 1
    return _run_live(kind, args, out)  # pragma: no cover - live


def _run_live(kind: str, args: Any, out: Path) -> int:  # pragma: no cover - live, UNVERIFIED
    import anyio

    from evals import fixtures

    model = os.environ.get("SNOWBATCH_EVAL_MODEL", DEFAULT_MODELS[kind])
    scenarios = load_scenarios(only=args.only)
    tmp = Path(tempfile.mkdtemp(prefix="snowbatch-llm-evals-"))
    account = fixtures.seed(tmp / "home", fixtures={fx for s in scenarios for fx in s.fixtures})
    rows = []
    for s in scenarios:
        started = time.perf_counter()
        try:
            t = anyio.run(drive, s, account.home, kind, model)
            verdicts = grade_llm(s, t, account.home)
            status = "PASSED" if all(v.passed for v in verdicts) else "FAILED"
            reason = "; ".join(f"{v.name}: {v.evidence}" for v in verdicts if not v.passed)
        except Exception as exc:
            t, verdicts, status, reason = Transcript(s.id), [], "FAILED", f"{type(exc).__name__}: {exc}"
        rows.append(
            {
                "id": s.id,
                "status": status,
                "reason": reason,
                "seconds": round(time.perf_counter() - started, 1),
                "calls": len(t.calls),
                "tool_bytes": t.tool_bytes,
                "verdicts": [v.to_json() for v in verdicts],
                "transcript": t.to_json(),
            }
        )
        print(f"{status:7} {s.id:28} {len(t.calls):3} calls  {reason[:160]}")
    failed = sum(r["status"] != "PASSED" for r in rows)
    out.write_text(
        json.dumps(
            {"status": "failed" if failed else "passed", "provider": kind, "model": model, "scenarios": rows},
            indent=1,
            default=str,
        )
    )
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
