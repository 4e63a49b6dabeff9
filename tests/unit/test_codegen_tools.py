"""The MCP tools over codegen: list_templates and generate_code, read-only, compact, errors with a fix."""

from __future__ import annotations

import re
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


async def test_both_tools_are_read_only(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"list_templates", "generate_code"}
    for tool in tools.values():
        assert tool.annotations is not None and tool.annotations.read_only_hint is True


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


CHAT = {
    "model": "ML.PUBLIC.LLAMA",
    "prompt": "Hi",
    "output_stage": "@ML.PUBLIC.OUT/",
    "compute_pool": "GPU_POOL",
}


async def test_template_errors_name_the_parameter_and_the_next_step_in_our_words(server: MCPServer) -> None:
    async with Client(server) as client:
        missing = await client.call_tool(
            "generate_code", {"template": "read_results", "parameters": {"output_stage": "@ML.PUBLIC.OUT/"}}
        )
        wrong_type = await client.call_tool(
            "generate_code",
            {
                "template": "create_compute_pool",
                "parameters": {"pool": "P", "instance_family": "CPU_X64_S", "max_nodes": "two"},
            },
        )
        wrong_setting = await client.call_tool(
            "generate_code",
            {
                "template": "run_batch_chat",
                "snowml_version": "2.6.0",
                "parameters": {**CHAT, "generation": {"stop": "END"}, "generation_as": "columns"},
            },
        )
    texts = [r.content[0].text for r in (missing, wrong_type, wrong_setting)]
    assert all(r.is_error for r in (missing, wrong_type, wrong_setting))
    assert (
        "Template read_results needs job_name." in texts[0]
        and "Next step: Give job_name: job name" in texts[0]
    )
    assert "Parameter max_nodes of template create_compute_pool is not valid" in texts[1]
    assert "Next step: Give max_nodes as" in texts[1]
    assert (
        "stop must be a non-empty list" in texts[2]
        and 'Next step: Give stop as in generation={"stop"' in texts[2]
    )
    assert not any(re.search(r"jinja|undefined|has no attribute", t, re.IGNORECASE) for t in texts)


async def test_chat_settings_as_columns_render_with_any_subset(server: MCPServer) -> None:
    async with Client(server) as client:
        result = await client.call_tool(
            "generate_code",
            {
                "template": "run_batch_chat",
                "snowml_version": "2.6.0",
                "parameters": {**CHAT, "generation": {"temperature": 0.2}, "generation_as": "columns"},
            },
        )
    assert not result.is_error, result.content[0].text
    code = result.structured_content["code"]
    assert 'input_df = input_df.with_column("TEMPERATURE", lit(0.2))' in code and "STOP" not in code


async def test_parameter_details_say_which_release_a_parameter_needs(server: MCPServer) -> None:
    async with Client(server) as client:
        detail = await client.call_tool("list_templates", {"template": "run_batch_scaled"})
    params = {p["name"]: p for p in detail.structured_content["details"]["parameters"]}
    assert params["partition_column"]["since"] == "1.31.0"
    assert params["engine"]["choices_since"] == {"python_generic": "1.29.0"}
