"""The evals (evals/run.py) as part of the test suite: every scenario driven end to end through a real
stdio MCP session by the scripted assistant, graded against ground truth; exit status 0 means all passed
and every consistency check held. The report is in evals/reports/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_evals_pass() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "evals.run"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    report = REPO / "evals" / "reports" / "report.md"
    text = report.read_text(encoding="utf-8") if report.exists() else "(no report written)"
    failures = text.split("## Failures", 1)[-1].split("## Per scenario", 1)[0].strip()
    assert proc.returncode == 0, f"evals failed (full report: {report})\n{failures}\n{proc.stderr[-800:]}"
