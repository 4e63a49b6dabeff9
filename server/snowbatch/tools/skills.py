"""The shipped Agent Skills over MCP: every skill file as a `skill://` resource, the entry flow as a prompt.

URIs follow the convention other skill servers use, so a client that knows it can sync whole skills:
`skill://<skill>/SKILL.md`, `skill://<skill>/<relative path>` for every other file, and
`skill://<skill>/_manifest`, the skill's entry as the MCP skills extension gives it (tools/skills_extension.py
serves `skills/list` and `skills/get`). A relative path inside a
skill (`references/api-versions.md`, `../batch-inference-jobs/SKILL.md`) resolves against the skill's
URI exactly as it does against its folder on disk.

Only the folder listing happens at registration; files are read when a client reads them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources import FileResource

from snowbatch.app import App
from snowbatch.skill_bundle import Skill, sha256_file, shipped_skills, split_frontmatter

ENTRY_SKILL = "batch-inference"
_MIME = {
    ".md": "text/markdown",
    ".json": "application/json",
    ".py": "text/x-python",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".sql": "application/sql",
}


def skill_uri(skill: str, relative: str) -> str:
    return f"skill://{skill}/{relative}"


def skill_entry(skill: Skill) -> dict[str, Any]:
    """The skill's entry as the MCP skills extension shapes it (SEP-2640 "Skill Entries"): the SKILL.md
    URI, the frontmatter verbatim, and every file with its size and `sha256:` digest. Served by
    `skills/get` and, for clients without the extension, as the `_manifest` resource."""
    frontmatter, _ = split_frontmatter(skill.path("SKILL.md").read_text(encoding="utf-8"))
    resources = [
        {
            "uri": skill_uri(skill.name, rel),
            "digest": f"sha256:{sha256_file(skill.path(rel))}",
            "size": skill.path(rel).stat().st_size,
        }
        for rel in skill.files
    ]
    return {"uri": skill_uri(skill.name, "SKILL.md"), "frontmatter": frontmatter, "resources": resources}


def _manifest_reader(skill: Skill) -> Callable[[], str]:
    def manifest() -> str:
        return json.dumps(skill_entry(skill), indent=2)

    return manifest


def entry_prompt_text(skills: list[Skill], request: str | None) -> str:
    """The entry skill's instructions as a prompt, with where the other skills can be read."""
    entry = next((s for s in skills if s.name == ENTRY_SKILL), None)
    if entry is None:
        raise FileNotFoundError(f"The {ENTRY_SKILL} skill is missing from this installation.")
    _, body = split_frontmatter(entry.path("SKILL.md").read_text(encoding="utf-8"))
    others = "\n".join(
        f"- `{skill_uri(s.name, 'SKILL.md')}`: {s.description}" for s in skills if s is not entry
    )
    ask = request.strip() if request and request.strip() else "(not stated yet: ask what they want to score)"
    return (
        "You are guiding a person through batch inference on the Snowflake Model Registry with the "
        "snowbatch tools. Follow the skill below step by step; stop where it says STOP. When it sends you "
        "to another skill, read that skill's resource (a path like `../batch-inference-jobs/SKILL.md` is "
        "the resource `skill://batch-inference-jobs/SKILL.md`; `references/x.md` inside a skill is "
        "`skill://<that skill>/references/x.md`).\n\n"
        f"Other skills:\n{others}\n\n"
        f"The person's request: {ask}\n\n"
        f"---\n{body.strip()}\n"
    )


def register(server: MCPServer, app: App) -> None:
    """Add every shipped skill file as a resource and the entry flow as the `batch_inference` prompt."""
    del app  # skills are the same for every backend and in read-only mode
    skills = shipped_skills()
    for skill in skills:
        for rel in skill.files:
            path = skill.path(rel).resolve()
            is_main = rel == "SKILL.md"
            server.add_resource(
                FileResource(
                    uri=skill_uri(skill.name, rel),
                    path=path,
                    name=f"{skill.name}/{rel}",
                    title=f"Skill {skill.name}" if is_main else f"{skill.name}: {rel}",
                    description=skill.description
                    if is_main
                    else f"Reference file of the {skill.name} skill.",
                    mime_type=_MIME.get(Path(rel).suffix, "text/plain"),
                )
            )

        server.resource(
            skill_uri(skill.name, "_manifest"),
            name=f"{skill.name}/_manifest",
            title=f"Files of skill {skill.name}",
            description=f"The {skill.name} skill's frontmatter and files with sizes and SHA-256.",
            mime_type="application/json",
        )(_manifest_reader(skill))

    @server.prompt(
        name="batch_inference",
        title="Batch inference on the Snowflake Model Registry",
        description="Start the guided batch-inference conversation: choose warehouse run() or an SPCS "
        "run_batch() job, then model, input, output, compute and an explicit approval before anything "
        "runs. Optionally pass what the person asked for.",
    )
    def batch_inference(request: str | None = None) -> str:
        return entry_prompt_text(skills, request)
