"""Batch jobs: plan (checks + summary + code), submit (gated), status, bounded wait, logs, list,
cancel and delete (gated)."""

import time
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from snowbatch.app import App
from snowbatch.core.errors import Conflict, InvalidRequest, NotFound
from snowbatch.core.job_advice import cancel_summary, delete_summary, next_step
from snowbatch.core.plan_facts import Check
from snowbatch.core.plans import Plan
from snowbatch.core.records import JobInfo, LogChunk, OutputInfo, Page, ResultPreview
from snowbatch.core.requests import BatchJobRequest, FileEncoding, InputSource, SaveMode, Scaling
from snowbatch.tools._common import (
    CREATES,
    DESTRUCTIVE,
    MAX_CELL_CHARS,
    READ_ONLY,
    Gated,
    done,
    gated,
    object_name,
    started,
    tool_errors,
)
from snowbatch.tools.caller import current_caller

MAX_WAIT_SECONDS = 55


class PlanView(BaseModel):
    plan_id: str
    ok: bool = Field(description="false: a check failed; fix it and plan again")
    summary: str = Field(description="show this to the person at the approval checkpoint")
    confirmation_token: str | None = Field(
        None, description="after the person says yes to the summary: submit_batch_job(plan_id, this token)"
    )
    expires_in_seconds: int | None = None
    checks: list[Check]
    output_location: str
    code_for_version: str | None = None
    code: str | None = None
    next_step: str


class OutputCheck(BaseModel):
    """The verification of a finished job's output, without the per-file list (inspect_output has it)
    and without its location (the job's output_location)."""

    state: str = Field(description="complete (_SUCCESS present), partial (files, no _SUCCESS) or empty")
    success_marker: bool
    rows: int | None = None
    parts: int = Field(description="Parquet files")
    total_bytes: int


class JobView(BaseModel):
    job: JobInfo
    output: OutputCheck | None = Field(None, description="when DONE: the output verified (_SUCCESS, rows)")
    preview: ResultPreview | None = Field(None, description="when DONE and complete: the first rows")
    next_step: str


def _plan_view(app: App, plan: Plan, include_code: bool) -> PlanView:
    token, expires = None, None
    if not plan.ok:
        step = "Fix the failing checks (each has a fix), then call plan_batch_job again."
    else:
        # The token approves submitting exactly this plan (its id is a digest of every parameter): the
        # person's one yes to this summary is all submit_batch_job needs.
        principal = current_caller().key  # the token and the plan are this caller's alone
        token = app.signer.issue(
            "submit_batch_job", {"plan_id": plan.plan_id}, now=time.time(), principal=principal
        )
        expires = app.settings.confirmation_ttl_seconds
        step = "STOP: show the summary, ask for an explicit yes; then submit_batch_job with this token."
    return PlanView(
        plan_id=plan.plan_id,
        ok=plan.ok,
        summary=plan.summary,
        confirmation_token=token,
        expires_in_seconds=expires,
        checks=plan.checks,
        output_location=plan.spec.job_output_location,
        code_for_version=plan.code_version if include_code else None,
        code=plan.code if include_code else None,
        next_step=step,
    )


