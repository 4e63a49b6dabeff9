"""`snowbatch setup --client …`: the client's MCP server entry and the skills where it reads them.

Each client's files, as its documentation describes them:

- Claude Code: `.mcp.json` `{"mcpServers": {name: {command, args}}}` in the project, `~/.claude.json`
  for the user (https://docs.anthropic.com/en/docs/claude-code/mcp); skills in `.claude/skills/`.
- Cursor: `.cursor/mcp.json` / `~/.cursor/mcp.json`, the same `mcpServers` shape
  (https://docs.cursor.com/context/model-context-protocol); skills in `.cursor/skills/`.
- Codex: `[mcp_servers.<name>]` with `command` and `args` in `.codex/config.toml` (a trusted project)
  or `~/.codex/config.toml` (https://developers.openai.com/codex/mcp); skills in `.agents/skills/`
  (https://developers.openai.com/codex/skills).
- Gemini CLI: `mcpServers` in `.gemini/settings.json` / `~/.gemini/settings.json`
  (https://geminicli.com/docs/tools/mcp-server/); skills in `.gemini/skills/`
  (https://geminicli.com/docs/cli/using-agent-skills/).
- VS Code: `.vscode/mcp.json` `{"servers": {name: {"type": "stdio", command, args}}}`
  (https://code.visualstudio.com/docs/copilot/reference/mcp-configuration); skills in `.github/skills/`
  or `~/.copilot/skills/` (https://docs.github.com/en/copilot/how-tos/use-copilot-agents/cloud-agent/create-skills).
  Its user-scope mcp.json lives in a per-platform profile folder: project scope only here.

A person's edits are kept: an existing `snowbatch` entry that differs from ours is left alone (and said)
unless `force`; every other key of the file is kept as it is.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (a dependency there)
    import tomli as tomllib

from snowbatch.cli.install_skills import InstallReport, install_skills

SERVER_NAME = "snowbatch"
Scope = Literal["project", "user"]


@dataclass(frozen=True)
class Client:
    name: str
    config: dict[str, str]  # scope -> the MCP config file, relative to the project or the home folder
    skills: dict[str, str]  # scope -> the skills folder
    fmt: Literal["mcpServers", "vscode", "codex"]


CLIENTS: dict[str, Client] = {
    c.name: c
    for c in [
        Client(
            "claude-code",
            {"project": ".mcp.json", "user": ".claude.json"},
            {"project": ".claude/skills", "user": ".claude/skills"},
            "mcpServers",
        ),
        Client(
            "cursor",
            {"project": ".cursor/mcp.json", "user": ".cursor/mcp.json"},
            {"project": ".cursor/skills", "user": ".cursor/skills"},
            "mcpServers",
        ),
        Client(
            "codex",
            {"project": ".codex/config.toml", "user": ".codex/config.toml"},
            {"project": ".agents/skills", "user": ".agents/skills"},
            "codex",
        ),
        Client(
            "gemini",
            {"project": ".gemini/settings.json", "user": ".gemini/settings.json"},
            {"project": ".gemini/skills", "user": ".gemini/skills"},
            "mcpServers",
        ),
        Client("vscode", {"project": ".vscode/mcp.json"}, {"project": ".github/skills"}, "vscode"),
    ]
}


@dataclass
class SetupReport:
    client: str
    config_file: Path
    config_change: str  # "added", "updated", "unchanged", "kept your edited entry"
    skills: InstallReport
    dry_run: bool
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "Would set up" if self.dry_run else "Set up"
        out = [
            f"{verb} snowbatch for {self.client}:",
            f"  MCP server entry in {self.config_file}: {self.config_change}",
        ]
        out += ["  " + line for line in self.skills.lines()]
        out += [f"  note: {n}" for n in self.notes]
        return out


def server_command() -> tuple[str, list[str]]:
    """The command that starts this installation's server: the `snowbatch` script beside the running
    interpreter (so the client needs no PATH), else `snowbatch` on PATH."""
    beside = Path(sys.executable).parent / "snowbatch"
    return (str(beside) if beside.exists() else "snowbatch"), ["serve"]


def entry_for(client: Client) -> dict[str, Any]:
    command, args = server_command()
    if client.fmt == "vscode":
        return {"type": "stdio", "command": command, "args": args}
    return {"command": command, "args": args}


def _merge_json(text: str | None, key: str, entry: dict[str, Any], force: bool) -> tuple[str | None, str]:
    data = json.loads(text) if text and text.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("the file does not hold a JSON object")
    servers = data.setdefault(key, {})
    if not isinstance(servers, dict):
        raise ValueError(f'"{key}" is not a JSON object')
    current = servers.get(SERVER_NAME)
    if current == entry:
        return None, "unchanged"
    if current is not None and not force:
        return None, "kept your edited entry (--force replaces it)"
    servers[SERVER_NAME] = entry
    return json.dumps(data, indent=2) + "\n", "updated" if current is not None else "added"


_TABLE = re.compile(rf"^\[mcp_servers\.{SERVER_NAME}\]\s*$", re.M)
_NEXT_TABLE = re.compile(r"^\[", re.M)


def _toml_table(entry: dict[str, Any]) -> str:
    args = ", ".join(json.dumps(a) for a in entry["args"])
    return f"[mcp_servers.{SERVER_NAME}]\ncommand = {json.dumps(entry['command'])}\nargs = [{args}]\n"


def _merge_toml(text: str | None, entry: dict[str, Any], force: bool) -> tuple[str | None, str]:
    text = text or ""
    current = tomllib.loads(text).get("mcp_servers", {}).get(SERVER_NAME)
    if current == entry:
        return None, "unchanged"
    if current is not None and not force:
        return None, "kept your edited entry (--force replaces it)"
    table = _toml_table(entry)
    found = _TABLE.search(text)
    if found is None:
        merged = text + ("\n" if text and not text.endswith("\n\n") else "") + table
    else:  # our table only, up to the next table header: the person's other tables stay as written
        following = _NEXT_TABLE.search(text, found.end())
        end = following.start() if following else len(text)
        merged = text[: found.start()] + table + ("\n" if following else "") + text[end:]
    tomllib.loads(merged)  # never write a file the client cannot read
    return merged, "updated" if current is not None else "added"


def setup_client(
    name: str,
    *,
    scope: Scope = "project",
    project_dir: Path | None = None,
    home: Path | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> SetupReport:
    """Write `name`'s MCP server entry and install the skills where it reads them."""
    if name not in CLIENTS:
        raise ValueError(f"Unknown client {name!r}. Use one of: {', '.join(CLIENTS)}.")
    client = CLIENTS[name]
    if scope not in client.config:
        raise ValueError(
            f"{name} takes project scope only here (its user settings live in a profile folder)."
        )
    base = (home or Path.home()) if scope == "user" else (project_dir or Path.cwd())
    config_file = base / client.config[scope]
    existing = config_file.read_text(encoding="utf-8") if config_file.exists() else None
    entry = entry_for(client)
    try:
        if client.fmt == "codex":
            new_text, change = _merge_toml(existing, entry, force)
        else:
            new_text, change = _merge_json(
                existing, "servers" if client.fmt == "vscode" else "mcpServers", entry, force
            )
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(
            f"{config_file} could not be read ({exc}); fix or move it, then run setup again."
        ) from None
    if new_text is not None and not dry_run:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(new_text, encoding="utf-8")
    skills = install_skills(
        str(base / client.skills[scope]), scope=scope, project_dir=base, force=force, dry_run=dry_run
    )
    notes = (
        ["Codex reads a project's .codex/config.toml only when the project is trusted."]
        if name == "codex" and scope == "project"
        else []
    )
    return SetupReport(name, config_file, change, skills, dry_run, notes)
