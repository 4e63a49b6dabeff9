"""Turning a job request into a Plan: gather the backend's facts, run preflight, render the code.

This is the one place that orchestrates backend calls for planning; it speaks only to the Backend
protocol, so it works unchanged on both backends (and its statement count is what bench/ measures).
"""

from __future__ import annotations

from snowbatch.backends.base import Backend
from snowbatch.core.errors import SnowbatchError
from snowbatch.core.names import SchemaName, StageLocation
from snowbatch.core.output import occupants
from snowbatch.core.plan_facts import PlanFacts
from snowbatch.core.plans import Plan, new_job_name, plan_id_for
from snowbatch.core.preflight import run_preflight
from snowbatch.core.requests import BatchJobRequest, RequestNames
from snowbatch.core.signatures import find_function
from snowbatch.core.stage_use import unusable_reason, usable_for_output

MAX_FILES = 100_000
MAX_OCCUPANTS = 200  # files listed from a non-empty output base: enough to name what is there


def gather_facts(backend: Backend, request: BatchJobRequest, names: RequestNames) -> PlanFacts:
    detail = backend.version_detail(names.model, names.version)
    function = find_function(detail.functions, request.function)
    inp = request.input
    facts = PlanFacts(
        backend=backend.name,
        model=str(names.model),
        owner=names.model,
        detail=detail,
        function=function,
        job_name=request.job_name or new_job_name(),
    )
    if names.table is not None:
        facts.relation = backend.describe_table(names.table, count_rows=True)
    if names.files_location is not None:
        limit = getattr(inp, "limit", None)
        facts.files = backend.list_stage_files(
            names.files_location, pattern=getattr(inp, "pattern", None), limit=limit or MAX_FILES
        )
        if limit and facts.files.count > limit:
            facts.files = facts.files.model_copy(update={"count": len(facts.files.files)})
        facts.input_stage = backend.describe_stage(names.files_location.stage)  # read in place: SSE?
    output = names.output
    try:
        facts.stage = backend.describe_stage(output.stage)
        listing = backend.list_stage_files(output, pattern=None, limit=MAX_OCCUPANTS)
        base = str(output)
        facts.output_occupants = occupants(
            [f.path[len(base) :] for f in listing.files if f.path.startswith(base)]
        )
    except SnowbatchError as exc:
        facts.stage_error = str(exc)
    if facts.stage is None or unusable_reason(facts.stage):
        facts.usable_stages = _usable_stages(backend, output)
    pools = {p.name: p for p in backend.list_compute_pools()}
    facts.pool = pools.get(names.pool.name)
    if facts.pool is None:
        facts.pool_error = (
            f"Compute pool {names.pool} does not exist or this role has no USAGE on it"
            f" (visible: {', '.join(pools) or 'none'})."
        )
    return facts


def _usable_stages(backend: Backend, output: StageLocation) -> list[str]:
    """SSE stages beside the one named, so the fix names what exists before suggesting create_stage."""
    name = output.stage
    if name.database is None or name.schema is None:
        return []
    try:
        return usable_for_output(backend.list_stages(SchemaName(name.database, name.schema)))
    except SnowbatchError:
        return []  # no USAGE on the schema, or it does not exist: the check's message says so


def make_plan(backend: Backend, request: BatchJobRequest, *, snowml_version: str | None) -> Plan:
    names = RequestNames.of(request, backend.default_schema())  # the one parse of the request's names
    request = request.model_copy(update={"output_stage": str(names.output)})
    facts = gather_facts(backend, request, names)
    pre = run_preflight(request, facts)
    from snowbatch.templates import render_for_spec

    try:
        rendered = render_for_spec(pre.spec, snowml_version)
    except SnowbatchError:
        if pre.ok:
            raise
        # A blocked plan (e.g. no files matched) may have nothing to render; its checks say why.
        code, code_version = None, None
    else:
        code, code_version = rendered.code, rendered.target_version
    return Plan(
        plan_id=plan_id_for(pre.spec),
        spec=pre.spec,
        checks=pre.checks,
        summary=pre.summary,
        ok=pre.ok,
        code=code,
        code_version=code_version,
    )
