"""The eval report: Markdown for people, JSON (with full transcripts) for tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_reports(summary: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    js = directory / "report.json"
    js.write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    md = directory / "report.md"
    md.write_text(markdown(summary), encoding="utf-8")
    return md, js


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "# snowbatch evals",
        "",
        f"{summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['consistency_failed']} consistency failures; {summary['seconds']} s (fixtures: "
        + ", ".join(f"{k} {v} s" for k, v in summary["fixture_seconds"].items())
        + ").",
        "",
        "| scenario | route | result | calls | tool bytes | checkpoints | confirmations | s |",
        "|---|---|---|---:|---:|---|---|---:|",
    ]
    for r in summary["scenarios"]:
        lines.append(
            f"| {r['id']} | {r['route']} | {r['status']} | {r['calls']} | {r['tool_bytes']:,} | "
            f"{', '.join(r['checkpoints'])} | {', '.join(r['confirmations'])} | {r['seconds']} |"
        )
    lines += ["", "## Failures", ""]
    failed = [r for r in summary["scenarios"] if r["status"] != "PASSED"]
    if not failed:
        lines.append("None.")
    for r in failed:
        lines.append(f"- **{r['id']}**: {r['reason'].splitlines()[0] if r['reason'] else '(no reason)'}")
    lines += ["", "## Consistency", ""]
    for f in summary["consistency"]:
        lines.append(f"- {'ok' if f['passed'] else '**FAIL**'} — {f['name']}: {f['evidence']}")
    lines += ["", "## Per scenario", ""]
    for r in summary["scenarios"]:
        lines += [f"### {r['id']} — {r['title']}", "", f"{r['status']}. {r['reason'][:500]}", ""]
        for v in r["verdicts"]:
            lines.append(f"- {'✓' if v['passed'] else '✗'} {v['name']}: {v['evidence'][:300]}")
        if r["tool_calls"]:
            lines += ["", "| # | tool | bytes | status |", "|---:|---|---:|---|"]
            for i, c in enumerate(r["tool_calls"], 1):
                st = "error" if c["error"] else (c["status"] or "")
                lines.append(f"| {i} | {c['tool']} | {c['bytes']:,} | {st} |")
        lines.append("")
    return "\n".join(lines) + "\n"
