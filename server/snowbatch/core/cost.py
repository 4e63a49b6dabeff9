"""What a run will cost, said before the yes: hours as a range from evidence, then node-hours or
credits, each figure with its basis. Never an invented number: without evidence the estimate says
"unknown" and what would give one.

Evidence, in the order planning looks for it:
- a finished job of the same model version on the same compute pool (its rows and its wall time);
- a timed sample: the model's function run on the first n1 and n2 rows of the input through
  `run_in_warehouse` (on the local backend a real in-process run; on Snowflake `ModelVersion.run()` in
  the session's warehouse). The slower per-row figure charges the sample's fixed overhead (model load,
  query start) to its rows; the faster is the marginal time per row between the two sizes.

Rates:
- Warehouses: credits per hour by size for standard (Gen1) warehouses, from Snowflake's "Overview of
  warehouses", table "Warehouse size" (docs.snowflake.com/en/user-guide/warehouses-overview, read
  2026-12-01). Gen2, Snowpark-optimized and other types are billed at other rates the Service
  Consumption Table gives; for them the estimate stays in warehouse-hours.
- Compute pools: credits per node-hour by instance family are published only in the Snowflake Service
  Consumption Table (a PDF the docs link to; "Snowpark Container Services costs": "The number and type
  (instance family) of the nodes in the compute pool ... determine the credits it consumes"). No copy of
  that table was available to this project, so pools are estimated in node-hours and say so.
"""

from __future__ import annotations

from dataclasses import dataclass

# Standard (Gen1) warehouses: credits per hour (docs: warehouses-overview, "Warehouse size"), keyed by
# the size with everything but letters and digits dropped: the docs' table writes "X-Small", "2X-Large";
# CREATE WAREHOUSE spells the same sizes XSMALL, XXLARGE, X4LARGE (SIZE_ALIASES maps those).
WAREHOUSE_CREDITS_PER_HOUR: dict[str, float] = {
    "XSMALL": 1,
    "SMALL": 2,
    "MEDIUM": 4,
    "LARGE": 8,
    "XLARGE": 16,
    "2XLARGE": 32,
    "3XLARGE": 64,
    "4XLARGE": 128,
    "5XLARGE": 256,
    "6XLARGE": 512,
}
SIZE_ALIASES = {"XXLARGE": "2XLARGE", "XXXLARGE": "3XLARGE", "X4LARGE": "4XLARGE", "X5LARGE": "5XLARGE"}
SIZE_ALIASES |= {"X6LARGE": "6XLARGE"}
WAREHOUSE_RATE_SOURCE = "Snowflake docs, Overview of warehouses: standard Gen1 sizes, read 2026-12-01"
POOL_RATE_MISSING = (
    "credits = node-hours × the family's rate in Snowflake's Service Consumption Table (not carried here)"
)
NOT_TIMED = "excludes pool start and a version's first image build (no source gives their length)"
SAMPLE_SIZES = (100, 1000)  # rows of the two timed samples


@dataclass(frozen=True)
class Evidence:
    """Seconds per input row (a range) and where the figures come from."""

    per_row_low: float
    per_row_high: float
    basis: str
    excludes: str | None = None  # what a run costs that the evidence did not time
    # a finished run's (rows, node-seconds): its time is part start-up, part per row, in shares unknown
    reference: tuple[int, float] | None = None


@dataclass(frozen=True)
class Estimate:
    hours_low: float  # wall time
    hours_high: float
    billed_low: float  # what is billed, in `units` (node-hours: wall hours × nodes)
    billed_high: float
    units: str  # "node-hours of CPU_X64_XS", "hours of a X-SMALL warehouse"
    credits_low: float | None
    credits_high: float | None
    rate_note: str
    basis: str
    excludes: str | None = None


def from_samples(
    n_small: int, seconds_small: float, n_large: int, seconds_large: float, where: str
) -> Evidence:
    """Two timed samples of the same input: overhead charged to rows (high) and the marginal rate (low)."""
    high = seconds_large / n_large
    marginal = (seconds_large - seconds_small) / (n_large - n_small) if n_large > n_small else high
    low = marginal if 0 < marginal < high else high  # noise (a warm cache) gives no spread, not zero
    sizes = f"{n_small:,} rows {seconds_small:.2f} s, {n_large:,} rows {seconds_large:.2f} s"
    basis = f"timed sample: {sizes} ({where})"
    return Evidence(low, high, basis, NOT_TIMED)


