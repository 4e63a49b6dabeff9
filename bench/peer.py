"""Peer: a local batch job end to end against the script a person would write by hand, in the same run.

The script (`bench/peer_script.py`) is one process that streams the same DuckDB table in record batches,
runs the same scikit-learn model's `predict_proba` and writes the same columns to Parquet; it is timed
from spawn until it reports its output file closed. The job is the real thing: `submit` (the input
snapshot, the runner started) until DONE is seen, with `PREDICT_PROBA` at the pool's default worker count
(auto: the pool's vCPUs, at most the machine's cores) and at 1 worker, its runner forked by the warm runner
(backends/local/warm.py) the untimed warm-up started; and, without a target, at 1 worker started cold
(SNOWBATCH_WARM_RUNNER=0: a new interpreter, as a first job or one after an upgrade). Two models: `logreg`
(nearly free per row: what is left is the job's own cost) and `forest` (20 trees of depth 8: the model's
work counts).

Each configuration runs `reps` times, the three contenders back to back (order rotated per rep); times are
medians and a ratio is the median of each rep's job / script, so drift on a shared machine hits both sides
of a pair. Peak memory of the job is its scoring processes' peak RSS as the runner reports it (VmHWM of
itself, or `getrusage` of its reaped workers), at the smallest and largest size: flat means the job holds
batches, never the table.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import throughput
from bench.common import Row, Section, median, ratio
from snowbatch import samples

SCRIPT = Path(__file__).with_name("peer_script.py")
KINDS = ("logreg", "forest")
BATCH_ROWS = 50_000  # the job's default batch for a table, so both read and write the same batches
TARGETS: dict[str, float | None] = {"auto": 1.0, "1 worker": 1.15, "1 worker, cold": None}
FLAT = 1.1  # peak RSS at the largest size at most this times the smallest


@dataclass
class PeerRun:
    seconds: float
    rows: int
    peak_rss_mib: float


def run_script(home: Path, model_file: Path, rows: int, out: Path) -> PeerRun:
    """The hand-written script, timed from spawn until it reports its Parquet file closed."""
    database = home / "databases" / f"{samples.DATABASE}.duckdb"
    table = f"{samples.SCHEMA}.{throughput.table_name(rows)}"
    args = [sys.executable, str(SCRIPT), str(database), table, str(model_file), str(out), str(BATCH_ROWS)]
    started = time.perf_counter()
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        seconds = time.perf_counter() - started
        proc.wait(timeout=60)
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"the peer script failed (exit {proc.returncode})")
    report = json.loads(line)
    out.unlink(missing_ok=True)
    return PeerRun(seconds, int(report["rows"]), float(report["peak_rss_mib"]))


def _cold(backend: Any, kind: str, rows: int) -> Any:
    """A job whose runner starts as a new interpreter (the warm runner switched off for its submit)."""
    from snowbatch.backends.local import warm

    os.environ[warm.SWITCH] = "0"  # not part of the warm runner's fingerprint: the others still find it
    try:
        return throughput.run_job(backend, kind, rows, 1, function="PREDICT_PROBA", poll=0.01)
    finally:
        del os.environ[warm.SWITCH]


def _contenders(backend: Any, home: Path, model_file: Path, kind: str, rows: int) -> dict[str, Any]:
    out = home.parent / f"peer-{kind}-{rows}.parquet"
    return {
        "script": lambda: run_script(home, model_file, rows, out),
        "auto": lambda: throughput.run_job(backend, kind, rows, None, function="PREDICT_PROBA", poll=0.01),
        "1 worker": lambda: throughput.run_job(backend, kind, rows, 1, function="PREDICT_PROBA", poll=0.01),
        "1 worker, cold": lambda: _cold(backend, kind, rows),
    }


def _await_warm_runner(seconds: float = 60.0) -> bool:
    """Wait until the warm runner the warm-up started accepts jobs (True), or give up."""
    import socket

    from snowbatch.backends.local import warm
    from snowbatch.backends.local.processes import job_env

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(warm._address(warm.fingerprint(job_env())))
                return True
            except OSError:
                time.sleep(0.2)
    return False


def run(
    sizes: tuple[int, ...] = (2_000_000, 10_000_000),
    workdir: Path | None = None,
    reps: int = 3,
    kinds: tuple[str, ...] = KINDS,
) -> Section:
    section = Section("peer")
    tmp = Path(tempfile.mkdtemp(prefix="snowbatch-bench-peer-", dir=workdir))
    try:
        t0 = time.perf_counter()
        warm = 100_000  # one untimed run of each contender first: imports from a warm page cache
        backend, models = throughput.prepare_account(tmp / "home", list(kinds), [warm, *sizes])
        model_files = {}
        for kind, model in models.items():
            model_files[kind] = tmp / f"{kind}.pkl"
            model_files[kind].write_bytes(pickle.dumps(model))
        for once in _contenders(backend, tmp / "home", model_files[kinds[0]], kinds[0], warm).values():
            once()  # the second job that finds no warm runner starts one
        ready = _await_warm_runner()
        section.notes.append(
            f"peer setup (tables, models, warm-up): {time.perf_counter() - t0:.1f}s; warm runner "
            + ("ready" if ready else "NOT ready: jobs start cold")
        )
        results: dict[tuple[str, int, str], list[Any]] = {}
        for rows in sizes:
            for kind in kinds:
                contenders = list(_contenders(backend, tmp / "home", model_files[kind], kind, rows).items())
                for rep in range(reps):
                    n = len(contenders)
                    for name, once in contenders[rep % n :] + contenders[: rep % n]:
                        results.setdefault((kind, rows, name), []).append(once())
        section.details["runs"] = {
            f"{k}/{r}/{n}": [x.__dict__ for x in v] for (k, r, n), v in results.items()
        }
        _rows(section, results, sizes, kinds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return section


def _rows(
    section: Section,
    results: dict[tuple[str, int, str], list[Any]],
    sizes: tuple[int, ...],
    kinds: tuple[str, ...],
) -> None:
    for rows in sizes:
        for kind in kinds:
            scripts = results[(kind, rows, "script")]
            for name, target in TARGETS.items():
                if (kind, rows, name) not in results:
                    continue
                jobs = results[(kind, rows, name)]
                total = median([j.total_s for j in jobs])
                mid = min(jobs, key=lambda j: abs(j.total_s - total))
                # each rep's job against the script run beside it: drift on a shared machine cancels out
                pairs = [j.total_s / r.seconds for j, r in zip(jobs, scripts, strict=True)]
                section.rows.append(
                    Row(
                        "peer",
                        f"{kind}, {rows:,} rows, {name} ({mid.workers} w): job end to end",
                        total,
                        "s",
                        median([r.seconds for r in scripts]),
                        "hand-written script",
                        median(pairs),
                        target,
                        note=f"ratio: median of {len(pairs)} reps' job/script ("
                        + ", ".join(f"{x:.2f}" for x in pairs)
                        + f"); median run: submit {mid.submit_s:.2f}s, runner imports + model load "
                        f"{mid.load_s or 0:.2f}s (then waited {mid.waited_s or 0:.2f}s for the snapshot), "
                        f"scoring {mid.score_s or 0:.2f}s; runner forked by the warm runner in "
                        f"{sum(bool(j.warm) for j in jobs)}/{len(jobs)} reps",
                    )
                )
    small, large = min(sizes), max(sizes)
    if small == large:
        return
    for kind in kinds:
        for name in TARGETS:
            if (kind, small, name) not in results:
                continue
            peak = {
                n: max(j.peak_worker_mib or j.peak_one_mib for j in results[(kind, n, name)])
                for n in (small, large)
            }
            script_peak = {
                n: max(r.peak_rss_mib for r in results[(kind, n, "script")]) for n in (small, large)
            }
            section.rows.append(
                Row(
                    "peer",
                    f"{kind}, {name}: peak RSS of a scoring process, {large:,} vs {small:,} rows",
                    peak[large],
                    "MiB",
                    peak[small],
                    f"{small:,} rows",
                    ratio(peak[large], peak[small]),
                    FLAT,
                    note=f"script: {script_peak[large]:,.0f} vs {script_peak[small]:,.0f} MiB",
                )
            )
