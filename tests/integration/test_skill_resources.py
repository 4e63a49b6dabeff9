"""The server serves every shipped skill file as a skill:// resource and the entry flow as a prompt,
read through a real in-process MCP client in both protocol modes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from snowbatch.server import build_server
from snowbatch.settings import Settings
from snowbatch.skill_bundle import shipped_skills

pytestmark = [pytest.mark.anyio]
SKILLS = shipped_skills()
FILES = {f"skill://{s.name}/{rel}": s.path(rel) for s in SKILLS for rel in s.files}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server(tmp_path: Path) -> MCPServer:
    return build_server(Settings.model_validate({"backend": "local", "home": tmp_path}))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_every_skill_file_is_listed_and_reads_back_exactly(server: MCPServer, mode: str) -> None:
    async with Client(server, mode=mode) as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        for uri, path in FILES.items():
            assert uri in listed, f"{uri} is not listed"
            contents = (await client.read_resource(uri)).contents
            assert contents[0].text == path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    main = listed["skill://batch-inference/SKILL.md"]
    assert main.mime_type == "text/markdown"
    assert main.description and "batch inference" in main.description.lower()


async def test_each_skill_has_a_manifest_matching_its_files(server: MCPServer) -> None:
    """For clients without the skills extension: the same entry skills/get gives, as a resource."""
    async with Client(server) as client:
        for skill in SKILLS:
            result = await client.read_resource(f"skill://{skill.name}/_manifest")
            manifest = json.loads(result.contents[0].text)  # type: ignore[union-attr]
            assert manifest["uri"] == f"skill://{skill.name}/SKILL.md"
            assert manifest["frontmatter"]["name"] == skill.name
            assert [f["uri"] for f in manifest["resources"]] == [
                f"skill://{skill.name}/{rel}" for rel in skill.files
            ]
            for entry, rel in zip(manifest["resources"], skill.files, strict=True):
                data = skill.path(rel).read_bytes()
                assert entry["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
                assert entry["size"] == len(data)


async def test_relative_links_in_a_skill_resolve_to_listed_resources(server: MCPServer) -> None:
    """`../batch-inference-jobs/SKILL.md` from skill://batch-inference/SKILL.md is another listed resource."""
    async with Client(server) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
    assert "skill://batch-inference-jobs/SKILL.md" in listed
    assert "skill://batch-inference-jobs/references/api-versions.md" in listed


async def test_unknown_skill_uri_is_an_error(server: MCPServer) -> None:
    from mcp import MCPError

    async with Client(server) as client:
        with pytest.raises(MCPError):
            await client.read_resource("skill://batch-inference/NOPE.md")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_entry_flow_prompt(server: MCPServer, mode: str) -> None:
    async with Client(server, mode=mode) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert "batch_inference" in prompts
        assert [a.name for a in prompts["batch_inference"].arguments or []] == ["request"]
        got = await client.get_prompt("batch_inference", {"request": "score MY_DB.ML.CUSTOMERS with CHURN"})
        bare = await client.get_prompt("batch_inference")
    text = got.messages[0].content.text  # type: ignore[union-attr]
    assert "score MY_DB.ML.CUSTOMERS with CHURN" in text
    assert "## Step 2 — Choose the approach" in text  # the entry skill's body
    assert "**STOP** —" in text
    assert "skill://batch-inference-jobs/SKILL.md" in text
    assert "not stated yet" in bare.messages[0].content.text  # type: ignore[union-attr]


async def test_read_only_server_still_serves_the_skills(tmp_path: Path) -> None:
    settings = Settings.model_validate({"backend": "local", "home": tmp_path, "read_only": True})
    async with Client(build_server(settings)) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
    assert set(FILES) <= listed
