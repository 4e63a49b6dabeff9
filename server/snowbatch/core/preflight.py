"""Preflight: a request checked against the backend's facts before anything is spent.

Pure: the caller gathers the facts (model version, input shape, stage, pool, existing output) and this
module decides, for each, pass / warn / fail with the fix, then writes the human summary that the person
approves. A plan with any failing check cannot be submitted.
"""

from __future__ import annotations

from snowbatch.core.checks_compute import check_output_stage, check_pool
from snowbatch.core.checks_input import (
    check_columns,
    check_files,
    check_input_stage,
    check_named_columns,
    check_params,
    file_column,
    input_columns,
)
from snowbatch.core.engine_checks import check_engine
from snowbatch.core.file_patterns import as_regex
from snowbatch.core.input_columns import map_columns, resolve_rows
from snowbatch.core.names import ObjectName
from snowbatch.core.plan_facts import Check, PlanFacts, Preflight
from snowbatch.core.plan_summary import summarize
from snowbatch.core.requests import BatchJobRequest, BatchJobSpec, ResolvedInput


def resolve_input(request: BatchJobRequest, facts: PlanFacts, column: str) -> ResolvedInput:
    inp = request.input
    if inp.kind == "table":
        mapping = (
            map_columns(facts.relation.columns, inp.columns)[1]
            if isinstance(inp.columns, dict) and facts.relation
            else None
        )
        picked = list(mapping.values()) if mapping else [c.name for c in input_columns(request, facts)]
        staged = facts.parquet_location is not None and facts.relation is not None
        return ResolvedInput(
            kind="table",
            table=(facts.relation.source if facts.relation else inp.table) if inp.table else None,
            query=facts.input_query,
            parquet_location=facts.parquet_location,
            columns=picked if inp.columns or staged else [],
            column_map=mapping,
            column_types={c.name: c.sql_type for c in facts.relation.columns}
            if staged and facts.relation
            else None,
            row_count=facts.relation.row_count if facts.relation else None,
            only_new=facts.only_new,
        )
    if inp.kind == "rows":
        rows, _ = resolve_rows(inp.rows)
        return ResolvedInput(kind="rows", rows=rows, columns=list(rows[0]), row_count=len(rows))
    paths = [f.path for f in facts.files.files] if facts.files else []
    origin = (
        {"stage_location": facts.files.location, "pattern": as_regex(inp.pattern), "limit": inp.limit}
        if facts.files
        else {}
    )
    if inp.kind == "files":
        return ResolvedInput(
            kind="files", files=paths, file_column=column, columns=[column], row_count=len(paths), **origin
        )
    if inp.table:
        return ResolvedInput(
            kind="chat",
            chat_table=facts.relation.source if facts.relation else inp.table,
            table=facts.relation.source if facts.relation else inp.table,
            columns=[],
            row_count=facts.relation.row_count if facts.relation else None,
        )
    return ResolvedInput(
        kind="chat",
        files=paths,
        **origin,
        columns=["MESSAGES"],
        row_count=len(paths),
        chat_template={"prompt": inp.prompt, "system": inp.system, "media": inp.media},
    )


def resolve_job_name(text: str, owner: ObjectName) -> tuple[str, list[Check]]:
    """The job's full name: the model's database and schema unless given (run_batch's rule, snowflake-ml
    2.6 `service_ops.py`). SHOW SERVICE CONTAINERS/INSTANCES refuse quoted names (ledger F34, F35, D16),
    so a job name and its database and schema must be plain identifiers."""
    from snowbatch.core.errors import SnowbatchError
    from snowbatch.core.names import ObjectName

    fix = (
        "Pass job_name= as a plain name, e.g. SCORE_RUN_1, or fully qualified as DB.SCHEMA.NAME in a "
        "schema with a plain name where the role may CREATE SERVICE."
    )
    try:
        job = ObjectName.parse(text, what="job").qualified(owner.database, owner.schema)
    except SnowbatchError as exc:
        return text, [Check(name="job_name", status="fail", message=f"job_name: {exc.problem}", fix=fix)]
    if job.is_plain:
        return str(job), []
    message = (
        f"The job would be named {job}: Snowflake's job commands do not take quoted or case-sensitive "
        "names (a job is created in the model's database and schema unless job_name says otherwise)."
    )
    return str(job), [Check(name="job_name", status="fail", message=message, fix=fix)]


def run_preflight(request: BatchJobRequest, facts: PlanFacts) -> Preflight:
    function = facts.function
    column = file_column(request, function)
    job_name, name_checks = resolve_job_name(facts.job_name, facts.owner)
    checks: list[Check] = [
        Check(
            name="model",
            status="pass",
            message=f"{facts.model} version {facts.detail.version}, function {function.name} "
            f"({function.input_kind} input).",
        ),
        *name_checks,
    ]
    handling: dict[str, str] = dict(request.column_handling or {})
    if request.input.kind in ("files", "chat") or handling:
        file_checks, handling = check_files(request, facts, column)
        checks += file_checks
    if request.input.kind == "chat" and function.input_kind != "chat":
        checks.append(
            Check(
                name="chat_signature",
                status="fail",
                message=f"{function.name} does not take OpenAI chat messages.",
                fix="Use a table, rows or files input for this function.",
            )
        )
    if facts.input_error:
        checks.append(
            Check(
                name="input",
                status="fail",
                message=facts.input_error,
                fix="describe_input shows a table's or query's columns; wait_for_job shows a job's output.",
            )
        )
    checks += check_named_columns(request, facts)
    checks += check_columns(function, input_columns(request, facts), {c.upper() for c in handling})
    rows = facts.relation.row_count if facts.relation else None
    if rows == 0 and facts.only_new:
        key, against = facts.only_new["key"], facts.only_new["against"]
        checks.append(
            Check(
                name="row_count",
                status="fail",
                message=f"No new rows: every {key} of the input is already in {against}; nothing to score.",
                fix="Nothing to do until new rows arrive.",
            )
        )
    elif rows == 0:
        checks.append(
            Check(
                name="row_count",
                status="fail",
                message="The input has no rows.",
                fix="Check the table or query.",
            )
        )
    checks += check_input_stage(facts)
    checks += check_params(request, function)
    checks += check_output_stage(facts, request)
    checks += check_pool(facts, request)
    checks += check_engine(request, facts)
    scheduled = None
    if request.schedule is not None and not name_checks:
        from snowbatch.core.checks_schedule import check_schedule
        from snowbatch.core.schedule import ScheduleFacts

        schedule_checks, scheduled = check_schedule(
            request.schedule,
            facts.schedule or ScheduleFacts(),
            facts.only_new,
            ObjectName.parse(job_name, what="job"),
            facts.snowml_version,
        )
        checks += schedule_checks
    s = request.scaling
    spec = BatchJobSpec(
        model=facts.model,
        version=facts.detail.version,
        function_name=function.name,
        target_method=function.target_method,
        input=resolve_input(request, facts, column),
        output_stage=request.output_stage,
        compute_pool=facts.pool.name if facts.pool else request.compute_pool,
        mode=request.mode,
        job_name=job_name,
        replicas=s.replicas or 1,
        num_workers=s.num_workers,
        max_batch_rows=s.max_batch_rows,
        cpu_requests=s.cpu_requests,
        memory_requests=s.memory_requests,
        gpu_requests=s.gpu_requests,
        params=request.params,
        column_handling=handling or None,
        engine=request.engine,
        engine_args=request.engine_args,
        schedule=scheduled,
    )
    ok = not any(c.status == "fail" for c in checks)
    return Preflight(checks=checks, spec=spec, summary=summarize(spec, facts, checks), ok=ok)
