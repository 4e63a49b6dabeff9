"""The Agent Skills snowbatch ships: each folder's name, description and files, read without a YAML parser
on the server's start path.

A server lists the skills at every start (resources, prompts), so reading them must cost about nothing:
PyYAML's import and pure-Python parse of five frontmatters took ~20 ms, a fifth of what snowbatch adds to
an empty server's start. `name` and `description` are read by a small reader that understands the two
forms our SKILL.md files use (a plain one-line value, and a `>-` folded block); any other form falls back
to the YAML parser, and a test holds the two equal for every shipped skill.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snowbatch.resources import skills_dir

_OPEN, _CLOSE = "---\n", "\n---\n"
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9(][^#]*")  # no quotes, flow collections, anchors, tags or comments


@dataclass(frozen=True)
class Skill:
    """One skill folder: its frontmatter name and description, and its files (SKILL.md first)."""

    name: str
    description: str
    directory: Path
    files: tuple[str, ...]

    def path(self, relative: str) -> Path:
        return self.directory / relative


def _frontmatter_text(text: str) -> tuple[str, str]:
    if not text.startswith(_OPEN):
        raise ValueError("SKILL.md must start with a '---' line opening the YAML frontmatter")
    end = text.find(_CLOSE, len(_OPEN) - 1)
    if end < 0:
        raise ValueError("SKILL.md frontmatter is not closed by a '---' line")
    return text[len(_OPEN) : end], text[end + len(_CLOSE) :]


def split_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    """A SKILL.md's YAML frontmatter (as a mapping, fully parsed) and its Markdown body."""
    import yaml

    front, body = _frontmatter_text(text)
    meta = yaml.safe_load(front) or {}
    if not isinstance(meta, dict):
        raise ValueError("SKILL.md frontmatter must be a YAML mapping")
    return meta, body


def _simple_value(lines: list[str], key: str) -> str | None:
    """`key`'s value when it is a plain one-line scalar or a `>-` folded block; None for any other form."""
    for i, line in enumerate(lines):
        if not line.startswith(f"{key}:"):
            continue
        rest = line[len(key) + 1 :].strip()
        if rest == ">-":
            block = []
            for follow in lines[i + 1 :]:
                if follow.strip() and not follow.startswith(" "):
                    break
                block.append(follow.strip())
            # a folded block with blank lines keeps line breaks: leave that to the YAML parser
            return " ".join(block) if block and all(block) else None
        return rest if _PLAIN_VALUE.fullmatch(rest) else None
    return None


def name_and_description(text: str) -> tuple[str | None, str]:
    """A SKILL.md's frontmatter `name` (None when absent) and `description` (whitespace collapsed)."""
    front, _ = _frontmatter_text(text)
    lines = front.splitlines()
    name, description = _simple_value(lines, "name"), _simple_value(lines, "description")
    if name is None or description is None:
        meta, _ = split_frontmatter(text)
        name = str(meta["name"]) if "name" in meta else None
        description = str(meta.get("description", ""))
    return name, " ".join(description.split())


def _skill_files(directory: Path) -> tuple[str, ...]:
    found = [
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(directory).parts)
    ]
    return tuple(sorted(found, key=lambda rel: (rel != "SKILL.md", rel)))


def shipped_skills(root: Path | None = None) -> list[Skill]:
    """Every skill under `root` (default: the skills/ snowbatch ships): each folder with a SKILL.md."""
    root = skills_dir() if root is None else root
    skills = []
    for skill_md in sorted(root.glob("*/SKILL.md")):
        name, description = name_and_description(skill_md.read_text(encoding="utf-8"))
        skills.append(
            Skill(
                name=name or skill_md.parent.name,
                description=description,
                directory=skill_md.parent,
                files=_skill_files(skill_md.parent),
            )
        )
    return skills


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