def register(server: MCPServer, app: App) -> None:
    def job_name(job_id: str) -> Any:
        return object_name(app, job_id, "job")

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def plan_batch_job(
        model: str,
        input: InputSource,
        output_stage: str,
        compute_pool: str,
        version: str | None = None,
        function: str | None = None,
        mode: SaveMode = "error",
        scaling: Scaling | None = None,
        params: dict[str, Any] | None = None,
        column_handling: dict[str, FileEncoding] | None = None,
        engine: str | None = None,
        engine_args: list[str] | None = None,
        job_name: str | None = None,
        schedule: Annotated[
            str | None, Field(description="'0 2 * * * UTC': a task runs only_new then")
        ] = None,
        snowml_version: str | None = None,
        include_code: bool = False,
    ) -> PlanView:
        """Check a batch job before anything is spent: checks (each failure with a fix), the summary to
        show, the confirmation_token for submit_batch_job; include_code: code for snowml_version."""
        request = BatchJobRequest(
            model=model,
            version=version,
            function=function,
            input=input,
            output_stage=output_stage,
            compute_pool=compute_pool,
            mode=mode,
            scaling=scaling or Scaling(),
            params=params,
            column_handling=column_handling,
            engine=engine,
            engine_args=engine_args,
            job_name=job_name,
            schedule=schedule,
        )
        from snowbatch.planning import make_plan

        plan = make_plan(app.backend, request, snowml_version=snowml_version)
        app.plans.put(current_caller().key, plan.plan_id, plan, now=time.time())
        return _plan_view(app, plan, include_code)

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    async def wait_for_job(
        job_id: str,
        ctx: Context[Any],
        timeout_seconds: Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS)] = 30,
        preview_rows: Annotated[int, Field(ge=0, le=20)] = 3,
    ) -> JobView:
        """A job's status and next step, waiting up to timeout_seconds (max 55) for it to end; on DONE
        the verified output and preview_rows rows."""
        name = job_name(job_id)
        release = app.waits.acquire(
            current_caller().key, app.settings.max_waits_per_client, expected_seconds=timeout_seconds
        )
        try:
            return await _wait(app, ctx, name, timeout_seconds, preview_rows)
        finally:
            release()

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def get_job_logs(
        job_id: str, tail: Annotated[int, Field(ge=1, le=500)] = 50, offset: Annotated[int, Field(ge=0)] = 0
    ) -> LogChunk:
        """A job's last tail log lines; next_offset as offset reaches earlier ones."""
        return app.backend.job_logs(job_name(job_id), tail=tail, offset=offset)

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def list_jobs(
        limit: Annotated[int, Field(ge=1, le=100)] = 20, cursor: str | None = None
    ) -> Page[JobInfo]:
        """Recent jobs, newest first; next_cursor pages on."""
        return app.backend.list_jobs(limit=limit, cursor=cursor)

    def describe_submit(plan_id: str) -> str:
        plan = _plan(app, plan_id)
        if not plan.ok:
            failing = "; ".join(f"{c.message} Fix: {c.fix}" for c in plan.checks if c.status == "fail")
            raise InvalidRequest(
                f"This plan has failing checks, so it cannot be submitted: {failing}",
                "Fix them and call plan_batch_job again.",
            )
        if plan.submitted_job_id and plan.spec.schedule is not None:
            raise Conflict(
                f"Plan {plan_id} already created task {plan.submitted_job_id}.",
                "Plan again, with another job_name, for another schedule.",
            )
        if plan.submitted_job_id:
            raise Conflict(
                f"Plan {plan_id} was already submitted as job {plan.submitted_job_id}.",
                "Follow that job with wait_for_job, or plan again for a new run.",
            )
        return plan.summary

    @server.tool(annotations=CREATES)
    @gated(app, describe_submit)
    def submit_batch_job(plan_id: str) -> Gated:
        """Submit a planned job (spends compute) with plan_batch_job's confirmation_token, after the
        person's yes to its summary."""
        plan = _plan(app, plan_id)
        with app.submit_lock:  # two calls racing with one approval submit once
            describe_submit(plan_id)
            if plan.spec.schedule is not None:
                made = app.backend.create_schedule(plan.spec)
                plan.submitted_job_id = made.task
                return done(
                    f"Created task {made.task}, running {made.when}; state: {made.state}.",
                    schedule=made.model_dump(mode="json"),
                    next_step=f"To run it once now: {made.run_now}.",
                )
            job = app.backend.submit_job(plan.spec)
            plan.submitted_job_id = job.job_id
        return started(
            f"Submitted job {job.job_id}; results go to {job.output_location}.",
            job_id=job.job_id,
            status=job.status,
            output_location=job.output_location,
            next_step=next_step(job),
        )

    def describe_cancel(job_id: str) -> str:
        return cancel_summary(app.backend.get_job(job_name(job_id)))

    @server.tool(annotations=DESTRUCTIVE)
    @gated(app, describe_cancel)
    def cancel_job(job_id: str) -> Gated:
        """Cancel a running job. Gated."""
        job = app.backend.cancel_job(job_name(job_id))
        return done(f"Job {job.job_id} is {job.status}.", job=job.model_dump(mode="json"))

    def describe_delete(job_id: str) -> str:
        return delete_summary(app.backend.get_job(job_name(job_id)))

    @server.tool(annotations=DESTRUCTIVE)
    @gated(app, describe_delete)
    def delete_job(job_id: str) -> Gated:
        """Delete a finished job's record and logs (not its output). Gated."""
        job = app.backend.delete_job(job_name(job_id))
        return done(f"Job {job.job_id} deleted.", job=job.model_dump(mode="json"))


