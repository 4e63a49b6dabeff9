"""What an eval records about one scenario: every tool call (with the bytes of its output), every STOP
(checkpoint) the assistant reached with the person's answer, and every confirmation the server asked for.

A transcript is plain data (JSON-serialisable), so the scripted assistant, the real-LLM harness and the
unit tests of the grading all produce and read the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Call:
    tool: str
    args: dict[str, Any]
    is_error: bool
    bytes: int
    text: str
    structured: dict[str, Any] | None
    gated: bool
    seconds: float

    @property
    def status(self) -> str | None:
        s = self.structured or {}
        return s.get("status") if isinstance(s.get("status"), str) else None


@dataclass
class Event:
    """One entry: kind is call | checkpoint | confirmation | answer | note."""

    kind: str
    name: str
    detail: dict[str, Any] = field(default_factory=dict)
    call: Call | None = None


@dataclass
class Transcript:
    scenario: str
    gated: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    # --- views ---------------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        return [e.call for e in self.events if e.kind == "call" and e.call is not None]

    @property
    def checkpoints(self) -> list[str]:
        return [e.name for e in self.events if e.kind == "checkpoint"]

    @property
    def confirmations(self) -> list[str]:
        return [e.name for e in self.events if e.kind == "confirmation"]

    def violations(self) -> list[str]:
        return gate_violations(self.events, set(self.gated), mutates)

    @property
    def tool_bytes(self) -> int:
        return sum(c.bytes for c in self.calls)

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "gated": self.gated, "events": [asdict(e) for e in self.events]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transcript:
        events = []
        for e in data["events"]:
            call = Call(**e["call"]) if e.get("call") else None
            events.append(Event(kind=e["kind"], name=e["name"], detail=e.get("detail") or {}, call=call))
        return cls(scenario=data["scenario"], gated=list(data.get("gated", [])), events=events)


def gate_violations(events: list[Event], gated: set[str], mutates: Any) -> list[str]:
    """Gated calls that did something without a prior confirmation the person approved.

    A gated call "did something" when it neither failed nor answered confirmation_required (and
    `mutates(call)` says this call changes something — a warehouse preview does not). It must carry a
    confirmation_token that an earlier confirmation_required of the same tool issued and that the person
    answered yes to, after the confirmation and before this call.
    """
    issued: dict[str, str] = {}  # token -> tool
    approved: set[str] = set()
    last_token: dict[str, str] = {}  # tool -> token of its last confirmation
    problems = []
    for e in events:
        if e.kind == "confirmation":
            token = str(e.detail.get("token"))
            issued[token] = e.name
            last_token[e.name] = token
        elif e.kind == "answer" and e.name.startswith("confirm:") and e.detail.get("yes"):
            tool = e.name.split(":", 1)[1]
            if tool in last_token:
                approved.add(last_token[tool])
        elif e.kind == "call" and e.call is not None:
            c = e.call
            if c.tool not in gated or c.is_error or c.status == "confirmation_required" or not mutates(c):
                continue
            raw = c.args.get("confirmation_token")
            if raw is None:
                problems.append(f"{c.tool} ran without any confirmation (no token; server did not gate it)")
            elif issued.get(token := str(raw)) != c.tool:
                problems.append(f"{c.tool} ran with a token no confirmation_required of it issued")
            elif token not in approved:
                problems.append(f"{c.tool} ran before the person approved its confirmation")
    return problems


def mutates(call: Call) -> bool:
    """Whether a successful call of a gated tool changed something (every gated tool does)."""
    return call.tool != "preview_in_warehouse"
