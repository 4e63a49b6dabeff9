"""The bench's own helpers: rows judge their targets, figures print readably, runner logs parse,
/proc sampling sees this process. No timing is asserted here; figures come from `python -m bench`."""

from __future__ import annotations

import os

from bench.common import Row, fmt_number, fmt_target, ratio, verdict
from bench.context import _compress
from bench.procs import GroupSampler, group_members
from bench.throughput import _phases


def test_a_ratio_row_is_judged_on_its_ratio() -> None:
    row = Row("startup", "spawn", 1.2, "s", baseline=1.0, ratio=ratio(1.2, 1.0), target=1.15)
    assert row.met is False and verdict(row) == "MISSED"
    assert fmt_target(row) == "<= 1.15×"


def test_a_value_target_ignores_the_ratio_beside_it() -> None:
    row = Row("context", "calls", 8, "calls", baseline=11, ratio=8 / 11, target=8, target_on="value")
    assert row.met is True
    assert fmt_target(row) == "<= 8 calls"


def test_at_least_targets_and_rows_without_targets() -> None:
    assert Row("throughput", "2 vs 1", 1.9, "×", target=1.7, compare=">=").met is True
    assert Row("throughput", "2 vs 1", 1.2, "×", target=1.7, compare=">=").met is False
    assert Row("x", "y", 3).met is None and verdict(Row("x", "y", 3)) == ""


def test_no_ratio_without_a_baseline() -> None:
    assert ratio(1.0, None) is None and ratio(1.0, 0) is None and ratio(3, 2) == 1.5


def test_numbers_print_with_their_units() -> None:
    assert fmt_number(12 * 1024, "B") == "12.0 KiB"
    assert fmt_number(512, "B") == "512 B"
    assert fmt_number(1_500_000, "rows/s") == "1.50 M rows/s"
    assert fmt_number(None) == "—"
    assert fmt_number(8, "calls") == "8 calls"
    assert fmt_target(Row("c", "bytes", 1, "B", target=12 * 1024, target_on="value")) == "<= 12 KiB"


def test_repeated_calls_are_folded_in_the_flow_summary() -> None:
    tools = ["plan_batch_job", "submit_batch_job", "submit_batch_job", "wait_for_job"]
    assert _compress(tools) == ["plan_batch_job", "submit_batch_job ×2", "wait_for_job"]


def test_runner_phases_come_from_its_log_lines() -> None:
    log = (
        "2026-01-01 INFO model loaded in 2.50s\n2026-01-01 INFO 10 rows in 1 batches\n"
        "2026-01-01 INFO job done: 10 rows in 4.25s; _SUCCESS written\n"
    )
    assert _phases(log) == (2.5, 4.25)
    assert _phases("nothing here") == (None, None)


def test_the_sampler_sees_this_process_group() -> None:
    pgid = os.getpgid(0)
    assert os.getpid() in group_members(pgid) or os.getpgid(os.getpid()) != pgid
    sampler = GroupSampler(pgid)
    sampler.sample()
    assert sampler.samples == 1 and sampler.peak_sum_kib > 0 and sampler.peak_procs >= 1
