"""Tool results as the assistant sees them: compact JSON text beside structured content, and our own
errors (problem + next step, with the error's stable code) instead of any library's text."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from snowbatch.core.errors import SnowbatchError
from snowbatch.core.requests import INPUT_KINDS

F = TypeVar("F", bound=Callable[..., Any])


def compact_result(result: Any) -> Any:
    """A model result as compact JSON text (no indent, no nulls) beside the full structured content.

    The SDK's default text is indented JSON with every null field; tool output is the assistant's context,
    so we send the same facts in about half the bytes.
    """
    if not isinstance(result, BaseModel):
        return result
    from mcp.types import CallToolResult, TextContent

    text = result.model_dump_json(exclude_none=True, by_alias=True)
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=result.model_dump(mode="json", by_alias=True),
    )


def error_result(tool: str, text: str, *, code: str, problem: str, next_step: str) -> Any:
    """A failed call as the client sees it: the text (what is wrong, what to do next) and, for programs,
    the same in structured content with the error's stable code."""
    from mcp.types import CallToolResult, TextContent

    return CallToolResult(
        content=[TextContent(type="text", text=f"Error executing tool {tool}: {text}")],
        structured_content={"error": {"code": code, "problem": problem, "next_step": next_step}},
        is_error=True,
    )


def snowbatch_error_result(tool: str, exc: SnowbatchError) -> Any:
    return error_result(tool, str(exc), code=exc.code, problem=exc.problem, next_step=exc.next_step)


def tool_errors(fn: F) -> F:
    """Wrap a tool: a SnowbatchError becomes an error result (problem + next step + code); results
    become compact."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return compact_result(await fn(*args, **kwargs))
            except SnowbatchError as exc:
                return snowbatch_error_result(fn.__name__, exc)

        return awrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return compact_result(fn(*args, **kwargs))
        except SnowbatchError as exc:
            return snowbatch_error_result(fn.__name__, exc)

    return wrapper  # type: ignore[return-value]


def argument_problems(exc: Any) -> str:
    """A pydantic ValidationError about a tool's arguments, said in our words: each argument (by its
    path, e.g. input.rows) and what it must be. No input values are repeated."""
    said = []
    for err in exc.errors():
        parts = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        if parts[:1] == ["input"] and parts[1:2] and parts[1] in INPUT_KINDS:
            del parts[1]  # the union's tag, not a field the person wrote
        loc = ".".join(parts) or "arguments"
        ctx = err.get("ctx") or {}
        kind = str(err.get("type", ""))
        if kind == "missing":
            said.append(f"{loc} is required")
        elif kind in ("too_long", "too_short"):
            bound = "at most" if kind == "too_long" else "at least"
            limit = ctx.get("max_length") if kind == "too_long" else ctx.get("min_length")
            said.append(f"{loc} takes {bound} {limit} item(s) (got {ctx.get('actual_length')})")
        elif kind in ("less_than_equal", "less_than", "greater_than_equal", "greater_than"):
            words = {"less_than_equal": "at most", "less_than": "below", "greater_than_equal": "at least"}
            said.append(f"{loc} must be {words.get(kind, 'above')} {next(iter(ctx.values()), '?')}")
        elif kind in ("literal_error", "enum"):
            said.append(f"{loc} must be one of {ctx.get('expected', 'the listed values')}")
        elif kind in ("union_tag_invalid", "union_tag_not_found", "input_kind"):
            said.append(f"{loc}.kind must be given, as one of {', '.join(INPUT_KINDS)}")
        elif kind == "value_error" and ctx.get("error") is not None:
            said.append(f"{loc}: {ctx['error']}")  # our own validators' words (they repeat no value)
        elif kind == "extra_forbidden":
            said.append(f"{loc} is not an argument here")
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            said.append(
                f"{loc} must be {kind.split('_')[0].replace('dict', 'an object').replace('list', 'a list')}"
            )
        else:
            said.append(f"{loc} is not valid")
    return "; ".join(dict.fromkeys(said))


ROWS_HINT = (
    " For more rows than inline rows take, load them into a table (snowbatch local load-table, or a "
    "Snowflake table) and pass input {kind: table, table: ...}."
)


def argument_error(tool: str, exc: Any) -> Any:
    problems = argument_problems(exc)
    hint = ROWS_HINT if "input.rows" in problems else ""
    problem = f"The arguments are not valid: {problems}. Nothing was done."
    step = f"Correct them as the tool's input schema describes and call again.{hint}"
    return error_result(
        tool, f"{problem[0].lower()}{problem[1:]} Next step: {step[0].lower()}{step[1:]}",
        code="invalid_arguments", problem=problem, next_step=step,
    )  # fmt: skip
