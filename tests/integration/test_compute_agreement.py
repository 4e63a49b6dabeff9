"""Every tool gives the same compute answer for every sample model: show_model_functions,
list_compute_pools' recommendation and the plan's checks — and none proposes a GPU pool for a model
that does not need one."""

import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.integration.helpers import call
from tests.integration.test_files_flow import media_template  # noqa: F401 - shared session fixture

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["local", "snowflake"])
def server(request: pytest.FixtureRequest, media_template: Path, tmp_path: Path) -> Any:  # noqa: F811
    """A server over each backend with every sample model: tabular, files (speech, images) and chat."""
    if request.param == "local":
        home = tmp_path / "home"
        shutil.copytree(media_template, home, symlinks=True)
        return build_server(Settings(backend="local", home=home))
    from tests.fakes import make_fake_snowflake_backend
    from tests.fakes.seed import seed_media

    backend = make_fake_snowflake_backend(tmp_path)
    seed_media(backend.fake_account, {"images/a.png": b"\x89PNG\r\n\x1a\nfake"})
    return build_server(Settings(backend="snowflake", home=tmp_path / "home"), backend=backend)


async def test_the_tools_agree_on_gpu_and_warehouse_for_every_sample_model(server: Any) -> None:
    seen: list[str] = []
    async with Client(server) as client:
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
