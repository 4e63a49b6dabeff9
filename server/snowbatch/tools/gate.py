"""The approval gate: one decorator that makes a tool spend or change something only after one yes.

    @server.tool(annotations=CREATES_IDEMPOTENT)
    @gated(app, describe_create)
    def create_stage(stage: str, comment: str | None = None) -> Gated: ...

The tool's arguments are the body's own parameters plus `confirmation_token`. Every one of them is bound
into the token — read from the body's signature, so none can be left out — and `describe(**args)` runs
before anyone is asked: it validates (anything that would fail after a yes fails here, with nothing done)
and writes the summary the person approves. Then exactly one of these approves the call:

- `auto_approve` (non-interactive automation only, off by default);
- a `confirmation_token` issued for these exact arguments (by the tool's own first call, or for
  `submit_batch_job` by `plan_batch_job`, whose summary the person saw);
- the person's answer to the server's own question, when the client supports elicitation: on protocol
  2026-07-28 through mcp's `Resolve`/`Elicit` (the client answers and retries), before that by
  `ctx.elicit` inside the call.

A decline refuses. A cancelled question, or one the client could not show (it answered with an error),
falls back to `confirmation_required` with a token, so the person is asked in the conversation instead —
never a protocol error.

A token is bound to its caller too (tools/caller.py): another client cannot use it. An approved call runs
only if its caller has fewer than `max_concurrent_submits` approved actions in progress (else: busy,
retry after N s), and leaves one record in the audit trail (audit.py) with its outcome.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import anyio
from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from pydantic import BaseModel, Field

from snowbatch.app import App
from snowbatch.core.checkpoints import VERDICT_ADVICE
from snowbatch.core.errors import SnowbatchError
from snowbatch.tools.caller import Caller, current_caller
from snowbatch.tools.results import compact_result, snowbatch_error_result

log = logging.getLogger("snowbatch")
F = TypeVar("F", bound=Callable[..., Any])
INPUT_REQUIRED_VERSION = "2026-07-28"  # from this protocol on, a question rides the tool call's retry
SUBMIT_SECONDS = 5  # how long an approved action is expected to take, for "retry after"
ASK_AGAIN = (
    "STOP. Show this summary to the person and wait for an explicit yes. Then call this tool again with "
    "exactly the same arguments plus confirmation_token. Any change needs a new summary and a new yes."
)


class Approval(BaseModel):
    """The question put to the person (flat, as elicitation requires)."""

    approve: bool = Field(description="Yes, do exactly this.")


class Undecided(BaseModel):
    """The resolver's answer when the call itself decides (token, auto-approve, in-call question)."""


class Gated(BaseModel):
    """What a gated tool returns: the work done or started, or the summary to approve first."""

    status: Literal["done", "started", "confirmation_required"]
    summary: str = Field(description="exactly what will happen / happened")
    confirmation_token: str | None = Field(
        None, description="after the person says yes, call the same tool again with this token"
    )
    expires_in_seconds: int | None = None
    next_step: str | None = None
    result: dict[str, Any] | None = None


def done(summary: str, **result: Any) -> Gated:
    return Gated(status="done", summary=summary, result=result)


def started(summary: str, **result: Any) -> Gated:
    """Something was set going (a job, a write) and is not finished: say so, not 'done'."""
    return Gated(status="started", summary=summary, result=result)


def _input_required(ctx: Context[Any, Any]) -> bool:
    from mcp_types.version import is_version_at_least

    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, INPUT_REQUIRED_VERSION)


def _can_elicit(ctx: Context[Any, Any]) -> bool:
    caps = ctx.client_capabilities
    return caps is not None and caps.elicitation is not None


def _question(summary: str) -> str:
    return f"{summary}\n\nApprove?"


def gated(app: App, describe: Callable[..., str]) -> Callable[[F], F]:
    """Make `body(**args) -> Gated` a gated tool (see the module docstring)."""

    def decorate(body: F) -> F:
        action = body.__name__
        own = list(inspect.signature(body).parameters.values())
        names = [p.name for p in own]

        def resolver(ctx: Context[Any, Any], **args: Any) -> Any:
            if app.settings.auto_approve or args.get("confirmation_token") is not None:
                return Undecided()
            if not (_input_required(ctx) and _can_elicit(ctx)):
                return Undecided()  # asked inside the call, where a failed question can fall back
            try:
                summary = describe(**{n: args[n] for n in names})
            except SnowbatchError:
                return Undecided()  # the call reports the real problem, before any question
            return Elicit(_question(summary), Approval)

        token_param = inspect.Parameter("confirmation_token", inspect.Parameter.KEYWORD_ONLY)
        resolver.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
            + [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in names]
            + [token_param]
        )
        resolver.__annotations__ = {"ctx": Context, "return": Any}
        resolver.__name__ = f"approve_{action}"

        async def tool(**kwargs: Any) -> Any:
            ctx: Context[Any, Any] = kwargs.pop("ctx")
            outcome = kwargs.pop("approval")
            token: str | None = kwargs.pop("confirmation_token", None)
            args = {n: kwargs[n] for n in names}
            who = current_caller()
            try:
                summary = await anyio.to_thread.run_sync(functools.partial(describe, **args))
                decision = await _decide(app, ctx, action, args, token, outcome, summary, who.key)
                if decision not in APPROVED:
                    return compact_result(_ask(app, action, args, summary, who, NOTES.get(decision, "")))
                release = app.submits.acquire(
                    who.key, app.settings.max_concurrent_submits, expected_seconds=SUBMIT_SECONDS
                )
            except SnowbatchError as exc:
                return snowbatch_error_result(action, exc)
            try:
                return await _carry_out(
                    app, who, action, functools.partial(body, **args), args, summary, decision
                )
            finally:
                release()

        approval = inspect.Parameter(
            "approval",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[ElicitationResult[Approval], Resolve(resolver)],
        )
        ctx_param = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
        token_arg = inspect.Parameter(
            "confirmation_token", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=str | None
        )
        keyword_own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
        tool.__signature__ = inspect.Signature([*keyword_own, token_arg, ctx_param, approval])  # type: ignore[attr-defined]
        tool.__annotations__ = {p.name: p.annotation for p in [*keyword_own, token_arg, ctx_param, approval]}
        tool.__name__, tool.__doc__, tool.__qualname__ = action, body.__doc__, body.__qualname__
        tool.__snowbatch_gated__ = names  # type: ignore[attr-defined]
        return tool  # type: ignore[return-value]

    return decorate