def from_job(job_id: str, rows: int, seconds: float, replicas: int | None) -> Evidence:
    """A finished job of the same version on the same pool: its node-seconds for its rows. How much of
    that was start-up is not known, so a run of other size gets the range between the two extremes
    (estimate_job): all start-up (the same time) and all per-row work (the time scaled with rows)."""
    nodes = replicas or 1
    per_row = seconds * nodes / rows
    basis = (
        f"job {job_id}: {rows:,} rows in {_duration(seconds / 3600)} on {nodes} node(s), start-up included"
    )
    return Evidence(per_row, per_row, basis, reference=(rows, seconds * nodes))


def estimate_job(
    rows: int | None, nodes: int, family: str | None, evidence: Evidence | None
) -> Estimate | str:
    """A batch job: hours on `nodes` nodes and the node-hours they bill; a string when unknown."""
    if evidence is None:
        return (
            "unknown: no finished job of this version on this pool and no timed sample to go by "
            "(a trial on a few rows or files gives one)"
        )
    if rows is None:
        return f"unknown: the input's row count is not known ({evidence.basis})"
    low = rows * evidence.per_row_low / nodes / 3600
    high = rows * evidence.per_row_high / nodes / 3600
    if evidence.reference is not None:  # between "all start-up" (its own time) and "all per-row" (scaled)
        scaled, own = rows * evidence.per_row_low, evidence.reference[1]
        low, high = min(scaled, own) / nodes / 3600, max(scaled, own) / nodes / 3600
    units = f"node-hours of {family}" if family else "node-hours"
    return Estimate(
        low,
        high,
        low * nodes,
        high * nodes,
        units,
        None,
        None,
        POOL_RATE_MISSING,
        evidence.basis,
        evidence.excludes,
    )


def standard_rate(size: str | None, kind: str | None, generation: str | None) -> float | None:
    """Credits per hour where the docs' table gives them: a standard, first-generation warehouse."""
    if size is None or (kind or "STANDARD").upper() != "STANDARD" or (generation or "1") != "1":
        return None
    key = "".join(ch for ch in size.upper() if ch.isalnum())
    return WAREHOUSE_CREDITS_PER_HOUR.get(SIZE_ALIASES.get(key, key))


def estimate_warehouse(
    rows: int | None, size: str | None, rate: float | None, evidence: Evidence | None
) -> Estimate | str:
    """A warehouse run: warehouse-hours, and credits where the size's rate is published."""
    if evidence is None:
        return "unknown: no timed sample of this input (the function could not be run on a sample)"
    if rows is None:
        return f"unknown: the input's row count is not known ({evidence.basis})"
    low = rows * evidence.per_row_low / 3600
    high = rows * evidence.per_row_high / 3600
    if rate is None:
        why = (
            f"no standard Gen1 rate applies to warehouse size {size} (other types and Gen2 are in the "
            "Service Consumption Table)"
            if size
            else "the warehouse size is not known"
        )
        return Estimate(
            low,
            high,
            low,
            high,
            "warehouse-hours",
            None,
            None,
            f"{why}: credits not computed",
            evidence.basis,
        )
    note = f"{rate:g} credits/hour for a standard {size} ({WAREHOUSE_RATE_SOURCE}); 60 s minimum per resume"
    return Estimate(
        low, high, low, high, f"hours of a {size} warehouse", low * rate, high * rate, note, evidence.basis
    )


def _duration(hours: float) -> str:
    seconds = hours * 3600
    if seconds < 1:
        return "<1 s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{hours:.1f} h"


def _span(low: float, high: float) -> str:
    a, b = _duration(low), _duration(high)
    return a if a == b else f"{a}–{b}"


def _amount(low: float, high: float) -> str:
    def one(x: float) -> str:
        if x < 0.01:
            return "<0.01"
        return f"{x:.2g}" if x < 100 else f"{x:,.0f}"

    return one(low) if one(low) == one(high) else f"{one(low)}–{one(high)}"


def describe(estimate: Estimate | str, *, billed: bool) -> str:
    """The summary's cost line: the range, what it is counted in, the rate and the basis."""
    if isinstance(estimate, str):
        return estimate
    head = (
        f"{_span(estimate.hours_low, estimate.hours_high)}, "
        f"{_amount(estimate.billed_low, estimate.billed_high)} {estimate.units}"
    )
    if estimate.credits_low is not None and estimate.credits_high is not None:
        head += f" ≈ {_amount(estimate.credits_low, estimate.credits_high)} credits"
    parts = [head, f"basis: {estimate.basis}"]
    if billed:
        parts.append(estimate.rate_note)
        if estimate.excludes:
            parts.append(estimate.excludes)
    else:
        parts.append("local: not billed")
    return "; ".join(parts)
