"""The shipped Agent Skills: what they are, and copying them to where an assistant looks for skills.

Installing never overwrites a person's edits silently. Every install records the SHA-256 of each file it
wrote in a manifest next to the skills (`.snowbatch-skills.json`). On the next install a file is replaced
only when it is still byte-for-byte what snowbatch wrote; a file changed since (or one snowbatch never
wrote) is left alone and reported, unless `force` is set, in which case it is first copied to
`.snowbatch-backup/<timestamp>/<file>.bak` beside the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from snowbatch.skill_bundle import sha256_file, shipped_skills

Scope = Literal["project", "user"]
MANIFEST_NAME = ".snowbatch-skills.json"
BACKUP_DIR_NAME = ".snowbatch-backup"
# Where each assistant discovers Agent Skills, relative to the project (project scope) or the home
# folder (user scope). Claude Code: .claude/skills/. Cursor documents .cursor/skills/ (and also reads
# .agents/skills/ and the Claude/Codex folders); not checked against a running Cursor.
TARGETS: dict[str, str] = {"claude-code": ".claude/skills", "cursor": ".cursor/skills"}


# --------------------------------------------------------------------------------------------------
# Installing


@dataclass
class InstallReport:
    """What an install did (or, with dry_run, would do). Paths are relative to `destination`."""

    destination: Path
    skills: list[str]
    dry_run: bool = False
    installed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    backed_up: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    kept_obsolete: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.installed or self.updated or self.removed or self.backed_up)

    def lines(self) -> list[str]:
        """A short human account, for the CLI."""
        verb = "Would install" if self.dry_run else "Installed"
        out = [f"{verb} skills {', '.join(self.skills)} into {self.destination}"]
        for label, items in (
            ("new", self.installed),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
            ("removed (no longer shipped)", self.removed),
        ):
            if items:
                out.append(f"  {label}: {len(items)} file(s)")
        for rel, backup in self.backed_up.items():
            out.append(f"  replaced your edited {rel} (backup: {backup})")
        if self.kept_edited:
            out.append("  kept your edits (not overwritten; use --force to replace them, a backup is kept):")
            out.extend(f"    {rel}" for rel in self.kept_edited)
        if self.kept_obsolete:
            out.append("  no longer shipped but edited by you, left in place:")
            out.extend(f"    {rel}" for rel in self.kept_obsolete)
        return out


def resolve_destination(
    target: str, *, scope: Scope = "project", project_dir: Path | None = None, home: Path | None = None
) -> Path:
    """The folder skills go into: a named assistant's skills folder, or `target` taken as a path.

    A relative path is taken relative to `project_dir`; `scope` only applies to named assistants.
    """
    project_dir = Path.cwd() if project_dir is None else project_dir
    if target in TARGETS:
        base = (Path.home() if home is None else home) if scope == "user" else project_dir
        return base / TARGETS[target]
    looks_like_path = any(sep in target for sep in ("/", "\\")) or target.startswith((".", "~"))
    candidate = Path(target).expanduser()
    if not candidate.is_absolute():
        candidate = project_dir / candidate
    if not looks_like_path and not candidate.exists():
        known = ", ".join(TARGETS)
        raise ValueError(
            f"Unknown target {target!r}. Use one of {known}, or a folder path such as ./{target}/ "
            "(a path must contain a '/' or already exist)."
        )
    return candidate


def _read_manifest(destination: Path) -> dict[str, str]:
    path = destination / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data.get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}  # unreadable: treat every existing file as possibly edited, which is the safe side
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_manifest(destination: Path, files: dict[str, str]) -> None:
    from snowbatch import __version__

    body = {
        "installed_by": "snowbatch",
        "snowbatch_version": __version__,
        "note": "SHA-256 of each file as snowbatch installed it; a file that differs is your edit.",
        "files": dict(sorted(files.items())),
    }
    _atomic_write(destination / MANIFEST_NAME, (json.dumps(body, indent=2) + "\n").encode())


def _prune_empty_dirs(destination: Path, relatives: Iterable[str]) -> None:
    for rel in relatives:
        parent = (destination / rel).parent
        while parent != destination and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def install_skills(
    target: str,
    *,
    scope: Scope = "project",
    project_dir: Path | None = None,
    force: bool = False,
    dry_run: bool = False,
    home: Path | None = None,
    source: Path | None = None,
) -> InstallReport:
    """Copy the shipped skills to `target` ("claude-code", "cursor", or a folder path).

    New files are written; files still as snowbatch wrote them are updated; files the person edited
    (or that snowbatch did not write) are kept and listed in `kept_edited`, or with `force` backed up
    and replaced. Files snowbatch installed earlier that no longer ship are removed if unedited.
    Raises ValueError for an unknown target name and FileNotFoundError when no skills ship.
    """
    destination = resolve_destination(target, scope=scope, project_dir=project_dir, home=home)
    skills = shipped_skills(source)
    if not skills:
        raise FileNotFoundError("No skills found to install; reinstall snowbatch.")
    report = InstallReport(destination=destination, skills=[s.name for s in skills], dry_run=dry_run)
    if destination.exists() and not destination.is_dir():
        raise ValueError(f"{destination} exists and is not a folder; choose another target.")

    recorded = _read_manifest(destination)
    manifest = dict(recorded)  # updated file by file, so an interrupted install still records the truth
    stamp = time.strftime("%Y%m%d-%H%M%S")
    shipped: set[str] = set()

    def back_up(rel: str) -> None:
        # ".bak" so that no assistant scanning folders recursively finds a second copy of a skill
        backup = destination / BACKUP_DIR_NAME / stamp / f"{rel}.bak"
        if not dry_run:
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(destination / rel, backup)
        report.backed_up[rel] = backup.relative_to(destination).as_posix()

    try:
        for skill in skills:
            for file_rel in skill.files:
                rel = f"{skill.directory.name}/{file_rel}"
                shipped.add(rel)
                data = skill.path(file_rel).read_bytes()
                new_hash = hashlib.sha256(data).hexdigest()
                dest = destination / rel
                if dest.is_dir():
                    raise ValueError(f"{dest} is a folder where snowbatch installs a file; move it away.")
                if not dest.exists():
                    report.installed.append(rel)
                elif (current := sha256_file(dest)) == new_hash:
                    report.unchanged.append(rel)
                    manifest[rel] = new_hash
                    continue
                elif recorded.get(rel) == current:
                    report.updated.append(rel)
                elif force:
                    back_up(rel)
                else:
                    report.kept_edited.append(rel)  # its manifest entry (if any) stays the hash we wrote
                    continue
                if not dry_run:
                    _atomic_write(dest, data)
                manifest[rel] = new_hash

        for rel, old_hash in recorded.items():
            if rel in shipped:
                continue
            dest = destination / rel
            if not dest.is_file():
                manifest.pop(rel)
                continue
            if sha256_file(dest) == old_hash:
                report.removed.append(rel)
                manifest.pop(rel)
                if not dry_run:
                    dest.unlink()
            else:
                report.kept_obsolete.append(rel)
    finally:
        if not dry_run and manifest:
            _write_manifest(destination, manifest)
    if not dry_run:
        _prune_empty_dirs(destination, report.removed)
    return report
