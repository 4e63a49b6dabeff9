"""Run the eval scenarios: a scripted assistant follows the skills through a real MCP client session over
stdio against a freshly seeded local account; every scenario is graded and a Markdown and a JSON report
are written. Exit status 1 on any failure (a scenario, a consistency check); a route whose tools or
sample models have not landed fails as "route not available: …", it is never skipped.

    python -m evals.run [--only ID ...] [--report-dir evals/reports] [--keep-home]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python evals/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals import consistency, fixtures
from evals.assistant import Assistant
from evals.grading import Verdict, grade
from evals.report import write_reports
from evals.scenario import Scenario, load_scenarios
from evals.session import FlowError, NoAnswer, Recorder, list_tools, stdio_client
from evals.transcript import Transcript


@dataclass
class ScenarioResult:
    id: str
    title: str
    route: str
    status: str  # PASSED | FAILED
    reason: str = ""
    seconds: float = 0.0
    calls: int = 0
    tool_bytes: int = 0
    checkpoints: list[str] = field(default_factory=list)
    confirmations: list[str] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    transcript: dict[str, Any] = field(default_factory=dict)


def missing_for(s: Scenario, account: fixtures.Account, tools: set[str]) -> list[str]:
    """What a scenario's route needs that is not there (tools, sample models, fixtures)."""
    from snowbatch.backends.local.account import LocalAccount
    from snowbatch.core.names import ObjectName

    missing = []
    for need in s.needs:
        kind, _, name = need.partition(":")
        if kind == "tool" and name not in tools:
            missing.append(f"tool {name}")
        elif (
            kind == "model"
            and not (LocalAccount(account.home).model_dir(ObjectName.parse(name)) / "model.json").exists()
        ):
            missing.append(f"sample model {name}")
    for fx in s.fixtures:
        state = account.available.get(fx, "not seeded")
        if state != "ok":
            missing.append(f"fixture {fx} ({state})")
    return missing


async def run_scenario(s: Scenario, account: fixtures.Account, root: Path) -> ScenarioResult:
    started = time.perf_counter()
    result = ScenarioResult(s.id, s.title, s.route, "FAILED")
    transcript = Transcript(s.id)
    reason = ""
    home = account.copy_for(s.id, root)
    async with stdio_client(home) as client:
        tools = await list_tools(client)
        transcript.gated = sorted(n for n, t in tools.items() if t.gated)
        missing = missing_for(s, account, set(tools))
        if missing:
            result.reason = "route not available: " + "; ".join(missing)
            result.seconds = round(time.perf_counter() - started, 1)
            return result
        rec = Recorder(client, transcript, dict(s.person), tools)
        try:
            await Assistant(rec, s).run()
        except NoAnswer as exc:
            reason = f"unexpected STOP: {exc}"
        except FlowError as exc:
            reason = f"flow error: {exc}"
        except Exception as exc:  # a crash in the runner or the session is a failure, with its cause
            reason = f"{type(exc).__name__}: {exc}\n" + traceback.format_exc(limit=3)
    verdicts: list[Verdict] = grade(s, transcript, home)
    failed = [v for v in verdicts if not v.passed]
    result.status = "PASSED" if not failed and not reason else "FAILED"
    result.reason = reason or "; ".join(f"{v.name}: {v.evidence}" for v in failed)
    result.seconds = round(time.perf_counter() - started, 1)
    result.calls = len(transcript.calls)
    result.tool_bytes = transcript.tool_bytes
    result.checkpoints = transcript.checkpoints
    result.confirmations = transcript.confirmations
    result.verdicts = [v.to_json() for v in verdicts]
    result.tool_calls = [
        {"tool": c.tool, "bytes": c.bytes, "error": c.is_error, "status": c.status, "seconds": c.seconds}
        for c in transcript.calls
    ]
    result.transcript = transcript.to_json()
    return result


async def run_all(
    scenarios: list[Scenario], account: fixtures.Account, jobs: int, root: Path
) -> list[ScenarioResult]:
    """Scenarios in parallel (each in its own server session and output folders), reported in order."""
    import anyio

    results: dict[str, ScenarioResult] = {}
    limit = anyio.Semaphore(max(1, jobs))

    async def one(s: Scenario) -> None:
        async with limit:
            r = await run_scenario(s, account, root)
        results[s.id] = r
        print(
            f"{r.status:7} {r.id:28} {r.seconds:5.1f}s {r.calls:3} calls {r.tool_bytes:7,} B"
            + (f"  — {r.reason.splitlines()[0][:160]}" if r.status != "PASSED" else ""),
            flush=True,
        )

    async with anyio.create_task_group() as tg:
        for s in scenarios:
            tg.start_soon(one, s)
    return [results[s.id] for s in scenarios]


