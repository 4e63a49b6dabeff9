"""What every benchmark shares: a measured row (value, baseline, ratio, target), medians, the machine.

Every figure is a ratio against a baseline measured in the same run, so a slow or busy machine moves
both sides together; absolute numbers are printed beside the ratio for context only.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[1]
Compare = Literal["<=", ">="]


@dataclass
class Row:
    """One line of the results table.

    `value` is what snowbatch does, `baseline` the reference measured in the same run; `ratio` is
    value / baseline (or a plain count when there is no baseline); `target` applies to `ratio`.
    """

    area: str
    metric: str
    value: float | None
    unit: str = ""
    baseline: float | None = None
    baseline_label: str = ""
    ratio: float | None = None
    target: float | None = None
    compare: Compare = "<="
    note: str = ""
    target_on: Literal["ratio", "value"] = "ratio"

    @property
    def checked(self) -> float | None:
        if self.target_on == "value" or self.ratio is None:
            return self.value
        return self.ratio

    @property
    def met(self) -> bool | None:
        if self.target is None or self.checked is None:
            return None
        return self.checked <= self.target if self.compare == "<=" else self.checked >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


@dataclass
class Section:
    name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or baseline is None or baseline == 0:
        return None
    return value / baseline


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def fmt_number(value: float | None, unit: str = "") -> str:
    """Human figures: 1,234 / 12.3 / 0.123 with the unit, '—' for nothing."""
    if value is None:
        return "—"
    if unit in ("B", "bytes"):
        return f"{value / 1024:.1f} KiB" if value >= 1024 else f"{value:.0f} B"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    if unit == "rows/s":
        return f"{value / 1e6:.2f} M rows/s" if value >= 1e5 else f"{value:,.0f} rows/s"
    if float(value).is_integer() and abs(value) >= 1:
        text = f"{int(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def fmt_target(row: Row) -> str:
    if row.target is None:
        return ""
    if row.target_on == "ratio" and row.ratio is not None:
        return f"{row.compare} {row.target:g}×"
    if row.unit in ("B", "bytes"):
        return f"{row.compare} {row.target / 1024:g} KiB"
    return f"{row.compare} {row.target:g} {row.unit}".strip()


def verdict(row: Row) -> str:
    return {True: "met", False: "MISSED", None: ""}[row.met]


def machine() -> dict[str, Any]:
    """Where the figures came from (goes into docs/benchmarks.md beside them)."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "commit": commit,
    }