async def _wait(app: App, ctx: Context[Any], name: Any, timeout_seconds: int, preview_rows: int) -> JobView:
    deadline = time.monotonic() + timeout_seconds
    delay = 0.25
    sent: float | None = None  # MCP: each progress notification must report more than the last
    while True:
        job = await anyio.to_thread.run_sync(lambda: app.backend.get_job(name))
        rows = float(job.progress.rows_done or 0) if job.progress else 0.0
        total = job.progress.rows_total if job.progress else None
        if sent is None or rows > sent:
            of = f" of {total:,}" if total else ""
            await ctx.report_progress(
                rows, float(total) if total else None, message=f"{job.status}: {rows:,.0f}{of} rows"
            )
            sent = rows
        if job.status == "DONE" and job.kind == "batch":  # a warehouse job's output is a table
            return await anyio.to_thread.run_sync(_verified_view, app, job, preview_rows)
        if job.is_settled or time.monotonic() >= deadline:
            return JobView(job=job, next_step=next_step(job))
        await anyio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 1.5, 2.0)


def _verified_view(app: App, job: JobInfo, preview_rows: int) -> JobView:
    """A DONE job with its output checked (and previewed when complete): the facts the assistant would
    otherwise fetch with inspect_output and preview_results, in the same call. If the output cannot be
    read, the plain view says to call inspect_output."""
    from snowbatch.core.errors import SnowbatchError
    from snowbatch.tools._common import stage_location

    if not job.output_location:
        return JobView(job=job, next_step=next_step(job))
    try:
        where = stage_location(app, job.output_location)
        info: OutputInfo = app.backend.inspect_output(where)
        check = OutputCheck(
            state=info.state,
            success_marker=info.success_marker,
            rows=info.rows,
            parts=sum(1 for f in info.files if f.path.endswith(".parquet")),
            total_bytes=info.total_bytes,
        )
        if check.state != "complete":
            return JobView(
                job=job,
                output=check,
                next_step=(
                    f"The job says DONE but its output is {check.state} (no _SUCCESS): do not treat it as "
                    "a full result. Call get_job_logs, and inspect_output for the files."
                ),
            )
        preview = None
        if preview_rows:
            preview = app.backend.preview_results(where, limit=preview_rows, max_cell_chars=MAX_CELL_CHARS)
            preview = preview.model_copy(update={"location": None})  # the job's output_location
            check.rows = check.rows if check.rows is not None else preview.total_rows
    except SnowbatchError:
        return JobView(job=job, next_step=next_step(job))
    rows = f"{check.rows:,} rows" if check.rows is not None else "rows"
    return JobView(
        job=job,
        output=check,
        preview=preview,
        next_step=(
            f"Output verified: _SUCCESS present, {rows} in {check.parts} Parquet part(s). Show the preview; "
            "offer save_results_to_table (preview_results shows more rows)."
        ),
    )


def _plan(app: App, plan_id: str) -> Plan:
    plan = app.plans.get(current_caller().key, plan_id, now=time.time())
    if plan is None:
        raise NotFound(
            f"No plan {plan_id!r} of yours on this server (a plan can be submitted by the client that "
            f"made it, for {app.settings.plan_ttl_seconds // 60} minutes).",
            "Call plan_batch_job again.",
        )
    return plan
