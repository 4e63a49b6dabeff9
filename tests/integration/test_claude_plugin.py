"""The repository is a Claude Code plugin and a one-plugin marketplace (issue 18).

`/plugin marketplace add <this repository>` then `/plugin install snowbatch@snowbatch` gives the skills and
the MCP server in one step. Two kinds of check stand behind that:

- **The real Claude Code CLI** (npm `@anthropic-ai/claude-code`, checked with 2.1.197). Its
  `claude plugin validate` runs offline, with no login, so the tests run it with `--strict` (warnings are
  failures), and they install the plugin from this repository as a marketplace in a throwaway home. They
  install it with npm into .cache/claude-cli (SNOWBATCH_CLAUDE_CLI names another), like the Inspector
  test, and are skipped only where Node.js and npm are missing.
- **The manifest schema in Claude Code's documentation**, for the tests that run without Node.js. Each
  fact relied on is an assertion here, with the page it comes from:
  https://code.claude.com/docs/en/plugins/manifest-reference (plugin.json) and
  https://code.claude.com/docs/en/plugins/marketplace-reference (marketplace.json). Some of these the CLI
  does not check: a marketplace entry whose source names a missing folder passes its validation.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from snowbatch.skill_bundle import shipped_skills
from tests.npm_tools import npm_tool

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_JSON = ROOT / ".claude-plugin" / "plugin.json"
MARKETPLACE_JSON = ROOT / ".claude-plugin" / "marketplace.json"
PLUGIN_ROOT_VARIABLE = "${CLAUDE_PLUGIN_ROOT}"


# manifest-reference, "Fields": every top-level key plugin.json may have; any other is stripped at load.
PLUGIN_FIELDS = {
    "$schema",
    "name",
    "displayName",
    "version",
    "description",
    "author",
    "homepage",
    "repository",
    "license",
    "keywords",
    "metadata",
    "defaultEnabled",
    "dependencies",
    "settings",
    "userConfig",
    "channels",
    "skills",
    "commands",
    "agents",
    "hooks",
    "mcpServers",
    "lspServers",
    "outputStyles",
    "workflows",
    "experimental",
}
# marketplace-reference, "Top-level fields": name, owner and plugins are required.
MARKETPLACE_FIELDS = {
    "name",
    "owner",
    "plugins",
    "$schema",
    "description",
    "version",
    "metadata",
    "forceRemoveDeletedPlugins",
    "allowCrossMarketplaceDependenciesOn",
    "renames",
}
# marketplace-reference, "Reserved names" (the exact names; look-alikes are refused too).
RESERVED_MARKETPLACE_NAMES = {
    "claude-code-marketplace",
    "claude-code-plugins",
    "claude-plugins-official",
    "anthropic-marketplace",
    "anthropic-plugins",
    "agent-skills",
    "anthropic-agent-skills",
    "inline",
    "builtin",
    "skills-dir",
    "synced",
    "npm",
    "pip",
    "uv",
    "cargo",
    "github",
    "gh",
}
KEBAB_CASE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _server() -> dict[str, Any]:
    servers = _json(PLUGIN_JSON)["mcpServers"]
    assert isinstance(servers, dict) and list(servers) == ["snowbatch"], servers
    server = servers["snowbatch"]
    assert isinstance(server, dict)
    return server


# --- the manifests, against the documented schema (always run) ---


def test_plugin_json_has_a_kebab_case_name_and_only_documented_fields() -> None:
    plugin = _json(PLUGIN_JSON)
    # manifest-reference: `name` is the only required key, kebab-case; unknown keys are stripped.
    assert KEBAB_CASE.fullmatch(plugin["name"]), plugin["name"]
    assert set(plugin) <= PLUGIN_FIELDS, set(plugin) - PLUGIN_FIELDS
    # `author` is an object whose `name` is required; `description` and `version` are what
    # `claude plugin validate` warns about when missing.
    assert isinstance(plugin["author"]["name"], str) and plugin["author"]["name"]
    assert plugin["description"].strip()


def test_the_plugin_version_is_the_package_version() -> None:
    # manifest-reference, `version`: setting it keeps users on that version until it changes, so a
    # release that bumps pyproject.toml bumps the plugin too (and uv rebuilds from the changed pyproject).
    assert _json(PLUGIN_JSON)["version"] == _pyproject()["project"]["version"]


def test_the_marketplace_lists_this_repository_as_its_one_plugin() -> None:
    market = _json(MARKETPLACE_JSON)
    # marketplace-reference: name, owner (with owner.name) and plugins are required.
    assert set(market) <= MARKETPLACE_FIELDS, set(market) - MARKETPLACE_FIELDS
    assert KEBAB_CASE.fullmatch(market["name"]) and market["name"] not in RESERVED_MARKETPLACE_NAMES
    assert isinstance(market["owner"]["name"], str) and market["owner"]["name"]
    assert market["description"].strip()  # validate warns when it is missing

    (entry,) = market["plugins"]
    # An entry needs name and source; users type `<entry name>@<marketplace name>` to install.
    assert entry["name"] == _json(PLUGIN_JSON)["name"]
    # A relative source starts with "./" and resolves from the marketplace root, the folder that holds
    # .claude-plugin/ (not from .claude-plugin/ itself): here that is the repository root.
    assert entry["source"] == "./"
    assert (MARKETPLACE_JSON.parent.parent / entry["source"]).resolve() == ROOT
    assert (ROOT / entry["source"] / ".claude-plugin" / "plugin.json").is_file()
    # With a plugin.json present, plugin.json is the manifest: an entry's mcpServers would not apply,
    # component fields would be appended to it, and a version in both draws a warning.
    for field in ("mcpServers", "skills", "commands", "agents", "hooks", "version", "strict"):
        assert field not in entry, field


def test_the_server_is_declared_in_plugin_json_not_as_a_project_server() -> None:
    # manifest-reference, `mcpServers`: an inline map of server configs keyed by name is accepted.
    # A .mcp.json at the plugin root would also work, but at a project root the same file declares a
    # project-scope server (https://code.claude.com/docs/en/mcp), which anyone opening this repository
    # in Claude Code would be offered.
    assert not (ROOT / ".mcp.json").exists(), (
        "a .mcp.json at the repository root is the plugin's default MCP file and a project server for "
        "anyone opening the repository: declare servers in plugin.json (`snowbatch setup` run in this "
        "checkout writes one; delete it)"
    )
    server = _server()
    # A stdio server: command and args (env optional); no url, no type other than stdio.
    assert set(server) <= {"command", "args", "env"}, server
    assert isinstance(server["command"], str)
    assert isinstance(server["args"], list) and all(isinstance(a, str) for a in server["args"])


def test_the_server_command_starts_snowbatch_serve_from_the_plugin_folder() -> None:
    # manifest-reference, "Environment variables": ${CLAUDE_PLUGIN_ROOT} resolves in an MCP stdio server's
    # command, args and env to the absolute path of the plugin's installed copy. The command is
    # `uvx --from <plugin root> <console script> <args>`: uv builds the package in that folder and runs
    # one of its [project.scripts] (uv is the one thing a user needs).
    server = _server()
    assert server["command"] == "uvx"
    flag, source, script, *script_args = server["args"]
    assert flag == "--from"
    assert source == PLUGIN_ROOT_VARIABLE
    assert Path(source.replace(PLUGIN_ROOT_VARIABLE, str(ROOT))).resolve() == ROOT

    project = _pyproject()["project"]
    assert project["name"] == "snowbatch"
    target = project["scripts"][script]
    assert script_args == ["serve"]
    module, _, function = target.partition(":")
    # The console script's function, run with the plugin's arguments (plus --help, so it stops at the
    # argument parser): it is `snowbatch serve`.
    probe = (
        f"import sys; sys.argv = [{script!r}, *{script_args!r}, '--help']; "
        f"from {module} import {function}; {function}()"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: snowbatch serve"), done.stdout


def test_every_skill_folder_is_a_skill_claude_code_loads() -> None:
    # manifest-reference, "Standard layout": skills load from skills/ at the plugin root, one
    # <name>/SKILL.md per skill; a `skills` key would only add folders to that scan.
    assert "skills" not in _json(PLUGIN_JSON)
    folders = sorted(p for p in (ROOT / "skills").iterdir() if p.is_dir())
    assert folders
    for folder in folders:
        assert (folder / "SKILL.md").is_file(), folder
    skills = shipped_skills(ROOT / "skills")
    assert [s.directory for s in skills] == folders
    for skill in skills:
        assert skill.name == skill.directory.name, skill.directory
        assert skill.description, skill.directory


def test_the_readme_says_how_to_install_the_plugin() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    plugin, market = _json(PLUGIN_JSON)["name"], _json(MARKETPLACE_JSON)["name"]
    assert "/plugin marketplace add " in readme
    assert f"/plugin install {plugin}@{market}" in readme
    # ... and what the server needs: the command it runs, with uv named as the requirement.
    server = _server()
    section = readme.split("### Claude Code plugin", 1)[1].split("\n## ", 1)[0]
    assert " ".join([server["command"], *server["args"]]) in section
    assert "needs [uv]" in section


# --- the real Claude Code CLI (skipped where it is not installed) ---


CLI_PACKAGE = "@anthropic-ai/claude-code@2.1.197"  # the release these tests were checked with
CLI_CACHE = ROOT / ".cache" / "claude-cli"


def _claude_cli() -> str:
    """SNOWBATCH_CLAUDE_CLI, else the CLI npm installs into .cache/claude-cli (tests/npm_tools.py)."""
    return os.environ.get("SNOWBATCH_CLAUDE_CLI") or str(npm_tool(CLI_CACHE, CLI_PACKAGE, "claude"))


def _claude(cli: str, args: list[str], home: Path, cwd: Path, path: str | None = None) -> str:
    """Run the CLI with a throwaway home (so a developer's own ~/.claude is neither read nor changed)."""
    env = {
        **os.environ,
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    if path is not None:
        env["PATH"] = path
    done = subprocess.run(
        [cli, *args], capture_output=True, text=True, timeout=180, cwd=cwd, env=env, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, f"claude {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(ROOT, id="marketplace-and-its-plugin-entry"),
        pytest.param(PLUGIN_JSON, id="plugin-and-its-skills"),
    ],
)
def test_claude_plugin_validate_passes_strictly(target: Path, tmp_path: Path) -> None:
    # On the repository root the CLI validates marketplace.json and the plugin.json its entry names; on
    # plugin.json it validates the manifest and every skill's frontmatter.
    out = _claude(_claude_cli(), ["plugin", "validate", "--strict", str(target)], tmp_path, tmp_path)
    assert "Validation passed" in out
    assert "warning" not in out.lower()


def _plugin_files(into: Path) -> Path:
    """The repository's files as a clone would have them (no .venv, caches or .git), in a fresh folder."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


@pytest.mark.slow
def test_installing_from_the_marketplace_gives_the_skills_and_a_running_server(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is needed to copy the repository's files")
    cli = _claude_cli()
    home, project, stand_in = tmp_path / "home", tmp_path / "project", tmp_path / "bin"
    for folder in (home, project, stand_in):
        folder.mkdir()
    repo = _plugin_files(tmp_path / "snowbatch")
    market, plugin = _json(MARKETPLACE_JSON)["name"], _json(PLUGIN_JSON)["name"]

    _claude(cli, ["plugin", "marketplace", "add", str(repo)], home, project)
    _claude(cli, ["plugin", "install", f"{plugin}@{market}"], home, project)

    details = _claude(cli, ["plugin", "details", f"{plugin}@{market}"], home, project)
    for skill in shipped_skills(ROOT / "skills"):
        assert skill.name in details, details

    # Building with the real uv needs the network, so a stand-in `uvx` comes first on PATH: it records
    # what Claude Code launched, then runs `snowbatch serve` from the plugin folder's own code with this
    # environment's dependencies. `claude mcp list` starts the server and says whether it connected.
    record = tmp_path / "uvx-args.txt"
    uvx = stand_in / "uvx"
    uvx.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$@\" > '{record}'\n"
        '[ "$1" = --from ] || exit 64\n'
        'root="$2"; shift 2\n'
        '[ "$1" = snowbatch ] || exit 64\n'
        "shift\n"
        f"SNOWBATCH_HOME='{tmp_path / 'account'}' PYTHONPATH=\"$root/server\" "
        f"exec '{sys.executable}' -m snowbatch \"$@\"\n",
        encoding="utf-8",
    )
    uvx.chmod(0o755)
    listing = _claude(
        cli, ["mcp", "list"], home, project, path=f"{stand_in}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    (line,) = [ln for ln in listing.splitlines() if ln.startswith(f"plugin:{plugin}:snowbatch:")]
    assert "Connected" in line, listing

    flag, root, *rest = record.read_text(encoding="utf-8").splitlines()
    assert flag == "--from"
    # A marketplace added from a local folder is loaded in place: the plugin root is that folder.
    assert Path(root).resolve() == repo.resolve()
    assert rest == ["snowbatch", "serve"]
