"""The evidence a cost estimate stands on, gathered from a backend (core/cost.py turns it into figures).

Speaks only to the Backend protocol, so both backends give the same kinds of evidence:
- the last finished job of the same model version and function on the same compute pool (its rows from
  the job's own record, its wall time from created_on to completed_on);
- a timed sample: `run_in_warehouse` on the first rows of the input, twice (core.cost.SAMPLE_SIZES),
  when the version may run in a warehouse and the input is a table or a SELECT.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from snowbatch.backends.base import Backend
from snowbatch.core.cost import SAMPLE_SIZES, Evidence, from_job, from_samples
from snowbatch.core.errors import SnowbatchError
from snowbatch.core.names import Identifier, ObjectName
from snowbatch.core.records import WAREHOUSE, JobInfo, runs_on
from snowbatch.core.requests import BatchJobSpec

log = logging.getLogger("snowbatch")
RECENT_JOBS = 50  # how far back the jobs list is searched for a finished run of the same version
# A summary is approved as it was shown: a gated call asks again if its question changes, and fresh
# timings would change it. So a run's cost line is measured once and kept while an approval can last.
KEEP_SECONDS = 3600  # the longest confirmation_ttl_seconds allows
KEEP_AT_MOST = 64
_measured: dict[str, tuple[float, str]] = {}


def _kept(key: str, measure: Any) -> str:
    now = time.monotonic()
    for old in [k for k, (at, _) in _measured.items() if now - at > KEEP_SECONDS]:
        del _measured[old]
    if key not in _measured:
        while len(_measured) >= KEEP_AT_MOST:
            del _measured[next(iter(_measured))]
        _measured[key] = (now, measure())
    return _measured[key][1]


def _same(a: str | None, b: str | None, parse: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        return bool(parse(a) == parse(b))
    except SnowbatchError:
        return False


def _is_like(job: JobInfo, spec: BatchJobSpec) -> bool:
    return (
        job.kind == "batch"
        and job.status == "DONE"
        and _same(job.model, spec.model, lambda t: ObjectName.parse(t, what="model"))
        and _same(job.version, spec.version, Identifier.parse)
        and _same(job.function, spec.function_name, Identifier.parse)
        and _same(job.compute_pool, spec.compute_pool, Identifier.parse)
    )


def last_job_evidence(backend: Backend, spec: BatchJobSpec) -> Evidence | None:
    """The most recent DONE job of this version's function on this pool with known rows and wall time."""
    try:
        jobs = backend.list_jobs(limit=RECENT_JOBS, cursor=None).items
    except SnowbatchError:
        return None
    for job in jobs:
        rows = job.input_rows
        if not _is_like(job, spec) or not rows or not job.created_on or not job.completed_on:
            continue
        try:
            seconds = (job.completed_on - job.created_on).total_seconds()
        except TypeError:  # one time with a zone and one without: not comparable, not evidence
            continue
        if seconds > 0:
            return from_job(job.job_id, rows, seconds, job.replicas)
    return None


def sample_evidence(backend: Backend, run_spec: Any, rows: int | None, where: str) -> Evidence | None:
    """Time the function on the first rows of the input, at two sizes, after one untimed run that loads
    the model (a cold load is not a per-row cost); None when it cannot run so."""
    small, large = (min(n, rows) for n in SAMPLE_SIZES) if rows else SAMPLE_SIZES
    timings = []
    try:
        backend.run_in_warehouse(run_spec, preview_limit=small, max_cell_chars=40)
        for n in (small, large):
            started = time.perf_counter()
            backend.run_in_warehouse(run_spec, preview_limit=n, max_cell_chars=40)
            timings.append(time.perf_counter() - started)
    except SnowbatchError:
        return None
    except Exception:  # an estimate is optional: a library failing on the sample must not fail the plan
        log.warning("timing a sample of %s failed; the estimate says unknown", run_spec.model, exc_info=True)
        return None
    return from_samples(small, timings[0], large, timings[1], where)


def job_evidence(backend: Backend, spec: BatchJobSpec, facts: Any) -> Evidence | None:
    """For a batch job: a finished job of the same version on the same pool, else a timed sample."""
    found = last_job_evidence(backend, spec)
    if found is not None:
        return found
    inp = spec.input
    if inp.kind != "table" or inp.parquet_location or not runs_on(facts.detail.runnable_in, WAREHOUSE):
        return None
    from snowbatch.core.input_select import input_select
    from snowbatch.core.warehouse import make_spec

    try:
        run_spec = make_spec(
            facts.detail,
            facts.function,
            facts.relation.columns if facts.relation else [],
            input_table=None if inp.query or inp.column_map else inp.table,
            input_query=input_select(inp, facts.owner),
            partition_column=None,
            output_table=None,
            mode="error",
        )
    except SnowbatchError:
        return None
    where = "run() in the warehouse, one process" if backend.name != "local" else "one local process"
    return sample_evidence(backend, run_spec, inp.row_count, where)


def warehouse_cost_line(backend: Backend, spec: Any) -> str:
    """Hours (and credits, where the size has a published rate) of a warehouse run, with the basis;
    the same text for the same run while its approval can last."""
    return _kept(f"{id(backend)}:{spec.model_dump_json()}", lambda: _warehouse_cost_line(backend, spec))


def _warehouse_cost_line(backend: Backend, spec: Any) -> str:
    from snowbatch.core.cost import describe, estimate_warehouse, standard_rate

    rows = None
    if spec.input_table is not None:
        try:
            table = ObjectName.parse(spec.input_table, what="table")
            rows = backend.describe_table(table, count_rows=True).row_count
        except SnowbatchError:
            rows = None
    preview = spec.model_copy(update={"output_table": None})
    where = "run() in the warehouse" if backend.name != "local" else "one local process"
    evidence = sample_evidence(backend, preview, rows, where)
    info = backend.warehouse_info()
    size = info.size if info else None
    rate = standard_rate(size, info.type, info.generation) if info else None
    return describe(estimate_warehouse(rows, size, rate, evidence), billed=backend.name != "local")
