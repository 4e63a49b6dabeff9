"""`python -m bench`: startup, context economy, SQL round trips, local throughput and the local job against a
hand-written script (peer), as ratios in one run.

Prints one table; `--json PATH` keeps every figure, `--markdown PATH` writes the table as Markdown (for
docs/benchmarks.md). `--quick` shrinks the throughput sizes (100k / 1M rows) and runs the peer at 2M rows
only, once each; `--only peer --peer-rows 2000000` is the quick look at the job's own cost.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from bench.common import Row, Section, fmt_number, fmt_target, machine, verdict

SECTIONS = ("startup", "context", "evals", "roundtrips", "throughput", "peer")
PEER_ROWS = (2_000_000, 10_000_000)


def _quiet() -> None:
    """Snowpark and snowflake-ml log every statement at INFO; the table is what we want to read."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("snowflake", "snowflake.snowpark", "snowflake.ml", "snowflake.connector", "mcp", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")


async def _run(args: argparse.Namespace) -> list[Section]:
    out: list[Section] = []
    only = set(args.only or SECTIONS)

    async def timed(name: str, coro: Any) -> None:
        started = time.perf_counter()
        section = await coro
        section.seconds = time.perf_counter() - started
        out.append(section)
        print(f"  {name}: {section.seconds:.0f}s", file=sys.stderr, flush=True)

    if "startup" in only:
        from bench import startup

        if args.install_official:
            print(f"  {startup.install_official()}", file=sys.stderr)
        await startup.run_official()
        await timed("startup", startup.run(reps=args.reps))
    if "context" in only:
        from bench import context

        await timed("context", context.run())
    if "evals" in only and not args.no_evals:
        import anyio

        from bench import scenarios

        await timed("eval scenarios", anyio.to_thread.run_sync(scenarios.run))
    if "roundtrips" in only:
        from bench import roundtrips

        await timed("round trips", roundtrips.run())
    if "throughput" in only:
        import anyio

        from bench import throughput

        sizes = (100_000, 1_000_000) if args.quick else (1_000_000, 10_000_000)

        async def tp() -> Section:
            return await anyio.to_thread.run_sync(
                lambda: throughput.run(sizes=sizes, workdir=args.workdir, with_logreg=not args.no_logreg)
            )

        await timed("throughput", tp())
    if "peer" in only:
        import anyio

        from bench import peer

        peer_rows = tuple(args.peer_rows or ((PEER_ROWS[0],) if args.quick else PEER_ROWS))
        reps = args.peer_reps or (1 if args.quick else 3)

        async def vs_script() -> Section:
            return await anyio.to_thread.run_sync(
                lambda: peer.run(sizes=peer_rows, workdir=args.workdir, reps=reps)
            )

        await timed("peer", vs_script())
    return out


def _cells(row: Row) -> list[str]:
    ratio_text = f"{row.ratio:.2f}×" if row.ratio is not None else ""
    return [
        row.area,
        row.metric,
        fmt_number(row.value, row.unit),
        f"{fmt_number(row.baseline, row.unit)} ({row.baseline_label})" if row.baseline is not None else "",
        ratio_text,
        fmt_target(row),
        verdict(row),
    ]


HEAD = ["area", "measure", "snowbatch", "baseline (same run)", "ratio", "target", ""]


def table_text(sections: list[Section]) -> str:
    rows = [HEAD] + [_cells(r) for s in sections for r in s.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEAD))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"- {r.metric}: {r.note}" for s in sections for r in s.rows if r.note]
    notes += [f"- {n}" for s in sections for n in s.notes]
    return "\n".join(lines) + "\n\nNotes:\n" + "\n".join(notes)


def table_markdown(sections: list[Section]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join([*HEAD[:-1], "met?"]) + " |", "|" + "---|" * len(HEAD)]
    for s in sections:
        for r in s.rows:
            lines.append("| " + " | ".join(esc(c) for c in _cells(r)) + " |")
    return "\n".join(lines)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--reps", type=int, default=9, help="startup runs of each server (alternated)")
    parser.add_argument(
        "--quick", action="store_true", help="throughput on 100k / 1M rows instead of 1M / 10M"
    )
    parser.add_argument("--no-evals", action="store_true", help="skip running the eval scenarios")
    parser.add_argument("--no-logreg", action="store_true", help="throughput: only the random forest")
    parser.add_argument("--workdir", type=Path, default=None, help="where the throughput account goes (tmp)")
    parser.add_argument(
        "--peer-rows", type=int, action="append", help="peer: table sizes (repeat; default 2M and 10M)"
    )
    parser.add_argument(
        "--peer-reps", type=int, default=None, help="peer: runs of each contender (default 3)"
    )
    parser.add_argument(
        "--install-official",
        action="store_true",
        help="pip-install snowflake-labs-mcp into a throwaway venv (never the project's)",
    )
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--markdown", type=Path, help="write the table as Markdown here")
    args = parser.parse_args(argv)
    os.environ.setdefault("SNOWBATCH_LOG_LEVEL", "WARNING")
    _quiet()
    import anyio

    started = time.perf_counter()
    load_before = _loadavg()
    sections = anyio.run(_run, args)
    info = {
        **machine(),
        "load_before": load_before,
        "load_after": _loadavg(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(
        f"\nsnowbatch bench — {info['date']} — {info['cpu']}, {info['cores']} cores, "
        f"{info['memory_gib']} GiB, Python {info['python']}, commit {info['commit']}; "
        f"load average {load_before} → {info['load_after']}; {info['seconds']:.0f}s\n"
    )
    print(table_text(sections))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "sections": [
                        {
                            "name": s.name,
                            "seconds": s.seconds,
                            "notes": s.notes,
                            "rows": [r.as_dict() for r in s.rows],
                            "details": s.details,
                        }
                        for s in sections
                    ],
                },
                indent=1,
                default=_jsonable,
            )
        )
    if args.markdown:
        args.markdown.write_text(table_markdown(sections) + "\n")
    return 0


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dict__"):
        return value.__dict__
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
