"""Consistency between the skills and the server, checked through the same real client the scenarios use.

Not repeated here: the skill lint (tests/unit/test_skills_lint.py) already checks, against
build_server(), that named tools and templates exist and that gated tools come after a STOP. This adds
what it does not: the same names against the tools a real stdio client lists; annotations on every
tool; the gated tools (those that ask for confirmation) are exactly the mutating ones (readOnlyHint
false), in both the normal and the read-only server; every gated tool called without a token answers
confirmation_required; and every tool the scripted assistant called is one the skills name.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.session import ToolInfo

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Finding:
    name: str
    passed: bool
    evidence: str


def skill_names() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Tools and templates each skill names on its `- **Tools:**` / `- **Template:**` lines, read with
    the skill lint's own helpers."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.unit import test_skills_lint as lint

    tools: dict[str, set[str]] = {}
    templates: dict[str, set[str]] = {}
    for skill in lint.SKILLS:
        for section in lint.sections(lint.body_of(skill)):
            for name in lint.field_names(section, "Tools") or []:
                tools.setdefault(name, set()).add(f"{skill.name} / {section.heading}")
            for name in lint.field_names(section, "Template") or []:
                templates.setdefault(name, set()).add(f"{skill.name} / {section.heading}")
    return tools, templates


def check_tools(tools: dict[str, ToolInfo], read_only_tools: dict[str, ToolInfo] | None) -> list[Finding]:
    out: list[Finding] = []
    # readOnlyHint is said on every tool; the other hints are left out where MCP's default holds
    missing = sorted(n for n, t in tools.items() if "readOnlyHint" not in t.annotations)
    out.append(
        Finding(
            "annotations on every tool",
            not missing,
            f"no readOnlyHint: {missing}" if missing else f"{len(tools)} tools say readOnlyHint",
        )
    )
    asks = {n for n, t in tools.items() if "confirmation_token" in (t.input_schema.get("properties") or {})}
    mutating = {n for n, t in tools.items() if not t.annotations.get("readOnlyHint", False)}
    out.append(
        Finding(
            "gated tools == mutating tools",
            asks == mutating,
            f"gated {sorted(asks)}"
            if asks == mutating
            else f"take a confirmation_token but read-only: {sorted(asks - mutating)}; mutating without "
            f"one: {sorted(mutating - asks)}",
        )
    )
    if read_only_tools is not None:
        writable = sorted(
            n
            for n, t in read_only_tools.items()
            if not t.annotations.get("readOnlyHint", False)
            or "confirmation_token" in (t.input_schema.get("properties") or {})
        )
        gone = sorted(mutating - set(read_only_tools))
        kept = sorted(set(read_only_tools) & mutating)
        out.append(
            Finding(
                "read_only server has no gated tool",
                not writable,
                f"still writable: {writable}"
                if writable
                else f"removed {gone}; kept as read-only previews {kept}",
            )
        )
    return out


def check_skill_names(tools: dict[str, ToolInfo]) -> list[Finding]:
    from snowbatch.templates import list_templates

    named_tools, named_templates = skill_names()
    unknown_tools = {n: sorted(w) for n, w in named_tools.items() if n not in tools}
    names = {t.name for t in list_templates()}
    unknown_templates = {n: sorted(w) for n, w in named_templates.items() if n not in names}
    return [
        Finding(
            "skills name only tools the client lists",
            not unknown_tools,
            f"unknown: {unknown_tools}" if unknown_tools else f"{len(named_tools)} tools named, all listed",
        ),
        Finding(
            "skills name only templates that exist",
            not unknown_templates,
            f"unknown: {unknown_templates}"
            if unknown_templates
            else f"{len(named_templates)} templates named, all in the manifest",
        ),
    ]


def check_called_tools(called: set[str]) -> Finding:
    named_tools, _ = skill_names()
    stray = sorted(called - set(named_tools))
    return Finding(
        "the scripted assistant calls only tools the skills name",
        not stray,
        f"not named by any skill: {stray}" if stray else f"{len(called)} tools called, all named",
    )


async def probe_gates(
    client: Any, tools: dict[str, ToolInfo], probes: dict[str, dict[str, Any]]
) -> list[Finding]:
    """Every gated tool, called with plausible arguments and no token, must not act: it answers
    confirmation_required, or refuses on a precondition (e.g. cancelling a finished job)."""
    out = []
    for name in sorted(
        n for n, t in tools.items() if "confirmation_token" in (t.input_schema.get("properties") or {})
    ):
        args = probes.get(name)
        if name == "submit_batch_job" and args is not None and "plan" in args:
            plan = await client.call_tool("plan_batch_job", args["plan"])
            args = {"plan_id": (plan.structured_content or {}).get("plan_id", "?")}
        if args is None:
            out.append(Finding(f"gate probe {name}", False, "no probe arguments for this gated tool"))
            continue
        result = await client.call_tool(name, args)
        status = (result.structured_content or {}).get("status")
        text = "".join(getattr(c, "text", "") for c in result.content)
        # Pass: it asked (confirmation_required) or refused on a precondition; never: it acted.
        acted = not result.is_error and status != "confirmation_required"
        evidence = f"status {status}" if not result.is_error else f"refused before the gate: {text[:160]}"
        out.append(Finding(f"gate probe {name}", not acted, evidence))
    return out
