"""Cost estimates (core/cost.py): a range from evidence, figures with their basis, and "unknown" said
plainly when there is no evidence."""

import pytest

from snowbatch.core.cost import (
    describe,
    estimate_job,
    estimate_warehouse,
    from_job,
    from_samples,
    standard_rate,
)


def test_two_samples_give_a_range_from_the_marginal_rate_to_the_rate_with_overhead() -> None:
    ev = from_samples(100, 1.0, 1000, 2.8, "in one local process")
    assert ev.per_row_high == pytest.approx(2.8 / 1000)  # the sample's overhead charged to its rows
    assert ev.per_row_low == pytest.approx(1.8 / 900)  # what one more row costs
    assert "100 rows 1.00 s" in ev.basis and "1,000 rows 2.80 s" in ev.basis


def test_a_noisy_sample_never_gives_a_negative_or_inverted_range() -> None:
    ev = from_samples(100, 2.0, 1000, 1.5, "x")  # the larger sample ran faster (warm cache)
    assert ev.per_row_low == ev.per_row_high == pytest.approx(1.5 / 1000)


def test_a_job_estimate_ranges_from_its_own_time_to_its_time_scaled_with_rows_over_the_nodes() -> None:
    """How much of a finished job's time was start-up is not known: a run of another size lies between
    taking the same time (all start-up) and the time scaled with its rows (all per-row work)."""
    ev = from_job("ML.PUBLIC.JOB_A", rows=10_000, seconds=600, replicas=2)  # 2 nodes for 10 min: 1,200 node-s
    one = estimate_job(100_000, 1, "CPU_X64_S", ev)
    two = estimate_job(100_000, 2, "CPU_X64_S", ev)
    fewer = estimate_job(1_000, 1, "CPU_X64_S", ev)
    assert not isinstance(one, str) and not isinstance(two, str) and not isinstance(fewer, str)
    assert (one.billed_low, one.billed_high) == pytest.approx((1200 / 3600, 12_000 / 3600))
    assert (fewer.billed_low, fewer.billed_high) == pytest.approx((120 / 3600, 1200 / 3600))
    assert (two.billed_low, two.billed_high) == pytest.approx((one.billed_low, one.billed_high))  # same work
    assert two.hours_high == pytest.approx(one.hours_high / 2)  # but half the wall time
    assert one.units == "node-hours of CPU_X64_S" and one.credits_low is None


@pytest.mark.parametrize("rows", [None, 5000])
def test_without_evidence_the_estimate_says_unknown_and_how_to_get_one(rows: int | None) -> None:
    text = estimate_job(rows, 1, "CPU_X64_S", None)
    assert isinstance(text, str) and text.startswith("unknown") and "trial" in text
    assert describe(text, billed=True) == text


def test_without_a_row_count_the_estimate_is_unknown_but_keeps_its_basis() -> None:
    text = estimate_warehouse(None, "X-Small", 1, from_samples(100, 0.5, 1000, 1.0, "run()"))
    assert isinstance(text, str) and text.startswith("unknown") and "row count" in text and "run()" in text


@pytest.mark.parametrize(
    ("size", "kind", "generation", "rate"),
    [
        ("X-Small", "STANDARD", "1", 1),
        ("XSMALL", None, None, 1),
        ("2X-Large", "STANDARD", "1", 32),
        ("XXLARGE", "STANDARD", "1", 32),
        ("X6LARGE", "STANDARD", "1", 512),
        ("Medium", "STANDARD", "2", None),  # Gen2 bills at other rates
        ("Medium", "SNOWPARK-OPTIMIZED", "1", None),
        (None, "STANDARD", "1", None),
    ],
)
def test_credits_per_hour_only_where_the_docs_table_gives_them(
    size: str | None, kind: str | None, generation: str | None, rate: float | None
) -> None:
    assert standard_rate(size, kind, generation) == rate


def test_a_warehouse_estimate_gives_credits_with_the_rate_and_its_source() -> None:
    ev = from_samples(100, 0.2, 1000, 1.1, "run() in the warehouse")
    est = estimate_warehouse(3_600_000, "Small", 2, ev)
    assert not isinstance(est, str) and est.credits_high == pytest.approx(est.billed_high * 2)
    line = describe(est, billed=True)
    assert "credits" in line and "2 credits/hour" in line and "Overview of warehouses" in line
    assert "basis: timed sample" in line


def test_pool_credits_are_not_invented_and_local_runs_are_not_billed() -> None:
    est = estimate_job(1000, 1, "GPU_NV_S", from_job("J", 100, 30, 1))
    billed = describe(est, billed=True)
    assert "node-hours of GPU_NV_S" in billed and "Service Consumption Table" in billed
    assert "credits" not in billed.split(";")[0]  # no credit figure, only node-hours
    assert "start-up included" in billed and "excludes" not in billed  # a job's time had its start
    sampled = describe(estimate_job(1000, 1, "X", from_samples(10, 1, 100, 2, "run()")), billed=True)
    assert "excludes pool start" in sampled and "image build" in sampled  # a sample's has not
    local = describe(est, billed=False)
    assert "not billed" in local and "Service Consumption" not in local
