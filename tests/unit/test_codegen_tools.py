"""The MCP tools over codegen: list_templates and generate_code, read-only, compact, errors with a fix."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from snowbatch.app import App
from snowbatch.settings import Settings
from snowbatch.tools import code

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.MCPDeprecationWarning")]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server(tmp_path: Any) -> MCPServer:
    def no_backend(_settings: Settings) -> Any:
        raise AssertionError("the code tools must not touch a backend")

    server = MCPServer("test")
    code.register(server, App(Settings(home=tmp_path), no_backend))
    return server


async def test_both_tools_are_read_only_with_titles(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"list_templates", "generate_code"}
    for tool in tools.values():
        assert tool.title and tool.annotations is not None
        assert tool.annotations.read_only_hint is True and tool.annotations.destructive_hint is False


async def test_listing_is_compact_and_details_come_on_request(server: MCPServer) -> None:
    async with Client(server) as client:
        listing = await client.call_tool("list_templates", {})
        detail = await client.call_tool("list_templates", {"template": "create_stage"})
    templates = listing.structured_content["templates"]
    assert len(templates) >= 19 and len(listing.content[0].text) < 12_000
    tabular = next(t for t in templates if t["name"] == "run_batch_tabular")
    assert tabular["required"] == ["model", "output_stage", "compute_pool"]
    params = detail.structured_content["details"]["parameters"]
    assert [p["name"] for p in params if p["required"]] == ["stage"]


async def test_generate_code_renders_for_the_release_asked(server: MCPServer) -> None:
    args = {
        "template": "run_batch_tabular",
        "snowml_version": "1.40.0",
        "parameters": {
            "model": "ML.PUBLIC.CHURN",
            "input_table": "ML.PUBLIC.T",
            "output_stage": "@ML.PUBLIC.OUT/",
            "compute_pool": "CPU_POOL",
        },
    }
    async with Client(server) as client:
        result = await client.call_tool("generate_code", args)
    assert not result.is_error
    assert result.structured_content["target_version"] == "1.40.0"
    assert "from snowflake.ml.model.batch import" in result.structured_content["code"]


async def test_bad_requests_come_back_as_errors_with_the_next_step(server: MCPServer) -> None:
    async with Client(server) as client:
        missing = await client.call_tool("generate_code", {"template": "create_stage"})
        old = await client.call_tool(
            "generate_code",
            {"template": "create_stage", "snowml_version": "1.20.0", "parameters": {"stage": "ML.PUBLIC.S"}},
        )
        unknown = await client.call_tool("list_templates", {"template": "nope"})
    assert missing.is_error and "needs stage" in missing.content[0].text
    assert old.is_error and "Next step: Upgrade" in old.content[0].text
    assert unknown.is_error and "list_templates" in unknown.content[0].text
