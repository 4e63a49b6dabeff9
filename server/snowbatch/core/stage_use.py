"""Which stages batch output can go to: internal, with server-side encryption (SNOWFLAKE_SSE).

One judgement for list_stages and for the plan's output check, so both name the same stages."""

from __future__ import annotations

from snowbatch.core.records import StageInfo


def unusable_reason(stage: StageInfo) -> str | None:
    """Why batch output cannot go to this stage (None: it can)."""
    if stage.kind == "EXTERNAL":
        return "external stage: batch output must go to an internal stage"
    if stage.encryption == "SNOWFLAKE_FULL":
        return (
            "client-side encryption (SNOWFLAKE_FULL) cannot be changed: create an SSE stage with create_stage"
        )
    if stage.encryption == "UNKNOWN":
        return "encryption could not be determined: prefer a stage created with create_stage"
    return None


def usable_for_output(stages: list[StageInfo]) -> list[str]:
    return [s.name for s in stages if unusable_reason(s) is None]


def stage_fix(usable: list[str], otherwise: str) -> str:
    """The next step for an output stage that cannot be used: a usable stage that already exists first."""
    if not usable:
        return otherwise
    shown = " or ".join(usable[:3])
    return (
        f"Use an SSE stage that is already there: {shown} (output_stage @{usable[0]}/<folder>/); "
        f"or else: {otherwise[0].lower()}{otherwise[1:]}"
    )
