"""One yes per action: the person sees one summary and says yes once — by a token from the summary's own
call, or by answering the server's question — and anything else leaves everything as it was."""

from __future__ import annotations

from typing import Any

import mcp.types as types
import pytest
from mcp import Client

from tests.integration.deployments import Deployment
from tests.integration.helpers import TABLE_PLAN, call, call_error

pytestmark = pytest.mark.anyio


def answering(action: str, content: dict[str, Any] | None = None, asked: list[str] | None = None) -> Any:
    async def callback(ctx: Any, params: Any) -> types.ElicitResult:
        if asked is not None:
            asked.append(params.message)
        return types.ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    return callback


async def test_the_plans_summary_and_token_are_the_one_yes_submit_needs(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        assert plan["ok"] and plan["confirmation_token"] and "submit_batch_job" in plan["next_step"]
        args = {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
        started = await call(client, "submit_batch_job", args)
    assert started["status"] == "started" and started["result"]["job_id"]
    assert deployment.submitted_jobs() == 1


async def test_a_plan_with_failing_checks_gets_no_token(deployment: Deployment) -> None:
    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "compute_pool": "NO_SUCH_POOL"})
    assert not plan["ok"] and plan.get("confirmation_token") is None


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_client_with_elicitation_is_asked_once_at_the_gated_call(
    deployment: Deployment, mode: str
) -> None:
    asked: list[str] = []
    yes = answering("accept", {"approve": True}, asked)
    async with Client(deployment.make_server(), mode=mode, elicitation_callback=yes) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        result = await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert result["status"] == "started" and len(asked) == 1 and "CHURN_CLASSIFIER" in asked[0]


async def test_a_token_the_person_already_approved_is_not_asked_about_again(deployment: Deployment) -> None:
    asked: list[str] = []
    async with Client(
        deployment.make_server(), elicitation_callback=answering("accept", {"approve": True}, asked)
    ) as c:
        plan = await call(c, "plan_batch_job", TABLE_PLAN)
        result = await call(
            c,
            "submit_batch_job",
            {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]},
        )
    assert result["status"] == "started" and asked == []


@pytest.mark.parametrize("answer", [("decline", None), ("accept", {"approve": False})])
async def test_a_no_submits_nothing(deployment: Deployment, answer: tuple[str, Any]) -> None:
    async with Client(deployment.make_server(), elicitation_callback=answering(*answer)) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        text = await call_error(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert "nothing was done" in text and deployment.submitted_jobs() == 0


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_dismissed_question_falls_back_to_the_summary_and_a_token(
    deployment: Deployment, mode: str
) -> None:
    async with Client(
        deployment.make_server(), mode=mode, elicitation_callback=answering("cancel")
    ) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        asked = await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert asked["status"] == "confirmation_required" and asked["confirmation_token"]
    assert "dismissed" in asked["next_step"] and deployment.submitted_jobs() == 0


async def test_a_question_the_client_cannot_show_falls_back_to_a_token_not_a_protocol_error(
    deployment: Deployment,
) -> None:
    async def broken(ctx: Any, params: Any) -> types.ErrorData:
        return types.ErrorData(code=-32600, message="form elicitation not supported")

    # On protocol 2025-11-25 the question is a request the server sends mid-call, so the server sees the
    # failure (from 2026-07-28 on it rides the client's retry, and a failing callback is the client's own).
    async with Client(deployment.make_server(), mode="legacy", elicitation_callback=broken) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        asked = await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert asked["status"] == "confirmation_required" and "could not show" in asked["next_step"]
    assert deployment.submitted_jobs() == 0


async def test_an_expired_token_is_refused_through_the_tool(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time as clock

    async with Client(deployment.make_server()) as client:
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        later = clock.time() + 3600
        monkeypatch.setattr("snowbatch.tools.gate.time.time", lambda: later)
        text = await call_error(
            client,
            "submit_batch_job",
            {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]},
        )
    assert "expired" in text and "Nothing was done" in text and deployment.submitted_jobs() == 0
