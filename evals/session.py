"""A recording MCP client session over stdio, and the person who answers at the STOPs.

The scripted assistant talks to the server only through `Recorder.call`, so every call, its bytes of
output, and every confirmation_required is in the transcript; it talks to the person only through
`Recorder.stop`, which records the checkpoint and returns the scenario's scripted answer.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.transcript import Call, Event, Transcript

YES = {"yes", "y", "approved", "go ahead", "ok"}


class NoAnswer(Exception):
    """The flow reached a STOP the scenario gives no answer for (an unexpected question)."""


class FlowError(Exception):
    """The flow cannot go on (a tool failed where the skill has no next step)."""


@dataclass
class ToolInfo:
    name: str
    title: str | None
    description: str
    gated: bool  # readOnlyHint false
    annotations: dict[str, Any]
    input_schema: dict[str, Any]


@dataclass
class Recorder:
    client: Any
    transcript: Transcript
    person: dict[str, Any]
    tools: dict[str, ToolInfo]
    _used: dict[str, int] = field(default_factory=dict)

    @property
    def gated(self) -> set[str]:
        return {n for n, t in self.tools.items() if t.gated}

    def has_tool(self, name: str) -> bool:
        return name in self.tools

    # --- the server --------------------------------------------------------------------------
    async def call(self, tool: str, args: dict[str, Any] | None = None, *, timeout: float = 90) -> Call:
        args = {k: v for k, v in (args or {}).items() if v is not None}
        started = time.perf_counter()
        result = await self.client.call_tool(tool, args, read_timeout_seconds=timeout)
        text = "".join(getattr(c, "text", "") for c in result.content)
        call = Call(
            tool=tool,
            args=args,
            is_error=bool(result.is_error),
            bytes=len(text.encode()),
            text=text,
            structured=result.structured_content,
            gated=tool in self.gated,
            seconds=round(time.perf_counter() - started, 3),
        )
        self.transcript.events.append(Event("call", tool, call=call))
        s = call.structured or {}
        if call.status == "confirmation_required":
            self.transcript.events.append(
                Event(
                    "confirmation", tool, {"summary": s.get("summary"), "token": s.get("confirmation_token")}
                )
            )
        elif tool == "plan_batch_job" and s.get("confirmation_token"):  # the plan's summary is the submit's
            self.transcript.events.append(
                Event(
                    "confirmation",
                    "submit_batch_job",
                    {"summary": s.get("summary"), "token": s.get("confirmation_token")},
                )
            )
        return call

    async def ok(self, tool: str, args: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """A call that must succeed; its structured content."""
        c = await self.call(tool, args, **kw)
        if c.is_error:
            raise FlowError(f"{tool} failed: {c.text[:400]}")
        return c.structured or {}

    async def gated_call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        """A gated tool the skill's way: call; on confirmation_required show the summary and STOP for
        the person's yes; then the same arguments plus the token."""
        first = await self.ok(tool, args)
        if first.get("status") != "confirmation_required":
            return first
        answer = self.stop(f"confirm:{tool}", shown=str(first.get("summary")))
        yes = str(answer).strip().lower() in YES
        self.transcript.events.append(Event("answer", f"confirm:{tool}", {"yes": yes, "text": str(answer)}))
        if not yes:
            raise FlowError(f"the person did not approve {tool}")
        return await self.ok(tool, {**args, "confirmation_token": first["confirmation_token"]})

    def approve_shown(self, name: str, tool: str, summary: str) -> bool:
        """A STOP at a summary that already carries the token (the plan's): the person's one yes."""
        answer = self.stop(name, shown=summary)
        yes = str(answer).strip().lower() in YES
        self.transcript.events.append(Event("answer", f"confirm:{tool}", {"yes": yes, "text": str(answer)}))
        return yes

    # --- the person ---------------------------------------------------------------------------
    def stop(self, name: str, shown: str = "") -> Any:
        """A STOP: record the checkpoint, return the person's scripted answer."""
        self.transcript.events.append(Event("checkpoint", name, {"shown": shown[:2000]}))
        if name not in self.person:
            raise NoAnswer(f"the flow stopped at {name!r} and the scenario has no answer for it")
        answer = self.person[name]
        if isinstance(answer, list):
            i = self._used.get(name, 0)
            self._used[name] = i + 1
            if i >= len(answer):
                raise NoAnswer(f"the flow stopped at {name!r} more often than the scenario answers it")
            answer = answer[i]
        if not name.startswith("confirm:"):
            self.transcript.events.append(Event("answer", name, {"text": json.dumps(answer)}))
        return answer

    def note(self, name: str, **detail: Any) -> None:
        self.transcript.events.append(Event("note", name, detail))


def server_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "SNOWBATCH_HOME": str(home), "SNOWBATCH_BACKEND": "local"}
    for key in ("SNOWBATCH_AUTO_APPROVE", "SNOWBATCH_READ_ONLY", "SNOWBATCH_CONNECTION_NAME"):
        env.pop(key, None)
    return env


@asynccontextmanager
async def stdio_client(home: Path) -> AsyncIterator[Any]:
    """A real MCP client session with `python -m snowbatch serve` over stdio."""
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "snowbatch", "serve"], env=server_env(home)
    )
    async with Client(params) as client:
        yield client


async def list_tools(client: Any) -> dict[str, ToolInfo]:
    result = await client.list_tools()
    out = {}
    for t in result.tools:
        ann = t.annotations.model_dump(by_alias=True, exclude_none=True) if t.annotations else {}
        out[t.name] = ToolInfo(
            name=t.name,
            title=t.title or ann.get("title"),
            description=t.description or "",
            gated=not ann.get("readOnlyHint", False),
            annotations=ann,
            input_schema=t.input_schema,
        )
    return out
