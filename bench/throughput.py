"""Throughput: a local batch job against the model's own `predict` on the same rows, in the same run.

- the table is generated inside DuckDB (`range()`), straight into the local account's database file;
- the baseline is `model.predict(X)` on the same rows already in memory (a pandas frame), in process;
- the job is the real thing: `submit` snapshots the table to Parquet, a detached runner process loads
  the packaged model, scores row group by row group over `num_workers` forked workers and writes Parquet
  parts and `_SUCCESS`. We report the end-to-end time (submit → DONE) and the scoring phase (the runner's
  own figure: after the model is loaded, until `_SUCCESS`), and sample the runner's process group for
  peak memory.

Two scikit-learn models: `forest` (a random forest, 20 trees of depth 8: the model's own work dominates,
which is what the overhead target is about) and `logreg` (the sample churn model: nearly free per row,
so what remains is the job's I/O — reported, without a target).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import Row, Section, ratio
from bench.procs import GroupSampler
from snowbatch import samples

FEATURES = samples.CHURN_FEATURES
MODELS = {"forest": "BENCH_FOREST", "logreg": "BENCH_LOGREG"}
STAGE = "BENCH_OUT"
POOL = "BENCH_POOL"


def table_name(rows: int) -> str:
    return f"BENCH_ROWS_{rows}"


def make_table(backend: Any, rows: int) -> str:
    """ML.PUBLIC.BENCH_ROWS_<n>: the sample schema, values from hashes of the row number (fast, fixed)."""
    from snowbatch.core.names import Identifier

    name = table_name(rows)
    with backend.tables.connect(Identifier(samples.DATABASE), create=True) as con:
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{samples.SCHEMA}"')
        con.execute(f"""
            CREATE OR REPLACE TABLE "{samples.SCHEMA}"."{name}" AS
            SELECT i + 1 AS CUSTOMER_ID,
                   CAST(1 + hash(i) % 72 AS BIGINT) AS TENURE_MONTHS,
                   CAST(ROUND(20 + (hash(i * 7 + 3) % 10000) / 100.0, 2) AS DOUBLE) AS MONTHLY_CHARGES,
                   CAST(hash(i * 13 + 5) % 6 AS BIGINT) AS SUPPORT_CALLS,
                   CAST(CASE hash(i * 17 + 11) % 3 WHEN 0 THEN 1 WHEN 1 THEN 12 ELSE 24 END AS BIGINT)
                       AS CONTRACT_MONTHS
            FROM range({int(rows)}) t(i)""")
    return name


def load_features(backend: Any, rows: int) -> Any:
    from snowbatch.core.names import Identifier

    cols = ", ".join(FEATURES)
    with backend.tables.connect(Identifier(samples.DATABASE)) as con:
        return con.execute(f'SELECT {cols} FROM "{samples.SCHEMA}"."{table_name(rows)}"').df()


def train(kind: str) -> Any:
    frame = samples.customers_frame(20_000)
    if kind == "logreg":
        return samples.churn_classifier(frame)
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(
        frame[FEATURES], frame["CHURNED"]
    )


def prepare_account(home: Path, kinds: list[str], sizes: list[int]) -> tuple[Any, dict[str, Any]]:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.core.names import Identifier, ObjectName

    backend = LocalBackend(home)
    for rows in sizes:
        make_table(backend, rows)
    sample = samples.customers_frame(50)[FEATURES]
    models = {}
    for kind in kinds:
        model = train(kind)
        name = ObjectName(Identifier(MODELS[kind]), Identifier(samples.SCHEMA), Identifier(samples.DATABASE))
        backend.registry.log_model(
            name, Identifier("V1"), model, sample_input=sample, comment=f"bench {kind}"
        )
        models[kind] = model
    stage = ObjectName(Identifier(STAGE), Identifier(samples.SCHEMA), Identifier(samples.DATABASE))
    backend.stages.create(stage, encryption="SNOWFLAKE_SSE", comment="bench output")
    backend.pools.create(Identifier(POOL), instance_family="CPU_X64_S")
    return backend, models


def raw_predict_seconds(model: Any, features: Any) -> float:
    started = time.perf_counter()
    model.predict(features)
    return time.perf_counter() - started


@dataclass
class JobRun:
    kind: str
    rows: int
    workers: int
    total_s: float  # submit called → DONE seen
    submit_s: float  # the submit call itself (input snapshot to Parquet, runner started)
    runner_s: float | None  # runner: started → completed (model load + scoring + writing)
    load_s: float | None  # runner: model load
    score_s: float | None  # runner: after the model is loaded, until _SUCCESS
    peak_sum_mib: float
    peak_one_mib: float
    procs: int
    rows_out: int | None
    peak_worker_mib: float | None = None  # the runner's own figure: largest scoring process (getrusage)
    waited_s: float | None = None  # runner: model loaded, then waiting for the input snapshot
    warm: bool | None = None  # its runner was forked by a warm runner (not a child of this process)


_LOADED = re.compile(r"model loaded in ([\d.]+)s")
_DONE = re.compile(r"job done: (\d+) rows in ([\d.]+)s")
_WORKERS = re.compile(r"rows in \d+ batches over (\d+) worker")
_PEAK = re.compile(r"peak RSS of a scoring process: ([\d.]+) MiB")
_WAITED = re.compile(r"then waited ([\d.]+)s for the input snapshot")


def _runner_facts(log: str) -> tuple[int | None, float | None, float | None]:
    """(workers the runner used, peak RSS of its scoring processes in MiB, seconds it waited for the
    input snapshot after loading the model), from its log lines."""
    workers, peak, waited = _WORKERS.search(log), _PEAK.search(log), _WAITED.search(log)
    return (
        int(workers[1]) if workers else None,
        float(peak[1]) if peak else None,
        float(waited[1]) if waited else None,
    )


def _phases(log: str) -> tuple[float | None, float | None]:
    """(model load, load + scoring) seconds, from the runner's own log lines."""
    loaded = _LOADED.search(log)
    done = _DONE.search(log)
    return (float(loaded[1]) if loaded else None, float(done[2]) if done else None)


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def run_job(
    backend: Any,
    kind: str,
    rows: int,
    workers: int | None,
    *,
    function: str = "PREDICT",
    timeout: float = 600,
    poll: float = 0.05,
) -> JobRun:
    """One job end to end (submit → DONE seen); `workers` None leaves the count to the pool (auto)."""
    from snowbatch.backends.local.jobstate import JobFiles
    from snowbatch.core.names import ObjectName, StageLocation
    from snowbatch.core.requests import BatchJobRequest, Scaling
    from snowbatch.planning import make_plan

    db, sc = samples.DATABASE, samples.SCHEMA
    request = BatchJobRequest(
        model=f"{db}.{sc}.{MODELS[kind]}",
        function=function,
        input={"kind": "table", "table": f"{db}.{sc}.{table_name(rows)}"},
        output_stage=f"@{db}.{sc}.{STAGE}/{kind}-{rows}-{workers or 'auto'}w-{time.time_ns()}/",
        compute_pool=POOL,
        mode="error",
        scaling=Scaling(num_workers=workers),
    )
    plan = make_plan(backend, request, snowml_version=None)
    if not plan.ok:
        raise RuntimeError(f"bench plan failed: {[c for c in plan.checks if c.status == 'fail']}")
    started = time.perf_counter()
    job = backend.submit_job(plan.spec)
    submit_s = time.perf_counter() - started
    job_name = ObjectName.parse(job.job_id)
    files = JobFiles(backend.account.job_dir(job_name.name.name))
    state = files.read_state()
    warm = _forked(int(state.get("pid") or 0))
    sampler = GroupSampler(int(state.get("pgid") or state.get("pid") or 0)).start()
    try:
        while True:
            info = backend.get_job(job_name)
            if info.is_terminal:
                break
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"bench job {job.job_id} still {info.status} after {timeout}s")
            time.sleep(poll)
    finally:
        sampler.stop()
    total_s = time.perf_counter() - started
    if info.status != "DONE":
        log = files.log_file.read_text(errors="replace")[-2000:] if files.log_file.exists() else ""
        raise RuntimeError(f"bench job ended {info.status}: {info.message}\n{log}")
    log = files.log_file.read_text(errors="replace")
    load_s, load_and_score = _phases(log)
    used, peak_worker, waited = _runner_facts(log)
    out = backend.inspect_output(StageLocation.parse(info.output_location or ""))
    result = JobRun(
        kind=kind,
        rows=rows,
        workers=used or workers or 0,
        total_s=total_s,
        submit_s=submit_s,
        runner_s=_seconds_between(
            info.started_on and info.started_on.isoformat(),
            info.completed_on and info.completed_on.isoformat(),
        ),
        load_s=load_s,
        score_s=(load_and_score - load_s) if load_s is not None and load_and_score else None,
        peak_sum_mib=sampler.peak_sum_mib,
        peak_one_mib=sampler.peak_one_mib,
        procs=sampler.peak_procs,
        rows_out=out.rows,
        peak_worker_mib=peak_worker,
        waited_s=waited,
        warm=warm,
    )
    # keep the disk bounded: the input snapshot and the results are not needed any more
    shutil.rmtree(files.dir, ignore_errors=True)
    shutil.rmtree(
        backend.account.location_path(StageLocation.parse(info.output_location or "")), ignore_errors=True
    )
    return result


