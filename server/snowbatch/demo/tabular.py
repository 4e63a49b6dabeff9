"""`snowbatch demo`: a fresh local account, then the whole tabular job flow through a real MCP client
session over stdio — discover, plan, confirm, submit, wait, verify `_SUCCESS`, preview — printed step by
step, ending with where the results are.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.prompt import Confirm
from rich.table import Table

from snowbatch import samples


class DemoFailed(RuntimeError):
    pass


class DemoClient:
    """Calls tools and keeps count of calls and bytes, as an assistant's context would see them."""

    def __init__(self, client: Any, console: Console) -> None:
        self.client = client
        self.console = console
        self.calls = 0
        self.bytes = 0

    async def call(self, name: str, args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        result = await self.client.call_tool(name, args, **kwargs)
        text = "".join(getattr(c, "text", "") for c in result.content)
        self.calls += 1
        self.bytes += len(text.encode())
        if result.is_error:
            raise DemoFailed(f"{name} failed: {text}")
        return result.structured_content or {}


def _step(console: Console, n: int, title: str) -> None:
    console.print(f"\n[bold cyan]{n}. {title}[/]")


async def run_flow(home: Path, console: Console, *, approve: bool | None) -> dict[str, Any]:
    from mcp import Client, StdioServerParameters

    env = {**os.environ, "SNOWBATCH_HOME": str(home), "SNOWBATCH_BACKEND": "local"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "snowbatch", "serve"], env=env)
    model = f"{samples.DATABASE}.{samples.SCHEMA}.{samples.CHURN_MODEL}"
    table = f"{samples.DATABASE}.{samples.SCHEMA}.{samples.CUSTOMERS_TABLE}"
    async with Client(params) as raw:
        c = DemoClient(raw, console)
        _step(console, 1, "Connect: the server over stdio")
        env_info = await c.call("get_environment", {})
        e = env_info["environment"]
        console.print(
            f"backend [bold]{e['backend']}[/], snowflake-ml-python {e['snowml_version']}, "
            f"default schema {e['database']}.{e['schema']}"
        )

        _step(console, 2, "Discover: models and the functions of the churn model")
        models = await c.call("list_models", {})
        for m in models["items"]:
            console.print(f"  {m['name']}  (default {m['default_version']}) — {m['comment']}")
        fns = await c.call("show_model_functions", {"model": model})
        console.print(
            "  functions: "
            + ", ".join(f["name"] for f in fns["functions"])
            + f"  → approach: {fns['approach']}"
        )

        _step(console, 3, "Check the input against the signature before spending anything")
        desc = await c.call("describe_input", {"table": table, "model": model, "function": "PREDICT_PROBA"})
        console.print(
            f"  {desc['source']}: {desc['row_count']:,} rows; "
            + "; ".join(f"{ck['status']}: {ck['message']}" for ck in desc["fit"])
        )

        _step(console, 4, "Output stage and compute pool")
        stages = await c.call("list_stages", {})
        stage = stages["usable_for_output"][0]
        pool = (await c.call("list_compute_pools", {"model": model, "function": "PREDICT_PROBA"}))[
            "recommendation"
        ]
        console.print(f"  output stage {stage} (SNOWFLAKE_SSE); pool {pool['pool']} — {pool['reason']}")

        _step(console, 5, "Plan the job (preflight checks, summary, code for your snowflake-ml-python)")
        run_id = time.strftime("%Y%m%d-%H%M%S")
        plan = await c.call(
            "plan_batch_job",
            {
                "model": model,
                "function": "PREDICT_PROBA",
                "input": {"kind": "table", "table": table},
                "output_stage": f"@{stage}/churn-scores/{run_id}/",
                "compute_pool": pool["pool"],
                "include_code": False,
            },
        )
        for ck in plan["checks"]:
            colour = {"pass": "green", "warn": "yellow", "fail": "red"}[ck["status"]]
            console.print(f"  [{colour}]{ck['status']:>4}[/] {ck['message']}")
        if not plan["ok"]:
            raise DemoFailed("the plan has failing checks")

        _step(console, 6, "Checkpoint: the plan's summary, approved once before anything is spent")
        job_id = await approve_and_submit(c, console, plan, approve)
        if job_id is None:
            return {"approved": False, "calls": c.calls, "bytes": c.bytes}

        _step(console, 7, "Wait with progress; when DONE the server verifies the output")
        view = await wait_until_done(c, console, job_id)
        out = view.get("output") or {}
        console.print(
            f"  {view['job']['status']}: state [bold]{out.get('state')}[/], _SUCCESS "
            f"{out.get('success_marker')}, {out.get('rows') or 0:,} rows in {out.get('parts')} Parquet "
            f"part(s), {out.get('total_bytes') or 0:,} bytes"
        )
        if out.get("state") != "complete":
            raise DemoFailed("the output is not complete")

        _step(console, 8, "The first rows, as wait_for_job returned them")
        preview = view["preview"]
        grid = Table(*preview["columns"], show_lines=False)
        for row in preview["rows"]:
            grid.add_row(*[str(row[col]) for col in preview["columns"]])
        console.print(grid)
        return {
            "approved": True,
            "job_id": job_id,
            "location": view["job"]["output_location"],
            "rows": out["rows"],
            "calls": c.calls,
            "bytes": c.bytes,
        }


