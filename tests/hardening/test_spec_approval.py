"""The approval gate, specified at the tool path, on both backends:

- a confirmation token approves exactly the arguments it was issued for: a token approved for a one-node
  compute pool never creates a pool of fifty, nor one with another name, family or suspend time;
- a token approves for a limited time: presented after its expiry (as the server's clock says) it is
  refused and nothing happens, while the same token inside its time is accepted.

Each refusal is checked by its outcome (no pool, no job), not only by its message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client
from tests.integration.deployments import Deployment
from tests.integration.helpers import TABLE_PLAN, call, call_error
from tests.integration.test_approval import answering

pytestmark = pytest.mark.anyio

TTL = 600  # the server's default confirmation_ttl_seconds
ONE_NODE = {
    "name": "APPROVED_POOL",
    "instance_family": "CPU_X64_S",
    "min_nodes": 1,
    "max_nodes": 2,
    "auto_suspend_secs": 600,
}
# One argument changed to another valid value: each must need its own yes.
CHANGED = [
    ("max_nodes", 50),
    ("min_nodes", 2),
    ("name", "OTHER_POOL"),
    ("instance_family", "CPU_X64_M"),
    ("auto_suspend_secs", 0),
]


class Clock:
    """The server's wall clock, moved forward by a test (time.time is what tokens are stamped with)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    yield Clock(monkeypatch)


async def pools(client: Client) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in (await call(client, "list_compute_pools"))["pools"]}


