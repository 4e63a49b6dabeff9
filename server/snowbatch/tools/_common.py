"""What every tool module shares: annotations, error mapping and the confirmation gate."""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from snowbatch.app import App
from snowbatch.core.checkpoints import VERDICT_ADVICE
from snowbatch.core.errors import SnowbatchError

log = logging.getLogger("snowbatch")
F = TypeVar("F", bound=Callable[..., Any])

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
CREATES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
CREATES_IDEMPOTENT = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
DESTRUCTIVE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
)


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


def tool_errors(fn: F) -> F:
    """Wrap a tool: SnowbatchError becomes a ToolError (problem + next step); results become compact."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return compact_result(await fn(*args, **kwargs))
            except SnowbatchError as exc:
                raise ToolError(str(exc)) from exc

        return awrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return compact_result(fn(*args, **kwargs))
        except SnowbatchError as exc:
            raise ToolError(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


class Approval(BaseModel):
    """The question put to the person when the client supports elicitation (flat, as the spec needs)."""

    approve: bool = Field(description="Yes, do exactly this.")


class NotAsked(Approval):
    """Our own 'not approved yet' (no token, no elicitation), told apart from a person's 'no'."""


class Gated(BaseModel):
    """What a gated tool returns: either the work done, or the summary to approve first."""

    status: Literal["done", "confirmation_required"]
    summary: str = Field(description="exactly what will happen / happened")
    confirmation_token: str | None = Field(
        None, description="after the person says yes, call the same tool again with this token"
    )
    expires_in_seconds: int | None = None
    next_step: str | None = None
    result: dict[str, Any] | None = None


def approval_resolver(
    app: App, action: str, arg_names: list[str], describe: Callable[..., str]
) -> Callable[..., Any]:
    """A Resolve() function for a gated tool: approved by token, by elicitation, or not yet.

    MCP resolvers receive tool arguments by name, so the function's signature is built from the tool's
    argument names; `describe(**args)` writes the human summary the person approves.
    """

    def resolver(ctx: Context, **args: Any) -> Elicit[Approval] | Approval:
        token = args.pop("confirmation_token", None)
        if app.settings.auto_approve:
            return Approval(approve=True)
        if token is not None:
            verdict = app.signer.verify(token, action, args, now=time.time())
            return Approval(approve=True) if verdict == "ok" else NotAsked(approve=False)
        caps = ctx.client_capabilities
        if caps is not None and caps.elicitation is not None:
            try:
                summary = describe(**args)
            except SnowbatchError:
                return NotAsked(approve=False)  # the tool body reports the real error
            return Elicit(f"{summary}\n\nApprove?", Approval)
        return NotAsked(approve=False)

    params = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in arg_names]
    resolver.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    resolver.__annotations__ = {"ctx": Context, "return": Elicit[Approval] | Approval}
    resolver.__name__ = f"approve_{action}"
    return resolver


def gate(
    app: App, action: str, args: Mapping[str, Any], approval: Any, describe: Callable[..., str]
) -> Gated | None:
    """Decide a gated call: None means go ahead; a Gated means stop and show it to the person.

    Raises ToolError when the person declined or the token does not fit these exact parameters.
    """
    params = {k: v for k, v in args.items() if k != "confirmation_token"}
    token = args.get("confirmation_token")
    action_kind = getattr(approval, "action", "accept")
    if action_kind in ("decline", "cancel"):
        raise ToolError("The person declined; nothing was done. Ask what they want to change.")
    data = getattr(approval, "data", approval)
    if isinstance(data, Approval) and data.approve:
        return None
    if token is not None:
        verdict = app.signer.verify(token, action, params, now=time.time())
        raise ToolError(
            f"{VERDICT_ADVICE.get(verdict, 'The confirmation token is not valid.')} Nothing was done. "
            "Next step: call again without confirmation_token to get a fresh summary, show it to the "
            "person, and use the new token only after they approve."
        )
    if isinstance(data, Approval) and not isinstance(data, NotAsked):
        raise ToolError("The person did not approve; nothing was done. Ask what they want to change.")
    summary = describe(**params)
    return Gated(
        status="confirmation_required",
        summary=summary,
        confirmation_token=app.signer.issue(action, params, now=time.time()),
        expires_in_seconds=app.settings.confirmation_ttl_seconds,
        next_step=(
            "STOP. Show this summary to the person and wait for an explicit yes. Then call this tool "
            "again with exactly the same arguments plus confirmation_token. Any change needs a new token."
        ),
    )


ApprovalResult = ElicitationResult[Approval]


def approved_by(app: App, action: str, arg_names: list[str], describe: Callable[..., str]) -> Resolve:
    """The Resolve marker of a gated tool's injected parameter:
    `approval: Annotated[ApprovalResult, approved_by(app, "tool", [args...], describe)]`."""
    return Resolve(approval_resolver(app, action, arg_names, describe))


def done(summary: str, **result: Any) -> Gated:
    return Gated(status="done", summary=summary, result=result)


# --- names from tool input -------------------------------------------------------------------------
def _defaults(app: App) -> tuple[Any, Any]:
    schema = app.backend.default_schema()
    return (schema.database, schema.schema) if schema else (None, None)


def object_name(app: App, text: str, what: str) -> Any:
    """A tool argument naming a schema object, qualified with the backend's default database/schema."""
    from snowbatch.core.names import ObjectName

    return ObjectName.parse(text, what=what).qualified(*_defaults(app))


def stage_location(app: App, text: str) -> Any:
    from snowbatch.core.names import StageLocation

    return StageLocation.parse(text).qualified(*_defaults(app))


def schema_name(app: App, database: str | None, schema: str | None) -> Any:
    from snowbatch.core.errors import InvalidName
    from snowbatch.core.names import Identifier, SchemaName

    default_db, default_sc = _defaults(app)
    db = Identifier.parse(database) if database else default_db
    sc = Identifier.parse(schema) if schema else default_sc
    if db is None or sc is None:
        raise InvalidName(
            "No database/schema given and the connection has no default.", "Pass database= and schema=."
        )
    return SchemaName(db, sc)