async def approve_and_submit(
    c: DemoClient, console: Console, plan: dict[str, Any], approve: bool | None
) -> str | None:
    """The checkpoint as a person meets it: the plan's summary, one yes (asked here, or given by --yes),
    then the submit with the plan's confirmation token. None when not approved (nothing was submitted)."""
    console.print("  " + plan["summary"].replace("\n", "\n  "))
    if approve is None:
        approve = Confirm.ask("  Approve this job?", default=True)
    else:
        console.print("  (non-interactive demo: approving on your behalf)")
    if not approve:
        console.print("  Not approved: nothing was submitted.")
        return None
    submitted = await c.call(
        "submit_batch_job", {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
    )
    job_id = str(submitted["result"]["job_id"])
    console.print(f"  submitted job {job_id}")
    return job_id


async def wait_until_done(c: DemoClient, console: Console, job_id: str, label: str = "") -> dict[str, Any]:
    """Wait (with a progress bar) until the job ends; anything but DONE fails the demo with its logs."""
    view = await _wait(c, console, job_id)
    job = view["job"]
    if job["status"] != "DONE":
        logs = await c.call("get_job_logs", {"job_id": job_id, "tail": 20})
        what = f"{label} job" if label else "job"
        raise DemoFailed(f"{what} ended {job['status']}: {job.get('message')}\n" + "\n".join(logs["lines"]))
    return view


async def _wait(c: DemoClient, console: Console, job_id: str) -> dict[str, Any]:
    with Progress(
        TextColumn("  {task.description}"),
        BarColumn(),
        TextColumn("{task.fields[label]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("scoring", total=None, label="starting")

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            bar.update(task, completed=done, total=total, label=f"{done:,.0f}/{total or 0:,.0f} rows")

        while True:
            view = await c.call(
                "wait_for_job", {"job_id": job_id, "timeout_seconds": 30}, progress_callback=on_progress
            )
            job = view["job"]
            if job["status"] in ("DONE", "FAILED", "CANCELLED", "INTERNAL_ERROR", "DELETED"):
                prog = job.get("progress") or {}
                if prog.get("rows_total"):
                    done = prog.get("rows_done") or 0
                    bar.update(
                        task,
                        completed=done,
                        total=prog["rows_total"],
                        label=f"{done:,}/{prog['rows_total']:,} rows",
                    )
                return view


def seed(home: Path, console: Console, rows: int) -> None:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.backends.local.seed import seed_local_account

    report = seed_local_account(LocalBackend(home), rows=rows)
    console.print(f"  tables {', '.join(f'{k} ({v:,} rows)' for k, v in report.tables.items())}")
    console.print(f"  models {', '.join(report.models)}")
    console.print(f"  stages {', '.join(report.stages)};  pools {', '.join(report.pools)}")


def run_demo(
    home: Path, *, rows: int = 100_000, approve: bool | None = None, fresh: bool = True
) -> dict[str, Any]:
    import anyio

    console = Console()
    started = time.perf_counter()
    console.rule("[bold]snowbatch demo — batch inference on a local account")
    if fresh and home.exists():
        shutil.rmtree(home)
    _step(console, 0, f"Seed a fresh local account in {home}")
    seed(home, console, rows)
    result = anyio.run(lambda: run_flow(home, console, approve=approve))
    elapsed = time.perf_counter() - started
    console.rule()
    if result.get("approved"):
        from snowbatch.backends.local.account import LocalAccount
        from snowbatch.core.names import StageLocation

        folder = LocalAccount(home).location_path(StageLocation.parse(result["location"]))
        console.print(
            f"[bold green]Done[/] in {elapsed:.1f}s: {result['rows']:,} rows scored by job "
            f"{result['job_id']}.\nResults: {result['location']}\n  (on disk: {folder})\n"
            f"The flow took {result['calls']} tool calls and {result['bytes']:,} bytes of tool output."
        )
        console.print(f"Try it from your assistant: SNOWBATCH_HOME={home} snowbatch serve")
    result["seconds"] = round(elapsed, 1)
    if os.environ.get("SNOWBATCH_DEMO_JSON"):  # machine-readable summary for tests and benchmarks
        print(json.dumps(result), file=sys.stderr)
    return result
