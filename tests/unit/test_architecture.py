"""The rooms of the package and what each may import (docs/architecture.md): arrows point down only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "snowbatch"

# room -> the rooms it may import (besides itself). A room is a top-level module or sub-package;
# backends/ is three rooms: the registry (backends/__init__), the protocol (base) and each backend.
MAY_IMPORT: dict[str, set[str]] = {
    "version": set(),
    "core": set(),
    "resources": set(),
    "samples": set(),
    "backends.base": {"core"},
    "backends": {"backends.base", "settings"},
    "backends.local": {"core", "backends.base", "resources", "samples", "settings", "version"},
    "backends.snowflake": {"core", "backends.base", "settings", "version"},
    "settings": {"backends"},
    "templates": {"core", "resources"},
    "skill_bundle": {"resources"},
    "planning": {"core", "backends.base", "templates", "estimates"},
    "estimates": {"core", "backends.base"},
    "scheduled_run": {"core", "backends.base"},
    "app": {"core", "settings", "backends", "backends.base"},
    "audit": {"core"},
    "auth": {"settings"},
    "tools": {
        "core",
        "app",
        "planning",
        "estimates",
        "templates",
        "skill_bundle",
        "resources",
        "backends.base",
        "settings",
    }
    | {"version", "audit"},
    "server": {
        "app",
        "settings",
        "tools",
        "backends",
        "backends.base",
        "backends.local",
        "backends.snowflake",
    }
    | {"version", "auth"},
    "demo": {"core", "backends.base", "backends.local", "samples", "planning", "settings"},
    "cli": {
        "core",
        "app",
        "server",
        "settings",
        "demo",
        "samples",
        "skill_bundle",
        "resources",
        "templates",
        "backends",
        "backends.base",
        "backends.local",
        "backends.snowflake",
        "version",
    }
    | {"audit", "auth", "scheduled_run"},
    "__main__": {"cli"},
}
# Modules whose import would mean core does I/O (files, processes, network, environment).
IO_MODULES = {"os", "pathlib", "subprocess", "shutil", "socket", "io", "tempfile", "glob", "urllib", "http"}


def room_of(module: str) -> str:
    parts = module.split(".")[1:]  # drop "snowbatch"
    if not parts or parts == ["__version__"]:
        return "version"  # the package itself holds only `__version__`
    if parts[0] == "backends" and len(parts) > 1:
        return f"backends.{parts[1]}"
    return parts[0]


def module_name(path: Path) -> str:
    parts = ("snowbatch", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def snowbatch_imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "snowbatch":
            if node.module == "snowbatch":
                found += [f"snowbatch.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "snowbatch"]
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_each_module_imports_only_the_rooms_below_it(path: Path) -> None:
    here = room_of(module_name(path))
    assert here in MAY_IMPORT, f"{module_name(path)} is in no known room; add it to docs/architecture.md"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = {m for m in snowbatch_imports(tree) if room_of(m) not in MAY_IMPORT[here] | {here}}
    assert not wrong, f"{module_name(path)} ({here}) may not import {sorted(wrong)}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_does_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    calls_open = any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open"
        for node in ast.walk(tree)
    )
    assert not imported & IO_MODULES and not calls_open, f"core/{path.name} does I/O: {imported & IO_MODULES}"


def test_the_rule_catches_an_arrow_pointing_up() -> None:
    tree = ast.parse("from snowbatch.tools.gate import gated\nimport snowbatch.backends.local.jobs\n")
    rooms = {room_of(m) for m in snowbatch_imports(tree)}
    assert rooms == {"tools", "backends.local"}
    assert not rooms <= MAY_IMPORT["core"] and not rooms <= MAY_IMPORT["planning"]
