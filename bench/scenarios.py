"""Context economy of every eval scenario: tool calls and bytes of tool output per scenario, from the
evals runner's own report (`python -m evals.run`, run here into a temporary report folder).

The evals' scripted assistant follows the skills as written, step by step, so these figures are what
the skills cost per scenario; bench/flows.py's `skill` flow is the tabular request alone, from request
to verified results.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import REPO, Row, Section


def run(timeout: float = 420) -> Section:
    section = Section("eval scenarios")
    with tempfile.TemporaryDirectory(prefix="snowbatch-bench-evals-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "evals.run", "--report-dir", tmp],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        report = Path(tmp) / "report.json"
        if not report.exists():
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
            section.notes.append(f"evals runner gave no report (exit {proc.returncode}): {' | '.join(tail)}")
            return section
        summary = json.loads(report.read_text())
    for s in summary.get("scenarios", []):
        tools = [c["tool"] for c in s.get("tool_calls", [])]
        largest = sorted(s.get("tool_calls", []), key=lambda c: -c["bytes"])[:2]
        section.rows.append(
            Row(
                "context",
                f"eval {s['id']} ({s['status']}): calls / bytes",
                s["calls"],
                "calls",
                note=f"{s['tool_bytes']:,} B over {len(tools)} calls; largest: "
                + ", ".join(f"{c['tool']} {c['bytes']:,}" for c in largest),
            )
        )
        section.details[s["id"]] = {
            "calls": s["calls"],
            "bytes": s["tool_bytes"],
            "status": s["status"],
            "tools": tools,
        }
    section.notes.append(
        f"evals: {summary.get('passed')} passed, {summary.get('failed')} failed in "
        f"{summary.get('seconds')}s (scenarios run 3 at a time)"
    )
    return section
