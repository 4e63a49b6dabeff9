"""The peer bench's bookkeeping: the runner's log facts parse, and a ratio is the median of each rep's
job / script pair, judged against its target. No timing is asserted here; figures come from
`python -m bench --only peer`."""

from __future__ import annotations

from bench.common import Section
from bench.peer import PeerRun, _rows
from bench.throughput import JobRun, _runner_facts


def test_the_runner_log_gives_workers_peak_memory_and_the_wait_for_the_snapshot() -> None:
    log = (
        "2026-01-01 INFO model loaded in 1.50s; then waited 0.25s for the input snapshot\n"
        "2026-01-01 INFO 2000000 rows in 40 batches over 2 worker(s)\n"
        "2026-01-01 INFO peak RSS of a scoring process: 228 MiB\n"
        "2026-01-01 INFO job done: 2000000 rows in 2.10s; _SUCCESS written\n"
    )
    assert _runner_facts(log) == (2, 228.0, 0.25)
    assert _runner_facts("nothing here") == (None, None, None)


def _job(total: float, rows: int, workers: int, peak: float) -> JobRun:
    return JobRun("logreg", rows, workers, total, 0.2, None, 1.5, 0.4, 0.0, 0.0, 0, rows, peak, 0.0)


def test_a_ratio_is_the_median_of_each_reps_job_over_the_script_beside_it() -> None:
    small, large = 2_000_000, 10_000_000
    results: dict[tuple[str, int, str], list[object]] = {}
    for rows, slow in ((small, 1.0), (large, 5.0)):
        # the machine got busier in rep 2: both sides slowed, the pair's ratio did not
        results[("logreg", rows, "script")] = [PeerRun(s * slow, rows, 300.0) for s in (1.0, 2.0, 1.0)]
        results[("logreg", rows, "auto")] = [_job(t * slow, rows, 2, 220.0) for t in (0.9, 1.8, 0.9)]
        results[("logreg", rows, "1 worker")] = [_job(t * slow, rows, 1, 310.0) for t in (1.2, 2.4, 1.3)]
    section = Section("peer")
    _rows(section, results, (small, large), ("logreg",))
    by_metric = {r.metric: r for r in section.rows}
    auto = by_metric["logreg, 2,000,000 rows, auto (2 w): job end to end"]
    assert auto.ratio is not None and round(auto.ratio, 3) == 0.9 and auto.met is True
    one = by_metric["logreg, 2,000,000 rows, 1 worker (1 w): job end to end"]
    assert one.ratio is not None and round(one.ratio, 3) == 1.2 and one.met is False  # target 1.15
    memory = by_metric["logreg, auto: peak RSS of a scoring process, 10,000,000 vs 2,000,000 rows"]
    assert memory.ratio == 1.0 and memory.met is True