async def run_consistency(account: fixtures.Account, called: set[str]) -> list[consistency.Finding]:
    from evals.session import server_env

    findings: list[consistency.Finding] = []
    async with stdio_client(account.home) as client:
        tools = await list_tools(client)
        read_only = await _tools_with_env(server_env(account.home) | {"SNOWBATCH_READ_ONLY": "true"})
        findings += consistency.check_tools(tools, read_only)
        findings += consistency.check_skill_names(tools)
        findings += await consistency.probe_gates(client, tools, _probes(account))
    if called:
        findings.append(consistency.check_called_tools(called))
    return findings


async def _tools_with_env(env: dict[str, str]) -> dict[str, Any]:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "snowbatch", "serve"], env=env)
    async with Client(params) as client:
        return await list_tools(client)


def _probes(account: fixtures.Account) -> dict[str, dict[str, Any]]:
    job = account.first_run_job or "ML.PUBLIC.NO_SUCH_JOB"
    return {
        "create_stage": {"stage": "ML.PUBLIC.EVAL_PROBE_STAGE"},
        "create_compute_pool": {"name": "EVAL_PROBE_POOL", "instance_family": "CPU_X64_XS"},
        "resume_compute_pool": {"name": "ETL_POOL"},
        "submit_batch_job": {
            "plan": {
                "model": "ML.PUBLIC.PRICE_REGRESSOR",
                "compute_pool": "CPU_POOL",
                "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"},
                "output_stage": "@ML.PUBLIC.BATCH_OUT/evals/probe/",
                "include_code": False,
            }
        },
        "cancel_job": {"job_id": job},
        "delete_job": {"job_id": job},
        "save_results_to_table": {"table": "ML.PUBLIC.EVAL_PROBE_TABLE", "location": fixtures.USED_LOCATION},
        "run_in_warehouse": {
            "model": "ML.PUBLIC.PRICE_REGRESSOR",
            "table": "ML.PUBLIC.CUSTOMERS",
            "output_table": "ML.PUBLIC.EVAL_PROBE_TABLE",
        },
    }


def main(argv: list[str] | None = None) -> int:
    import anyio

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", help="scenario ids")
    parser.add_argument("--report-dir", type=Path, default=Path(__file__).parent / "reports")
    parser.add_argument("--home", type=Path, help="local account folder (default: a fresh temp folder)")
    parser.add_argument("--keep-home", action="store_true")
    parser.add_argument("--rows", type=int, default=fixtures.ROWS)
    parser.add_argument("--jobs", type=int, default=3, help="scenarios run at once (default 3)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    scenarios = load_scenarios(only=args.only)
    if not scenarios:
        print("no scenarios selected", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="snowbatch-evals-"))
    home = args.home or tmp / "home"
    if home.exists():
        shutil.rmtree(home)
    wanted = {fx for s in scenarios for fx in s.fixtures} | {"used_output_location"}
    print(f"seeding a fresh local account in {home} …", flush=True)
    account = fixtures.seed(home, rows=args.rows, fixtures=wanted)
    results = anyio.run(run_all, scenarios, account, args.jobs, tmp / "scenarios")
    called = {c["tool"] for r in results for c in r.tool_calls}
    findings = anyio.run(run_consistency, account, called)
    for f in findings:
        print(f"{'ok  ' if f.passed else 'FAIL'} consistency: {f.name} — {f.evidence[:160]}", flush=True)
    seconds = round(time.perf_counter() - started, 1)
    summary = {
        "seconds": seconds,
        "fixture_seconds": account.seconds,
        "fixtures": account.available,
        "scenarios": [asdict(r) for r in results],
        "consistency": [asdict(f) for f in findings],
        "passed": sum(r.status == "PASSED" for r in results),
        "failed": sum(r.status != "PASSED" for r in results),
        "consistency_failed": sum(not f.passed for f in findings),
    }
    md, js = write_reports(summary, args.report_dir)
    print(
        f"{summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['consistency_failed']} consistency failures in {seconds}s — {md}, {js}"
    )
    if not args.keep_home and args.home is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if summary["failed"] == 0 and summary["consistency_failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
