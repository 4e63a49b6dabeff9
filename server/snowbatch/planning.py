"""Turning a job request into a Plan: gather the backend's facts, run preflight, render the code.

This is the one place that orchestrates backend calls for planning; it speaks only to the Backend
protocol, so it works unchanged on both backends (and its statement count is what bench/ measures).
"""

from __future__ import annotations

import re

from snowbatch.backends.base import Backend
from snowbatch.core.checks_input import sql_type_of
from snowbatch.core.errors import SnowbatchError
from snowbatch.core.file_patterns import PATTERN_RULE, as_regex, first_files, nearest_paths, without_paths
from snowbatch.core.names import ObjectName, SchemaName, StageLocation
from snowbatch.core.output import occupants
from snowbatch.core.plan_facts import PlanFacts
from snowbatch.core.plans import Plan, new_job_name, plan_id_for
from snowbatch.core.preflight import run_preflight
from snowbatch.core.records import ColumnInfo, FileListing, RelationInfo
from snowbatch.core.requests import PATH_COLUMN, BatchJobRequest, BatchJobSpec, RequestNames
from snowbatch.core.schedule import ScheduleFacts
from snowbatch.core.signatures import find_function
from snowbatch.core.stage_use import unusable_reason, usable_for_output
from snowbatch.core.warehouse import check_query

MAX_FILES = 100_000
NEAREST_FROM = 200  # paths a near miss is looked for among
MAX_SKIPPED = 1000  # a trial is small: the files it scored are read from its results
# a stage path a staged-file query can name as it is (FROM @stage/path takes no quoting)
PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]*")
MAX_OCCUPANTS = 200  # files listed from a non-empty output base: enough to name what is there


def gather_facts(
    backend: Backend, request: BatchJobRequest, names: RequestNames, snowml_version: str | None = None
) -> PlanFacts:
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
        snowml_version=snowml_version,
    )
    if names.table is not None:
        facts.relation = backend.describe_table(names.table, count_rows=names.new_key is None)
    if inp.kind == "table" and inp.query is not None:
        _query_facts(backend, inp.query, facts, count=names.new_key is None)
    if names.new_key is not None and names.scored_in is not None and facts.input_error is None:
        _new_rows_facts(backend, names, facts)
    if names.job is not None:
        _job_output_facts(backend, names.job, facts)
    if names.parquet is not None:  # Parquet someone put on a stage: no _SUCCESS needed, a job's partial never
        _parquet_facts(
            backend, names.parquet, facts, f"Parquet at {names.parquet}", readable=("complete", "foreign")
        )
    if names.files_location is not None:
        limit = getattr(inp, "limit", None)
        facts.files = list_files(
            backend, names.files_location, getattr(inp, "pattern", None), limit or MAX_FILES
        )
        if names.skip_scored is not None:
            _skip_scored(backend, names.skip_scored, facts)
        if limit:
            facts.files = first_files(facts.files, limit)
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
    if request.schedule is not None:
        facts.schedule = _schedule_facts(backend, request.schedule, facts)
    pools = {p.name: p for p in backend.list_compute_pools()}
    facts.pool = pools.get(names.pool.name)
    if facts.pool is None:
        facts.pool_error = (
            f"Compute pool {names.pool} does not exist or this role has no USAGE on it"
            f" (visible: {', '.join(pools) or 'none'})."
        )
    return facts


def list_files(backend: Backend, location: StageLocation, pattern: str | None, limit: int) -> FileListing:
    """Files under a location whose path matches a regex or a glob (core.file_patterns); when none
    does, the listing says which paths come nearest and how patterns are read."""
    listing = backend.list_stage_files(location, pattern=as_regex(pattern), limit=limit)
    if listing.count or pattern is None:
        return listing
    there = backend.list_stage_files(location, pattern=None, limit=NEAREST_FROM)
    if not there.count:
        return listing.model_copy(update={"note": f"{location} holds no files at all."})
    near = nearest_paths(pattern, [f.path for f in there.files])
    note = f"No path matches {pattern!r}; nearest of {there.count}: {', '.join(near)}. {PATTERN_RULE}"
    return listing.model_copy(update={"note": note})