def _ask(app: App, action: str, args: dict[str, Any], summary: str, who: Caller, note: str = "") -> Gated:
    return Gated(
        status="confirmation_required",
        summary=summary,
        confirmation_token=app.signer.issue(action, args, now=time.time(), principal=who.key),
        expires_in_seconds=app.settings.confirmation_ttl_seconds,
        next_step=f"{note}{ASK_AGAIN}",
    )


async def _carry_out(
    app: App,
    who: Caller,
    action: str,
    run: Callable[[], Gated],
    args: dict[str, Any],
    summary: str,
    approved_by: str,
) -> Any:
    """Run an approved action and record it in the audit trail, whatever its outcome."""
    from snowbatch.audit import error_outcome, outcome_of

    try:
        result = await anyio.to_thread.run_sync(run)
    except SnowbatchError as exc:
        await _audit(app, who, action, args, summary, approved_by, error_outcome(exc.code, exc.problem))
        return snowbatch_error_result(action, exc)
    except Exception as exc:
        await _audit(app, who, action, args, summary, approved_by, error_outcome(type(exc).__name__))
        raise
    await _audit(app, who, action, args, summary, approved_by, outcome_of(result.status, result.result))
    return compact_result(result)


async def _audit(
    app: App,
    who: Caller,
    action: str,
    args: dict[str, Any],
    summary: str,
    approved_by: str,
    outcome: dict[str, Any],
) -> None:
    from snowbatch import audit

    record = audit.make_record(
        tool=action,
        args=args,
        summary=summary,
        approved_by=approved_by,
        outcome=outcome,
        principal=who.principal,
        client=who.client,
        backend=app.backend.name,
    )
    try:
        await anyio.to_thread.run_sync(audit.append, app.settings.audit_path, record)
    except OSError:  # the action happened: say so in the server's log rather than hide its result
        log.error("could not append to the audit log %s", app.settings.audit_path, exc_info=True)
    if app.settings.audit_table:  # also in the account, where a team can query it
        from snowbatch.core.names import ObjectName, qualify

        try:
            table = qualify(
                ObjectName.parse(app.settings.audit_table, what="table"), app.backend.default_schema()
            )
            await anyio.to_thread.run_sync(app.backend.append_audit, table, record)
        except SnowbatchError:
            log.error("could not append to the audit table %s", app.settings.audit_table, exc_info=True)


Decision = Literal["token", "elicitation", "auto_approve", "ask", "dismissed", "unavailable"]
APPROVED = ("token", "elicitation", "auto_approve")  # how a call was approved, as the audit trail says
NOTES: dict[str, str] = {
    "dismissed": "The question was dismissed without an answer. ",
    "unavailable": "The client could not show the question. ",
}


async def _decide(
    app: App,
    ctx: Context[Any, Any],
    action: str,
    args: dict[str, Any],
    token: str | None,
    outcome: ElicitationResult[Any],
    summary: str,
    caller: str,
) -> Decision:
    """How this exact call is approved, or that the person has yet to be asked in the conversation (and
    why). Raises SnowbatchError for a declined question or a token that does not fit."""
    if app.settings.auto_approve:
        return "auto_approve"
    if token is not None:
        verdict = app.signer.verify(token, action, args, now=time.time(), principal=caller)
        if verdict == "ok":
            return "token"
        raise SnowbatchError(
            f"{VERDICT_ADVICE.get(verdict, 'The confirmation token is not valid.')} Nothing was done.",
            "Call again without confirmation_token to get a fresh summary, show it to the person, and use "
            "the new token only after they approve.",
            code="confirmation_refused",
        )
    undecided = outcome.action == "accept" and isinstance(getattr(outcome, "data", None), Undecided)
    if undecided and _can_elicit(ctx) and not _input_required(ctx):
        try:
            outcome = await ctx.elicit(_question(summary), Approval)
        except Exception:  # the client declared elicitation but could not ask: ask in the conversation
            log.info("elicitation for %s failed; falling back to a confirmation token", action, exc_info=True)
            return "unavailable"
    data = getattr(outcome, "data", None)
    if outcome.action == "accept" and isinstance(data, Approval):
        if data.approve:
            return "elicitation"
        raise SnowbatchError(
            "The person answered no; nothing was done.", "Ask what they want to change.", code="declined"
        )
    if outcome.action == "decline":
        raise SnowbatchError(
            "The person declined; nothing was done.", "Ask what they want to change.", code="declined"
        )
    return "dismissed" if outcome.action == "cancel" else "ask"