async def test_a_pool_token_approves_only_the_arguments_it_was_issued_for(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        before = await pools(client)
        asked = await call(client, "create_compute_pool", ONE_NODE)
        assert asked["status"] == "confirmation_required" and "MAX_NODES = 2" in asked["summary"]
        token = asked["confirmation_token"]
        for arg, value in CHANGED:
            other = {**ONE_NODE, arg: value, "confirmation_token": token}
            text = await call_error(client, "create_compute_pool", other)
            assert "different parameters" in text and "Nothing was done" in text, (arg, text)
            assert await pools(client) == before, f"changing {arg} with the old token created a pool"

        created = await call(client, "create_compute_pool", {**ONE_NODE, "confirmation_token": token})
        after = await pools(client)
    assert created["status"] == "done"
    assert set(after) - set(before) == {"APPROVED_POOL"}
    pool = after["APPROVED_POOL"]
    assert (pool["min_nodes"], pool["max_nodes"], pool["instance_family"]) == (1, 2, "CPU_X64_S")


async def test_an_argument_left_to_its_default_is_bound_like_one_given(deployment: Deployment) -> None:
    """A token issued without max_nodes (default: 1) does not approve max_nodes=50."""
    base = {"name": "DEFAULT_POOL", "instance_family": "CPU_X64_S"}
    async with Client(deployment.make_server()) as client:
        asked = await call(client, "create_compute_pool", base)
        token = asked["confirmation_token"]
        assert "MAX_NODES = 1," in asked["summary"] and "AUTO_SUSPEND_SECS = 600." in asked["summary"]
        assert asked["summary"].endswith("A running pool costs credits while it has nodes.")
        text = await call_error(
            client, "create_compute_pool", {**base, "max_nodes": 50, "confirmation_token": token}
        )
        assert "different parameters" in text and "DEFAULT_POOL" not in await pools(client)
        created = await call(client, "create_compute_pool", {**base, "confirmation_token": token})
    assert created["result"]["pool"]["max_nodes"] == 1


async def test_an_expired_pool_token_is_refused_and_creates_nothing(
    deployment: Deployment, clock: Clock
) -> None:
    async with Client(deployment.make_server()) as client:
        asked = await call(client, "create_compute_pool", ONE_NODE)
        assert asked["expires_in_seconds"] == TTL
        clock.advance(TTL + 2)
        text = await call_error(
            client, "create_compute_pool", {**ONE_NODE, "confirmation_token": asked["confirmation_token"]}
        )
        assert "expired" in text and "Nothing was done" in text
        assert "APPROVED_POOL" not in await pools(client)

        fresh = await call(client, "create_compute_pool", ONE_NODE)  # the way on: a new summary and yes
        created = await call(
            client, "create_compute_pool", {**ONE_NODE, "confirmation_token": fresh["confirmation_token"]}
        )
    assert created["status"] == "done" and created["result"]["pool"]["max_nodes"] == 2


async def test_a_pool_token_inside_its_time_is_accepted(deployment: Deployment, clock: Clock) -> None:
    async with Client(deployment.make_server()) as client:
        token = (await call(client, "create_compute_pool", ONE_NODE))["confirmation_token"]
        clock.advance(TTL - 5)
        created = await call(client, "create_compute_pool", {**ONE_NODE, "confirmation_token": token})
    assert created["status"] == "done"


async def test_an_expired_plan_token_submits_no_job(deployment: Deployment, clock: Clock) -> None:
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        assert plan["ok"] and plan["expires_in_seconds"] == TTL
        clock.advance(TTL + 2)  # the plan itself is kept longer than its token (plan_ttl_seconds)
        args = {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
        text = await call_error(client, "submit_batch_job", args)
    assert "expired" in text and "Nothing was done" in text
    assert deployment.submitted_jobs() == 0


async def error_code(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, result.structured_content
    return str((result.structured_content or {})["error"]["code"])


async def test_a_refused_token_and_a_no_say_so_in_their_error_codes(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        token = (await call(client, "create_compute_pool", ONE_NODE))["confirmation_token"]
        fifty = {**ONE_NODE, "max_nodes": 50, "confirmation_token": token}
        assert await error_code(client, "create_compute_pool", fifty) == "confirmation_refused"
    no = answering("decline")
    async with Client(deployment.make_server(), elicitation_callback=no) as client:
        assert await error_code(client, "create_compute_pool", ONE_NODE) == "declined"
    no = answering("accept", {"approve": False})
    async with Client(deployment.make_server(), elicitation_callback=no) as client:
        assert await error_code(client, "create_compute_pool", ONE_NODE) == "declined"
        assert "APPROVED_POOL" not in await pools(client)


@pytest.mark.parametrize(
    "args",
    [
        {**ONE_NODE, "name": '"lower pool"'},  # quoted pool names are not supported
        {**ONE_NODE, "min_nodes": 3, "max_nodes": 2},
        {**ONE_NODE, "name": "CPU_POOL"},  # exists
    ],
)
async def test_a_pool_that_cannot_be_created_gets_no_token(
    deployment: Deployment, args: dict[str, Any]
) -> None:
    async with Client(deployment.make_server()) as client:
        result = await client.call_tool("create_compute_pool", args)
        assert result.is_error and "confirmation_token" not in json.dumps(result.structured_content)


async def test_the_question_in_the_conversation_says_to_stop_for_a_yes(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        asked = await call(client, "create_compute_pool", ONE_NODE)
    assert asked["next_step"].startswith("STOP.") and asked["status"] == "confirmation_required"


async def test_auto_approve_runs_a_gated_action_without_a_token(deployment: Deployment) -> None:
    async with Client(deployment.make_server(auto_approve=True)) as client:
        created = await call(client, "create_compute_pool", ONE_NODE)
        assert created["status"] == "done" and "APPROVED_POOL" in await pools(client)


async def test_approved_actions_one_after_another_never_hit_the_concurrency_cap(
    deployment: Deployment,
) -> None:
    async with Client(deployment.make_server(max_concurrent_submits=1)) as client:
        for i in range(3):
            args = {**ONE_NODE, "name": f"POOL_{i}"}
            token = (await call(client, "create_compute_pool", args))["confirmation_token"]
            done = await call(client, "create_compute_pool", {**args, "confirmation_token": token})
            assert done["status"] == "done", (i, done)


async def test_every_gated_tool_says_it_changes_things_and_takes_an_optional_token(
    deployment: Deployment,
) -> None:
    async with Client(deployment.make_server()) as client:
        tools = (await client.list_tools()).tools
    gated = [t for t in tools if "confirmation_token" in t.input_schema.get("properties", {})]
    assert {"create_compute_pool", "submit_batch_job", "cancel_job"} <= {t.name for t in gated}
    for tool in gated:
        assert tool.annotations is not None and tool.annotations.read_only_hint is False, tool.name
        assert tool.input_schema["properties"]["confirmation_token"].get("type") == "string", tool.name
        assert "confirmation_token" not in tool.input_schema.get("required", []), tool.name