def _skip_scored(backend: Backend, job_id: ObjectName, facts: PlanFacts) -> None:
    """Leave out the files a finished trial already scored (its FILE_PATH column says which)."""
    assert facts.files is not None
    try:
        job = backend.get_job(job_id)
        if job.status != "DONE" or not job.output_location:
            facts.input_error = (
                f"Job {job.job_id} is {job.status}: only a DONE trial's files can be left out."
            )
            return
        where = StageLocation.parse(job.output_location)
        scored = backend.preview_results(where, limit=MAX_SKIPPED, max_cell_chars=1000)
    except SnowbatchError as exc:
        facts.input_error = exc.problem
        return
    if PATH_COLUMN not in scored.columns:
        facts.input_error = f"The output of job {job.job_id} has no {PATH_COLUMN} column to tell its files."
        return
    paths = {str(row[PATH_COLUMN]) for row in scored.rows}
    facts.files = without_paths(facts.files, paths, str(job.job_id))


def _query_facts(backend: Backend, query: str, facts: PlanFacts, *, count: bool) -> None:
    """A query input: checked as one SELECT (as run_in_warehouse checks it), its columns described and,
    unless only_new counts its new rows instead, its rows counted."""
    try:
        facts.input_query = check_query(query)
        facts.relation = backend.describe_query(facts.input_query, count_rows=count)
    except SnowbatchError as exc:
        facts.input_error = exc.problem


def _new_rows_facts(backend: Backend, names: RequestNames, facts: PlanFacts) -> None:
    """only_new: the input becomes the rows whose key is not yet in the results table, counted."""
    from snowbatch.core.input_select import new_rows_query

    assert names.new_key is not None and names.scored_in is not None
    key = names.new_key.name
    try:
        scored = backend.describe_table(names.scored_in, count_rows=False)
    except SnowbatchError as exc:
        facts.input_error = (
            f"{exc.problem} only_new reads the keys already scored from {names.scored_in}: for a first run, "
            "leave only_new out and save the results to that table."
        )
        return
    for where, columns in (
        ("the input", facts.relation.columns if facts.relation else []),
        (str(names.scored_in), scored.columns),
    ):
        if key not in [c.name for c in columns]:
            facts.input_error = (
                f"only_new: {where} has no column {key} (columns: {', '.join(c.name for c in columns)})."
            )
            return
    query = new_rows_query(names.table, facts.input_query, names.new_key, names.scored_in)
    try:
        facts.input_query = check_query(query)
        counted = backend.describe_query(facts.input_query, count_rows=True)
    except SnowbatchError as exc:
        facts.input_error = exc.problem
        return
    source = facts.relation.source if facts.relation else counted.source  # the table or query named
    facts.relation = counted.model_copy(update={"source": source})
    facts.only_new = {"key": key, "against": str(names.scored_in)}


def _job_output_facts(backend: Backend, job_id: ObjectName, facts: PlanFacts) -> None:
    """A finished job's output as the input: only a DONE job's complete output (_SUCCESS) is read."""
    try:
        job = backend.get_job(job_id)
    except SnowbatchError as exc:
        facts.input_error = exc.problem
        return
    if job.status != "DONE" or not job.output_location:
        facts.input_error = f"Job {job.job_id} is {job.status}: only a DONE job's output can be the input."
        return
    where = StageLocation.parse(job.output_location)
    _parquet_facts(backend, where, facts, f"output of job {job.job_id}", readable=("complete",))


def _parquet_facts(
    backend: Backend, location: StageLocation, facts: PlanFacts, label: str, *, readable: tuple[str, ...]
) -> None:
    """Parquet files on a stage as the input, read in place: their columns come from the first row
    (names as written, types from the values). A job's output without _SUCCESS is never read."""
    if not PLAIN_PATH.fullmatch(location.path):
        facts.input_error = (
            f"The {label} is at {location}, a path a staged-file query cannot name unquoted; load it into "
            "a table (save_results_to_table) and use that table."
        )
        return
    try:
        output = backend.inspect_output(location)
        if output.state not in readable:
            facts.input_error = f"The {label} is {output.state}: it cannot be a job's input."
            return
        first = backend.preview_results(location, limit=1, max_cell_chars=40)
    except SnowbatchError as exc:
        facts.input_error = exc.problem
        return
    row = first.rows[0] if first.rows else {}
    columns = [ColumnInfo(name=c, sql_type=sql_type_of(row.get(c))) for c in first.columns]
    facts.relation = RelationInfo(source=label, columns=columns, row_count=output.rows)
    facts.parquet_location = str(location.as_directory())