def _forked(pid: int) -> bool | None:
    """Whether the job's runner is not this process's child (a warm runner forked it); None if gone."""
    import os

    from snowbatch.backends.local.processes import proc_stat

    stat = proc_stat(pid) if pid else None
    return None if stat is None else int(stat[1]) != os.getpid()


def run(
    sizes: tuple[int, int] = (1_000_000, 10_000_000), workdir: Path | None = None, with_logreg: bool = True
) -> Section:
    small, large = sizes
    section = Section("throughput")
    kinds = ["forest", "logreg"] if with_logreg else ["forest"]
    tmp = Path(tempfile.mkdtemp(prefix="snowbatch-bench-throughput-", dir=workdir))
    try:
        t0 = time.perf_counter()
        backend, models = prepare_account(tmp / "home", kinds, [small, large])
        section.notes.append(
            f"setup (tables of {small:,} and {large:,} rows via DuckDB range(), models logged): "
            f"{time.perf_counter() - t0:.1f}s"
        )
        raw: dict[tuple[str, int], float] = {}
        for rows in (small, large):
            features = load_features(backend, rows)
            for kind in kinds:
                raw[(kind, rows)] = raw_predict_seconds(models[kind], features)
            del features
        runs: dict[tuple[str, int, int], JobRun] = {}
        plan = [("forest", small, 1), ("forest", large, 1), ("forest", large, 2), ("forest", small, 2)]
        if with_logreg:
            plan += [("logreg", small, 1), ("logreg", large, 1)]
        for kind, rows, workers in plan:
            runs[(kind, rows, workers)] = run_job(backend, kind, rows, workers)
        section.details["raw"] = {f"{k}/{r}": s for (k, r), s in raw.items()}
        section.details["jobs"] = [r.__dict__ for r in runs.values()]
        _rows(section, raw, runs, small, large, with_logreg)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return section


