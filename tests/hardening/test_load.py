"""Load: the streamable-HTTP server (a real `snowbatch serve --transport http` process on 127.0.0.1)
takes 200 concurrent read-only calls from 20 clients plus 5 concurrent job submissions, with zero
errors and five correct jobs. Bounded: everything runs under one deadline and the server is stopped at
the end whatever happens."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from tests.hardening.conftest import HttpServer, Outcome, call_tool

pytestmark = pytest.mark.anyio

CLIENTS = 20
CALLS_PER_CLIENT = 10
JOBS = 5
DEADLINE_SECONDS = 90
READS: list[tuple[str, dict[str, Any]]] = [
    ("get_environment", {}),
    ("list_models", {}),
    ("list_model_versions", {"model": "ML.PUBLIC.PRICE_REGRESSOR"}),
    ("show_model_functions", {"model": "ML.PUBLIC.CHURN_CLASSIFIER"}),
    (
        "describe_input",
        {"table": "ML.PUBLIC.CUSTOMERS", "model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": "PREDICT"},
    ),
    ("list_stages", {}),
    ("list_stage_files", {"stage_location": "@ML.PUBLIC.BATCH_OUT/"}),
    ("list_compute_pools", {}),
    ("list_compute_pools", {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": "PREDICT"}),
    ("list_jobs", {}),
]


async def reader(url: str, index: int, results: list[tuple[str, Outcome]]) -> None:
    async with Client(url) as client:

        async def one(k: int) -> None:
            tool, args = READS[(index + k) % len(READS)]
            results.append((tool, await call_tool(client, tool, args)))

        async with anyio.create_task_group() as tg:
            for k in range(CALLS_PER_CLIENT):
                tg.start_soon(one, k)


async def submitter(url: str, index: int, jobs: dict[int, str]) -> None:
    async with Client(url) as client:
        plan = await call_tool(
            client,
            "plan_batch_job",
            {
                "model": "ML.PUBLIC.CHURN_CLASSIFIER",
                "function": "PREDICT_PROBA",
                "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"},
                "output_stage": f"@ML.PUBLIC.BATCH_OUT/load/{index}/",
                "compute_pool": "CPU_POOL",
                "job_name": f"LOAD_JOB_{index}",
                "include_code": False,
            },
        )
        assert not plan.is_error and plan.structured and plan.structured["ok"], plan.text
        first = await call_tool(client, "submit_batch_job", {"plan_id": plan.structured["plan_id"]})
        assert first.structured and first.structured["status"] == "confirmation_required", first.text
        done = await call_tool(
            client,
            "submit_batch_job",
            {
                "plan_id": plan.structured["plan_id"],
                "confirmation_token": first.structured["confirmation_token"],
            },
        )
        assert not done.is_error and done.structured, done.text
        jobs[index] = done.structured["result"]["job_id"]


async def test_two_hundred_concurrent_reads_and_five_submissions_with_no_error(local_home: Path) -> None:
    server = HttpServer(local_home)
    results: list[tuple[str, Outcome]] = []
    jobs: dict[int, str] = {}
    started = time.monotonic()
    try:
        with anyio.fail_after(DEADLINE_SECONDS):
            async with anyio.create_task_group() as tg:
                for i in range(CLIENTS):
                    tg.start_soon(reader, server.url, i, results)
                for i in range(JOBS):
                    tg.start_soon(submitter, server.url, i, jobs)

            errors = [(tool, o.text[:200]) for tool, o in results if o.is_error]
            assert len(results) == CLIENTS * CALLS_PER_CLIENT and errors == [], errors
            assert sorted(jobs) == list(range(JOBS)) and len(set(jobs.values())) == JOBS

            async with Client(server.url) as client:
                for index, job in sorted(jobs.items()):
                    while True:
                        view = await call_tool(client, "wait_for_job", {"job_id": job, "timeout_seconds": 20})
                        assert not view.is_error, view.text
                        status = view.structured["job"]["status"]  # type: ignore[index]
                        if status not in ("PENDING", "RUNNING"):
                            break
                    assert status == "DONE", view.text
                    out = await call_tool(client, "inspect_output", {"job_id": job})
                    assert out.structured and out.structured["state"] == "complete", out.text
                    assert sum(f.get("rows") or 0 for f in out.structured["files"]) == 3000
                    assert f"/load/{index}/LOAD_JOB_{index}/" in out.structured["location"]
                listed = await call_tool(client, "list_jobs", {"limit": 100})
                assert {j["job_id"] for j in listed.structured["items"]} >= set(jobs.values())  # type: ignore[index]
    finally:
        server.stop()
    assert server.proc.returncode is not None
    assert time.monotonic() - started < DEADLINE_SECONDS