def _schedule_facts(backend: Backend, schedule: str, facts: PlanFacts) -> ScheduleFacts:
    """Free names for the task and its procedure, the task's warehouse (the session's) and the releases a
    procedure can install (backend), and the time zone against this machine's tz database."""
    import zoneinfo

    from snowbatch.core.preflight import resolve_job_name
    from snowbatch.core.schedule import parse_schedule, task_names

    job, name_checks = resolve_job_name(facts.job_name, facts.owner)
    if name_checks:
        return ScheduleFacts()  # the job_name check says what is wrong
    try:
        _, zone = parse_schedule(schedule)
    except SnowbatchError:
        return ScheduleFacts()  # the schedule check says what is wrong
    task, procedure = task_names(ObjectName.parse(job, what="job"))
    found = backend.schedule_facts(task, procedure)
    try:
        zoneinfo.ZoneInfo(zone)
        found.time_zone_known = True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # no answer when this machine has no tz database at all; else the name is unknown
        found.time_zone_known = False if zoneinfo.available_timezones() else None
    return found


def _usable_stages(backend: Backend, output: StageLocation) -> list[str]:
    """SSE stages beside the one named, so the fix names what exists before suggesting create_stage."""
    name = output.stage
    if name.database is None or name.schema is None:
        return []
    try:
        return usable_for_output(backend.list_stages(SchemaName(name.database, name.schema)))
    except SnowbatchError:
        return []  # no USAGE on the schema, or it does not exist: the check's message says so


def cost_line(backend: Backend, spec: BatchJobSpec, facts: PlanFacts) -> str:
    """Hours and node-hours of the job, with their basis (core.cost; evidence from estimates.py)."""
    from snowbatch.core.cost import describe, estimate_job
    from snowbatch.estimates import job_evidence

    rows = spec.input.row_count or len(spec.input.files or []) or None
    family = facts.pool.instance_family if facts.pool else None
    estimate = estimate_job(rows, spec.replicas, family, job_evidence(backend, spec, facts))
    return describe(estimate, billed=backend.name != "local")


def _cost(backend: Backend, spec: BatchJobSpec, facts: PlanFacts) -> str:
    """The summary's cost line; a schedule's is per run, at today's count of new rows, and its task's
    warehouse is in use while the procedure waits for the job."""
    cost = cost_line(backend, spec, facts)
    if spec.schedule is None:
        return cost
    waits = f"; and warehouse {spec.schedule.warehouse} while it waits" if backend.name != "local" else ""
    return f"each run, at today's count: {cost}{waits}"


def make_plan(backend: Backend, request: BatchJobRequest, *, snowml_version: str | None) -> Plan:
    names = RequestNames.of(request, backend.default_schema())  # the one parse of the request's names
    request = request.model_copy(update={"output_stage": str(names.output)})
    facts = gather_facts(backend, request, names, snowml_version)
    pre = run_preflight(request, facts)
    from snowbatch.templates import render_for_spec

    if pre.spec.schedule is not None:  # the code is the script the backend runs: the procedure's release
        snowml_version = pre.spec.schedule.snowml_version
    try:
        rendered = render_for_spec(pre.spec, snowml_version)
    except SnowbatchError:
        if pre.ok:
            raise
        # A blocked plan (e.g. no files matched) may have nothing to render; its checks say why.
        code, code_version = None, None
    else:
        code, code_version = rendered.code, rendered.target_version
        if pre.spec.schedule is not None:  # sent as shown: the statements are the script's own
            from snowbatch.core.schedule import script_statements

            scheduled = pre.spec.schedule.model_copy(update={"statements": script_statements(code)})
            pre = pre.model_copy(update={"spec": pre.spec.model_copy(update={"schedule": scheduled})})
    summary = f"{pre.summary}\n  cost     {_cost(backend, pre.spec, facts)}" if pre.ok else pre.summary
    return Plan(
        plan_id=plan_id_for(pre.spec),
        spec=pre.spec,
        checks=pre.checks,
        summary=summary,
        ok=pre.ok,
        code=code,
        code_version=code_version,
    )
