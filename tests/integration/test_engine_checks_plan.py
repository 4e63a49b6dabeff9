"""A vLLM chat job planned on the fake Snowflake account through plan_batch_job: engine settings the pool's
instance family cannot hold block the plan before anything is paid for (no confirmation token), and a plan
that fits shows the prompt, the engine and its settings in its summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from snowbatch.samples import models as sm
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.fakes import make_fake_snowflake_backend
from tests.fakes.seed import seed_media
from tests.integration.helpers import call

pytestmark = [pytest.mark.anyio]

MEDIA_FILES = {"images/a.png": b"\x89PNG\r\n\x1a\nfake", "images/b.jpg": b"\xff\xd8\xff\xe0fake"}


def chat_plan(*engine_args: str) -> dict[str, Any]:
    return {
        "model": f"ML.PUBLIC.{sm.IMAGE_CHAT_DEMO}",
        "input": {"kind": "chat", "stage_location": "@ML.PUBLIC.MEDIA/images/", "prompt": "What is shown?"},
        "output_stage": "@ML.PUBLIC.BATCH_OUT/engine/",
        "compute_pool": "GPU_POOL",  # GPU_NV_S: 1 × A10G 24 GB
        "engine": "vllm",
        "engine_args": list(engine_args),
    }


@pytest.fixture
def client(tmp_path: Path) -> Client:
    backend = make_fake_snowflake_backend(tmp_path)
    seed_media(backend.fake_account, MEDIA_FILES)  # type: ignore[attr-defined]
    return Client(build_server(Settings(backend="snowflake", home=tmp_path / "home"), backend=backend))


async def test_tensor_parallel_beyond_the_pools_gpus_blocks_the_plan_without_a_token(client: Client) -> None:
    async with client:
        plan = await call(client, "plan_batch_job", chat_plan("--tensor-parallel-size=2"))
    assert plan["ok"] is False and plan["confirmation_token"] is None
    (fail,) = [c for c in plan["checks"] if c["status"] == "fail"]
    assert fail["name"] == "engine_parallel"
    assert "GPU_NV_S with 1 GPU per node" in fail["message"] and "needs 2 GPUs" in fail["message"]
    assert "GPU_NV_M" in fail["fix"] and "--tensor-parallel-size" in fail["fix"]
    assert "BLOCKED" in plan["summary"]


async def test_a_plan_that_fits_is_ok_and_its_summary_shows_the_prompt_and_engine_settings(
    client: Client,
) -> None:
    async with client:
        plan = await call(
            client,
            "plan_batch_job",
            chat_plan("--tensor-parallel-size=1", "--max-model-len=8192", "--gpu-memory-utilization=0.9"),
        )
    assert plan["ok"] is True and plan["confirmation_token"], plan["checks"]
    status = {c["name"]: c["status"] for c in plan["checks"]}
    assert (
        status["engine_parallel"] == status["engine_gpu_memory"] == status["engine_max_model_len"] == "pass"
    )
    summary = plan["summary"]
    assert '  prompt   "What is shown?"' in summary
    assert "  engine   vLLM — tensor parallel 1, max model length 8192, GPU memory use 0.9" in summary
