"""The chat (template) flow on the local backend through the MCP tools: OpenAI message lists built from a
prompt plus stage files, or read from a table; stage paths inside `image_url.url` resolved by the job;
generation settings as params; the chat output columns. The model is IMAGE_CHAT_DEMO — a deterministic
demo model, not an LLM — so every answer is known in advance.
"""

import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from snowbatch.samples import models as sm
from tests.integration.deployments import Deployment, local_deployment
from tests.integration.helpers import approve_and_submit, call, wait_done

CHAT_OUTPUTS = ["id", "object", "created", "model", "choices", "usage"]
MODEL = f"ML.PUBLIC.{sm.IMAGE_CHAT_DEMO}"


@pytest.fixture(scope="module")
def chat_home(media_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("chat-flow") / "home"
    shutil.copytree(media_template, home, symlinks=True)
    return home


JOBS = {
    "prompt": {
        "model": MODEL,
        "input": {
            "kind": "chat",
            "stage_location": "@ML.PUBLIC.MEDIA/images/",
            "pattern": r".*\.png",
            "prompt": "Size and colour?",
            "system": "Be brief.",
        },
        "params": {"max_completion_tokens": 40},
    },
    "table": {"model": MODEL, "input": {"kind": "chat", "table": "ML.PUBLIC.CHAT_REQUESTS"}},
}


async def _run(deployment: Deployment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with Client(deployment.make_server()) as client:
        fns = await call(client, "show_model_functions", {"model": MODEL})
        ids = {}
        for name, args in JOBS.items():
            plan = await call(
                client,
                "plan_batch_job",
                {
                    **args,
                    "output_stage": f"@ML.PUBLIC.BATCH_OUT/chat/{name}/",
                    "compute_pool": "CPU_POOL",
                    "include_code": False,
                },
            )
            assert plan["ok"], plan["checks"]
            ids[name] = (await approve_and_submit(client, plan), plan)
        for name, (job_id, plan) in ids.items():
            job = await wait_done(client, job_id, deadline_s=120)
            assert job["status"] == "DONE", job
            view = await call(client, "inspect_output", {"job_id": job_id})
            out[name] = {"plan": plan, "frame": deployment.output_frame(view["location"])}
        out["functions"] = fns
    return out


@pytest.fixture(scope="module")
def chat(chat_home: Path) -> dict[str, Any]:
    return anyio.run(_run, local_deployment(chat_home))


def _answer(row: dict[str, Any]) -> str:
    return str(row["choices"][0]["message"]["content"])


def test_the_demo_model_is_a_chat_function_with_params(chat: dict[str, Any]) -> None:
    (fn,) = chat["functions"]["functions"]
    assert fn["input_kind"] == "chat" and fn["name"] == "__CALL__"
    assert any(p.startswith("max_completion_tokens") for p in fn["params"])


def test_a_prompt_plus_files_becomes_one_message_list_per_file(chat: dict[str, Any]) -> None:
    plan = chat["prompt"]["plan"]
    assert "2 chat message lists, one per file" in plan["summary"]
    # the demo chat model is a custom model logged without CUDA: a GPU would sit idle, so a CPU pool is
    # right and the plan says nothing about GPUs (core.compute)
    assert "pool_gpu" not in {c["name"] for c in plan["checks"]}
    frame = chat["prompt"]["frame"]
    assert list(frame.columns) == ["MESSAGES", "FILE_PATH", *CHAT_OUTPUTS]
    for row in frame.to_dict("records"):
        system, user = json.loads(row["MESSAGES"])  # the input is passed through as the job received it
        assert user["content"][1]["image_url"]["url"] == row["FILE_PATH"]  # joins back without JSON
        assert system == {"role": "system", "content": "Be brief."}
        assert user["content"][0] == {"type": "text", "text": "Size and colour?"}
        assert user["content"][1]["image_url"]["url"].startswith("@ML.PUBLIC.MEDIA/images/")


def test_stage_paths_in_messages_are_resolved_before_the_model_sees_them(chat: dict[str, Any]) -> None:
    answers = {
        json.loads(r["MESSAGES"])[1]["content"][1]["image_url"]["url"].rsplit("/", 1)[-1]: _answer(r)
        for r in chat["prompt"]["frame"].to_dict("records")
    }
    # The model only reads data URLs: sizes and colours prove it received the files' bytes.
    assert "PNG 48×32" in answers["red_with_blue_band.png"] and "(red," in answers["red_with_blue_band.png"]
    assert "PNG 40×40" in answers["green_gradient.png"] and "(green," in answers["green_gradient.png"]
    assert all(a.startswith("(demo model, not an LLM)") for a in answers.values())


def test_the_output_has_the_openai_chat_columns(chat: dict[str, Any]) -> None:
    for row in chat["prompt"]["frame"].to_dict("records"):
        assert row["object"] == "chat.completion" and row["id"].startswith("chatcmpl-demo-")
        assert "not an LLM" in row["model"] and row["created"] == 0.0
        choice = row["choices"][0]
        assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
        usage = row["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] <= 40 + 10


def test_a_table_of_messages_keeps_its_other_columns(chat: dict[str, Any]) -> None:
    frame = chat["table"]["frame"]
    assert list(frame.columns) == ["REQUEST_ID", "MESSAGES", *CHAT_OUTPUTS]
    assert sorted(frame["REQUEST_ID"]) == [1, 2, 3, 4]
    for row in frame.to_dict("records"):
        answer = _answer(row)
        assert "What is in this picture?" in answer and ("JPEG 640×427" in answer or "PNG" in answer)