def _rows(
    section: Section,
    raw: dict[tuple[str, int], float],
    runs: dict[tuple[str, int, int], JobRun],
    small: int,
    large: int,
    with_logreg: bool,
) -> None:
    for kind in ("forest", "logreg") if with_logreg else ("forest",):
        for rows in (small, large):
            job = runs[(kind, rows, 1)]
            base = raw[(kind, rows)]
            target = 1.10 if kind == "forest" else None
            if job.score_s is not None:
                section.rows.append(
                    Row(
                        "throughput",
                        f"{kind}, {rows:,} rows, 1 worker: scoring phase",
                        rows / job.score_s,
                        "rows/s",
                        rows / base,
                        "model.predict in memory",
                        job.score_s / base,
                        target,
                        "<=",
                        note=f"time ratio job/raw = {job.score_s:.2f}s / {base:.2f}s; "
                        "read Parquet → predict → write Parquet per row group",
                    )
                )
            section.rows.append(
                Row(
                    "throughput",
                    f"{kind}, {rows:,} rows, 1 worker: end to end",
                    rows / job.total_s,
                    "rows/s",
                    rows / base,
                    "model.predict in memory",
                    job.total_s / base,
                    note=f"{job.total_s:.1f}s = submit/snapshot {job.submit_s:.1f}s + runner start/import + "
                    f"model load {job.load_s or 0:.1f}s + scoring {job.score_s or 0:.1f}s; "
                    f"rows out {job.rows_out:,}",
                )
            )
    one, two = runs[("forest", large, 1)], runs[("forest", large, 2)]
    if one.score_s and two.score_s:
        section.rows.append(
            Row(
                "throughput",
                f"forest, {large:,} rows: 2 workers vs 1 (scoring phase)",
                one.score_s / two.score_s,
                "×",
                target=1.7,
                compare=">=",
                target_on="value",
                note=f"{one.score_s:.1f}s → {two.score_s:.1f}s; end to end {one.total_s:.1f}s → "
                f"{two.total_s:.1f}s ({one.total_s / two.total_s:.2f}×)",
            )
        )
    s_one, s_two = runs[("forest", small, 1)], runs[("forest", small, 2)]
    if s_one.score_s and s_two.score_s:
        section.rows.append(
            Row(
                "throughput",
                f"forest, {small:,} rows: 2 workers vs 1 (scoring phase)",
                s_one.score_s / s_two.score_s,
                "×",
                note=f"{s_one.score_s:.1f}s → {s_two.score_s:.1f}s",
            )
        )
    for kind in ("forest", "logreg") if with_logreg else ("forest",):
        a, b = runs[(kind, small, 1)], runs[(kind, large, 1)]
        section.rows.append(
            Row(
                "throughput",
                f"{kind}: runner peak RSS, {large:,} vs {small:,} rows (1 worker)",
                b.peak_sum_mib,
                "MiB",
                a.peak_sum_mib,
                f"{small:,} rows",
                ratio(b.peak_sum_mib, a.peak_sum_mib),
                1.2 if kind == "forest" else None,
                "<=",
                note=f"largest single process {b.peak_one_mib:,.0f} vs {a.peak_one_mib:,.0f} MiB",
            )
        )
    w2 = runs[("forest", large, 2)]
    section.rows.append(
        Row(
            "throughput",
            f"forest, {large:,} rows, 2 workers: peak RSS of runner + workers",
            w2.peak_sum_mib,
            "MiB",
            note=f"sum over {w2.procs} processes (shared pages counted per process); largest single "
            f"{w2.peak_one_mib:,.0f} MiB",
        )
    )
