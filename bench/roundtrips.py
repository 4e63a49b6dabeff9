"""Round trips: SQL statements per tool on the Snowflake backend, counted on the SQL-level fake account.

Each tool is called through the MCP server (in process) exactly as an assistant calls it; the fake records
every statement the real Snowpark / snowflake-ml code sends, so the count is what a live account would see.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import Row, Section
from bench.flows import FUNCTION, MODEL, TABLE
from snowbatch import samples

STAGE = f"@{samples.DATABASE}.{samples.SCHEMA}.{samples.OUTPUT_STAGE}"

# tool, arguments, target (None: reported, no target)
LIST_TOOLS: list[tuple[str, dict[str, Any], int | None]] = [
    ("list_models", {}, 1),
    ("list_model_versions", {"model": MODEL}, 1),
    ("list_stages", {}, 1),
    ("list_compute_pools", {}, 1),
    ("list_jobs", {}, 1),
    ("list_stage_files", {"stage_location": f"{STAGE}/"}, 1),
]
OTHER_TOOLS: list[tuple[str, dict[str, Any], int | None]] = [
    ("get_environment", {}, None),
    ("show_model_functions", {"model": MODEL}, 2),
    ("show_model_functions", {"model": MODEL, "version": "V1"}, 2),
    ("describe_input", {"table": TABLE, "model": MODEL, "function": FUNCTION}, None),
    ("list_compute_pools", {"model": MODEL, "function": FUNCTION}, None),
    (
        "plan_batch_job",
        {
            "model": MODEL,
            "function": FUNCTION,
            "input": {"kind": "table", "table": TABLE},
            "output_stage": f"{STAGE}/bench-rt/",
            "compute_pool": "CPU_POOL",
            "include_code": False,
        },
        8,
    ),
]


def _label(tool: str, args: dict[str, Any]) -> str:
    if tool == "show_model_functions":
        return f"{tool} ({'version given' if 'version' in args else 'default version + version list'})"
    return tool


async def run() -> Section:
    from mcp import Client

    from snowbatch.server import build_server
    from snowbatch.settings import Settings

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fakes import make_fake_snowflake_backend

    section = Section("round trips")
    with tempfile.TemporaryDirectory(prefix="snowbatch-bench-rt-") as tmp:
        backend = make_fake_snowflake_backend(Path(tmp))
        acct = backend.fake_account  # type: ignore[attr-defined]
        settings = Settings.model_validate({"backend": "snowflake", "home": Path(tmp) / "home"})
        async with Client(build_server(settings, backend=backend)) as client:
            await client.call_tool("get_environment", {})  # the session's own start-up is not a tool's cost

            async def count(tool: str, args: dict[str, Any]) -> tuple[int, list[str], Any]:
                acct.clear_statements()
                result = await client.call_tool(tool, args)
                if result.is_error:
                    text = "".join(getattr(c, "text", "") for c in result.content)
                    raise RuntimeError(f"{tool} failed: {text[:300]}")
                return len(acct.statements), acct.sql_log(), result.structured_content

            plan: dict[str, Any] = {}
            for tool, args, target in LIST_TOOLS + OTHER_TOOLS:
                n, log, out = await count(tool, args)
                if tool == "plan_batch_job":
                    plan = out
                section.rows.append(
                    Row(
                        "round trips",
                        _label(tool, args),
                        n,
                        "stmts",
                        target=target,
                        target_on="value",
                        note=" | ".join(_short(s) for s in log),
                    )
                )
            # the job's own tools, after one real submit on the fake (the fake finishes jobs at once)
            gate = await client.call_tool("submit_batch_job", {"plan_id": plan["plan_id"]})
            token = (gate.structured_content or {}).get("confirmation_token")
            n, log, out = await count(
                "submit_batch_job", {"plan_id": plan["plan_id"], "confirmation_token": token}
            )
            section.rows.append(
                Row(
                    "round trips",
                    "submit_batch_job (approved)",
                    n,
                    "stmts",
                    note="snowflake-ml run_batch(): " + " | ".join(_short(s) for s in log),
                )
            )
            job_id = out["result"]["job_id"]
            for tool, args in (
                ("wait_for_job", {"job_id": job_id, "timeout_seconds": 0}),
                ("wait_for_job", {"job_id": job_id}),
                ("inspect_output", {"job_id": job_id}),
                ("preview_results", {"job_id": job_id, "limit": 5}),
                ("get_job_logs", {"job_id": job_id}),
            ):
                n, log, _ = await count(tool, args)
                label = f"{tool} (DONE: verifies + previews)" if tool == "wait_for_job" else tool
                section.rows.append(
                    Row("round trips", label, n, "stmts", note=" | ".join(_short(s) for s in log))
                )
    return section


def _short(sql: str, width: int = 60) -> str:
    return sql if len(sql) <= width else sql[: width - 1] + "…"
