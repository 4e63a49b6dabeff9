"""Every tool gives the same compute answer for every sample model: show_model_functions,
list_compute_pools' recommendation and the plan's checks — and none proposes a GPU pool for a model
that does not need one."""

from typing import Any

import pytest
from mcp import Client

from tests.integration.helpers import call

pytestmark = pytest.mark.anyio


async def test_the_tools_agree_on_gpu_and_warehouse_for_every_sample_model(media_server: Any) -> None:
    seen: list[str] = []
    async with Client(media_server) as client:
        models = (await call(client, "list_models", {"limit": 200}))["items"]
        for model in models:
            name = model["name"]
            shown = await call(client, "show_model_functions", {"model": name})
            pools = await call(client, "list_compute_pools", {"model": name})
            advice: dict[str, Any] = pools["recommendation"]
            assert advice["gpu"] == shown["gpu"], (name, advice, shown["gpu_reason"])
            assert shown["gpu_reason"] in advice["reason"], name
            if shown["gpu"] != "required":
                assert not str(advice.get("family_to_create") or "").startswith("GPU"), (name, advice)
            kinds = {f["input_kind"] for f in shown["functions"]}
            if kinds & {"files", "chat"}:
                assert not shown["warehouse_runnable"] and shown["approach"].startswith("batch job"), name
            seen.append(f"{name}:{shown['gpu']}")
    assert len(seen) >= 4, seen
