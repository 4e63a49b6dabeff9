"""The MCP skills extension (`io.modelcontextprotocol/skills`, SEP-2640): `skills/list` and `skills/get`.

The files themselves stay what tools/skills.py serves (`skill://<skill>/<path>` resources read with
`resources/read`); this adds the two methods a client that speaks the extension calls to learn which
skills there are. Each entry is the skill's `SKILL.md` URI, its frontmatter as written, and every file
of the skill with its size and `sha256:` digest, so a client can check what it reads against what it was
told. Shapes follow the extension's specification (modelcontextprotocol/ext-skills,
specification/stable/skills.mdx: "Skill Entries", "Listing Skills", "Getting a Skill").

`directoryRead` is not declared: every file is listed in the entry, so a client never needs to read a
directory. Entries are computed per request from the files on disk, so they never describe stale bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp_types import PaginatedRequestParams, RequestParams

from snowbatch.skill_bundle import shipped_skills
from snowbatch.tools.skills import skill_entry, skill_uri

SKILLS_EXTENSION = "io.modelcontextprotocol/skills"
CACHE_FROM_VERSION = "2026-07-28"  # `ttlMs`/`cacheScope` exist on list results from this revision on
# The skills are the files snowbatch ships: the same for every client, changed only by an upgrade.
LIST_TTL_MS = 300_000
INVALID_PARAMS = -32602  # the code the specification names for a URI that is not a skill of this server


class GetSkillParams(RequestParams):
    uri: str


def _caching(ctx: ServerRequestContext[Any, Any]) -> dict[str, Any]:
    """The list-caching hints, only on revisions that define them (SEP-2640: "In protocol versions
    2026-07-28 and later, the result also carries the base protocol's list-caching attributes")."""
    from mcp_types.version import is_version_at_least

    version = ctx.protocol_version
    if version is not None and is_version_at_least(version, CACHE_FROM_VERSION):
        return {"ttlMs": LIST_TTL_MS, "cacheScope": "public"}
    return {}


def _invalid(message: str) -> Exception:
    from mcp.shared.exceptions import MCPError

    return MCPError(code=INVALID_PARAMS, message=message)


async def list_skills(
    ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
) -> dict[str, Any]:
    # One page holds every skill (a handful); a cursor can only be one we never issued.
    if params is not None and params.cursor is not None:
        raise _invalid(
            "Unknown cursor: skills/list returns every skill in one page; call it without a cursor."
        )
    return {"skills": [skill_entry(s) for s in shipped_skills()], **_caching(ctx)}


async def get_skill(ctx: ServerRequestContext[Any, Any], params: GetSkillParams) -> dict[str, Any]:
    for skill in shipped_skills():
        if skill_uri(skill.name, "SKILL.md") == params.uri:
            return {"skill": skill_entry(skill), **_caching(ctx)}
    known = ", ".join(skill_uri(s.name, "SKILL.md") for s in shipped_skills())
    raise _invalid(f"{params.uri} is not a skill of this server. Skills: {known}.")


class SkillsExtension(Extension):
    identifier = SKILLS_EXTENSION

    def methods(self) -> Sequence[MethodBinding]:
        return (
            MethodBinding("skills/list", PaginatedRequestParams, list_skills),
            MethodBinding("skills/get", GetSkillParams, get_skill),
        )
