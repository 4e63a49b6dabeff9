"""A shared server's limits: a client already at its cap of approved actions in progress, or of
wait_for_job calls, is answered at once with `busy` and when to retry (problem + next step), rather than
queued without bound; the limits are per client, and a slot is free again once its call ends."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from snowbatch.app import InFlight
from snowbatch.core.errors import Busy
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.fakes import make_fake_snowflake_backend
from tests.hardening.conftest import call_tool
from tests.integration.helpers import TABLE_PLAN, call

pytestmark = pytest.mark.anyio


def fake_server(tmp_path: Path, **settings: Any) -> tuple[Any, Any]:
    backend = make_fake_snowflake_backend(tmp_path)
    server = build_server(Settings(backend="snowflake", home=tmp_path / "home", **settings), backend=backend)
    return backend, server


async def plan_for(client: Client, folder: str) -> dict[str, Any]:
    plan = await call(
        client, "plan_batch_job", {**TABLE_PLAN, "output_stage": f"@ML.PUBLIC.BATCH_OUT/{folder}/"}
    )
    return {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}


async def test_a_client_at_its_cap_of_waits_is_told_to_retry(tmp_path: Path) -> None:
    backend, server = fake_server(tmp_path, max_waits_per_client=1)
    backend.fake_account.job_behaviour = "pending"  # the job never ends while we wait
    async with Client(server) as client:
        job = (await call(client, "submit_batch_job", await plan_for(client, "w")))["result"]["job_id"]
        answers: list[Any] = []

        async def wait() -> None:
            answers.append(await call_tool(client, "wait_for_job", {"job_id": job, "timeout_seconds": 3}))

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await anyio.sleep(0.5)
            busy = await call_tool(client, "wait_for_job", {"job_id": job, "timeout_seconds": 3})
        assert busy.is_error and busy.structured is not None
        error = busy.structured["error"]
        assert error["code"] == "busy" and "1 wait_for_job calls in progress" in error["problem"]
        assert error["next_step"] in {f"Retry after {n} s with the same arguments." for n in (1, 2, 3)}
        assert not answers[0].is_error  # the first wait was served in full
        again = await call_tool(client, "wait_for_job", {"job_id": job, "timeout_seconds": 0})
        assert not again.is_error  # its slot is free again


async def test_a_client_at_its_cap_of_approved_actions_is_told_to_retry(tmp_path: Path) -> None:
    backend, server = fake_server(tmp_path, max_concurrent_submits=1)
    entered, release = threading.Event(), threading.Event()
    submit = backend.submit_job

    def slow_submit(spec: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return submit(spec)

    backend.submit_job = slow_submit  # type: ignore[method-assign]
    async with Client(server) as client:
        first, second = await plan_for(client, "a"), await plan_for(client, "b")
        results: list[Any] = []

        async def submit_first() -> None:
            results.append(await call_tool(client, "submit_batch_job", first))

        async with anyio.create_task_group() as tg:
            tg.start_soon(submit_first)
            await anyio.to_thread.run_sync(entered.wait, 30)
            busy = await call_tool(client, "submit_batch_job", second)
            release.set()
        assert busy.structured and busy.structured["error"]["code"] == "busy"
        assert "Retry after" in busy.structured["error"]["next_step"]
        assert not results[0].is_error
        done = await call_tool(client, "submit_batch_job", second)  # the same token, a moment later
        assert not done.is_error and done.structured and done.structured["status"] == "started"


def test_limits_are_per_client_and_a_slot_frees_when_its_call_ends() -> None:
    waits = InFlight("wait_for_job calls")
    release = waits.acquire("principal:alice", 1, expected_seconds=20)
    with pytest.raises(Busy) as busy:
        waits.acquire("principal:alice", 1, expected_seconds=20)
    assert busy.value.code == "busy" and 19 <= busy.value.retry_after_seconds <= 20
    waits.acquire("principal:bob", 1, expected_seconds=20)()  # another client is not held back
    release()
    waits.acquire("principal:alice", 1, expected_seconds=20)()
