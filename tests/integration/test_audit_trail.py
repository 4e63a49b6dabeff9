"""The audit trail, over both backends: every approved call of every gated tool (found from tools/list)
appends exactly one record — who, which tool, the summary the person approved, how it was approved, a
hash of the arguments and the outcome — and `snowbatch audit` reads it back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from typer.testing import CliRunner

from snowbatch.audit import arguments_hash
from snowbatch.cli.main import app as cli
from tests.integration.deployments import Deployment
from tests.integration.helpers import TABLE_PLAN, call, call_error
from tests.integration.test_approval import answering
from tests.integration.test_gate_contract import World, gated_tools

pytestmark = pytest.mark.anyio
LAST = ("delete_job",)  # after save_results_to_table, which reads the same finished job


def trail(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(params=["local", "snowflake"])
def world(request: pytest.FixtureRequest, tmp_path: Path, local_home: Path) -> Iterator[World]:
    made = World(request.param, tmp_path, local_home)
    yield made
    made.close()


async def test_every_approved_call_of_every_gated_tool_leaves_one_record(world: World) -> None:
    async with Client(world.server, client_info=_client("team-assistant")) as client:
        await world.prepare(client)
        path = Path((await call(client, "get_environment"))["audit_log"])
        before = len(trail(path))
        assert before == 4  # prepare() submitted four jobs, each with its plan's token
        gated = await gated_tools(client)
        for tool in sorted(gated, key=lambda t: (t in LAST, t)):
            args = world.base_args(tool, gated[tool])
            asked = await call(client, tool, args)
            assert len(trail(path)) == before, f"{tool}: a question is not an action"
            result = await call(client, tool, {**args, "confirmation_token": asked["confirmation_token"]})
            records = trail(path)[before:]
            before += 1
            assert len(records) == 1, (tool, records)
            record = records[0]
            assert record["tool"] == tool and record["summary"] == asked["summary"]
            assert record["approved_by"] == "token" and record["client"] == "team-assistant"
            assert record["backend"] == world.kind and record["arguments_sha256"] == arguments_hash(
                tool, args
            )
            assert record["outcome"]["status"] == result["status"], (tool, record)
            assert asked["confirmation_token"] not in json.dumps(record)
        submitted = [r for r in trail(path) if r["tool"] == "submit_batch_job"]
        assert all(r["outcome"]["job_id"] for r in submitted)
        saved = next(r for r in trail(path) if r["tool"] == "save_results_to_table")
        assert saved["outcome"]["rows"] > 0 and saved["outcome"]["table"].endswith("SAVED_A")


async def test_an_answer_to_the_servers_question_and_auto_approve_are_recorded_as_such(
    deployment: Deployment,
) -> None:
    yes = answering("accept", {"approve": True})
    async with Client(deployment.make_server(), elicitation_callback=yes) as client:
        path = Path((await call(client, "get_environment"))["audit_log"])
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    async with Client(deployment.make_server(auto_approve=True)) as client:
        plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/b/"})
        await call(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
    assert [r["approved_by"] for r in trail(path)] == ["elicitation", "auto_approve"]


async def test_a_declined_or_refused_call_leaves_no_record(deployment: Deployment) -> None:
    no = answering("decline")
    async with Client(deployment.make_server(), elicitation_callback=no) as client:
        path = Path((await call(client, "get_environment"))["audit_log"])
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        await call_error(client, "submit_batch_job", {"plan_id": plan["plan_id"]})
        await call_error(
            client, "submit_batch_job", {"plan_id": plan["plan_id"], "confirmation_token": "1.x"}
        )
    assert trail(path) == []


async def test_snowbatch_audit_reads_the_trail(deployment: Deployment, tmp_path: Path) -> None:
    async with Client(deployment.make_server()) as client:
        path = Path((await call(client, "get_environment"))["audit_log"])
        plan = await call(client, "plan_batch_job", TABLE_PLAN)
        approved = {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
        job = (await call(client, "submit_batch_job", approved))["result"]["job_id"]
    runner = CliRunner()
    as_json = runner.invoke(cli, ["audit", "--json", "--log", str(path)])
    assert as_json.exit_code == 0, as_json.output
    assert [(r["tool"], r["outcome"]["job_id"]) for r in json.loads(as_json.stdout)] == [
        ("submit_batch_job", job)
    ]
    text = runner.invoke(cli, ["audit", "--since", "1h", "--log", str(path)])
    assert "submit_batch_job" in text.stdout and "approved by token" in text.stdout and job in text.stdout
    later = runner.invoke(cli, ["audit", "--since", "2999-01-01", "--json", "--log", str(path)])
    assert json.loads(later.stdout) == []
    bad = runner.invoke(cli, ["audit", "--since", "last tuesday", "--log", str(path)])
    assert bad.exit_code == 2 and "not a time" in bad.output


def _client(name: str) -> Any:
    from mcp.types import Implementation

    return Implementation(name=name, version="1.0")
