"""`snowbatch setup --client …` writes each assistant's MCP entry in the format its documentation gives,
installs the skills where it reads them, changes nothing on a second run, and keeps a person's edits."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from snowbatch.cli.setup_clients import CLIENTS, setup_client

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def servers_in(client: str, config: Path) -> dict[str, object]:
    """The server table as each client reads it (the shapes its documentation gives)."""
    if client == "codex":  # developers.openai.com/codex/mcp: [mcp_servers.<name>] command / args
        return dict(tomllib.loads(config.read_text())["mcp_servers"])
    data = json.loads(config.read_text())
    # code.visualstudio.com/docs/copilot/reference/mcp-configuration: "servers", each with "type"
    return dict(data["servers"] if client == "vscode" else data["mcpServers"])


@pytest.mark.parametrize("client", list(CLIENTS))
def test_each_client_gets_its_documented_entry_and_the_skills(client: str, tmp_path: Path) -> None:
    report = setup_client(client, project_dir=tmp_path)
    entry = servers_in(client, report.config_file)["snowbatch"]
    assert (
        isinstance(entry, dict) and entry["args"] == ["serve"] and str(entry["command"]).endswith("snowbatch")
    )
    if client == "vscode":
        assert entry["type"] == "stdio"
    skills = tmp_path / CLIENTS[client].skills["project"]
    assert (skills / "batch-inference" / "SKILL.md").is_file() and report.config_change == "added"


@pytest.mark.parametrize("client", list(CLIENTS))
def test_a_second_run_changes_nothing(client: str, tmp_path: Path) -> None:
    first = setup_client(client, project_dir=tmp_path)
    before = first.config_file.read_bytes()
    again = setup_client(client, project_dir=tmp_path)
    assert again.config_change == "unchanged" and not again.skills.changed
    assert first.config_file.read_bytes() == before


def test_a_persons_other_servers_and_their_edited_entry_are_kept(tmp_path: Path) -> None:
    config = tmp_path / ".cursor" / "mcp.json"
    config.parent.mkdir()
    edited = {"command": "/opt/snowbatch/bin/snowbatch", "args": ["serve", "--read-only"]}
    config.write_text(
        json.dumps({"mcpServers": {"other": {"command": "x"}, "snowbatch": edited}, "theme": "dark"})
    )
    kept = setup_client("cursor", project_dir=tmp_path)
    data = json.loads(config.read_text())
    assert kept.config_change.startswith("kept your edited entry")
    assert data == {"mcpServers": {"other": {"command": "x"}, "snowbatch": edited}, "theme": "dark"}
    setup_client("cursor", project_dir=tmp_path, force=True)
    data = json.loads(config.read_text())
    assert data["mcpServers"]["snowbatch"]["args"] == ["serve"] and data["mcpServers"]["other"] == {
        "command": "x"
    }


def test_codex_config_keeps_every_other_table(tmp_path: Path) -> None:
    config = tmp_path / ".codex" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        'model = "o4"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n\n[profiles.fast]\nmodel = "mini"\n'
    )
    setup_client("codex", project_dir=tmp_path)
    data = tomllib.loads(config.read_text())
    assert data["model"] == "o4" and data["profiles"] == {"fast": {"model": "mini"}}
    assert set(data["mcp_servers"]) == {"docs", "snowbatch"}
    # replacing our own table (force) leaves the tables after it in place
    setup_client("codex", project_dir=tmp_path, force=True)
    assert tomllib.loads(config.read_text()) == data


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    report = setup_client("gemini", project_dir=tmp_path, dry_run=True)
    assert report.config_change == "added" and not any(tmp_path.iterdir())
    assert report.lines()[0].startswith("Would set up")


def test_user_scope_writes_under_the_home_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    report = setup_client("claude-code", scope="user", home=home, project_dir=tmp_path / "project")
    assert report.config_file == home / ".claude.json" and (home / ".claude" / "skills").is_dir()
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize(
    ("client", "scope", "said"),
    [("vscode", "user", "project scope only"), ("emacs", "project", "Use one of")],
)
def test_what_cannot_be_set_up_is_refused_with_the_way_forward(
    client: str, scope: str, said: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=said):
        setup_client(client, scope=scope, project_dir=tmp_path, home=tmp_path)  # type: ignore[arg-type]


def test_an_unreadable_config_is_left_alone_and_said(tmp_path: Path) -> None:
    config = tmp_path / ".mcp.json"
    config.write_text("{not json")
    with pytest.raises(ValueError, match="could not be read"):
        setup_client("claude-code", project_dir=tmp_path)
    assert config.read_text() == "{not json"


def test_the_command_line_runs_setup(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from snowbatch.cli.main import app

    result = CliRunner().invoke(
        app, ["setup", "--client", "vscode", "--project-dir", str(tmp_path), "--dry-run"]
    )
    assert result.exit_code == 0 and "Would set up snowbatch for vscode" in result.output
    bad = CliRunner().invoke(app, ["setup", "--client", "emacs"])
    assert bad.exit_code == 2
