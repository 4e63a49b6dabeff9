"""Installing the skills where assistants find them, without ever overwriting a person's edits silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from snowbatch.cli.install_skills import (
    BACKUP_DIR_NAME,
    MANIFEST_NAME,
    Scope,
    install_skills,
    resolve_destination,
)
from snowbatch.resources import skills_dir
from snowbatch.skill_bundle import shipped_skills, split_frontmatter

SHIPPED = {f"{s.directory.name}/{rel}" for s in shipped_skills() for rel in s.files}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A private copy of the shipped skills, so a test can play 'the next snowbatch release'."""
    copy = tmp_path / "release"
    shutil.copytree(skills_dir(), copy)
    return copy


def installed_files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).parts[0].startswith(".")
    }


def test_fresh_install_copies_every_skill_and_records_hashes(tmp_path: Path) -> None:
    report = install_skills("./skills-out", project_dir=tmp_path)
    dest = tmp_path / "skills-out"
    assert report.destination == dest
    assert set(report.installed) == SHIPPED == installed_files(dest)
    assert not (report.updated or report.kept_edited or report.unchanged)
    for rel in SHIPPED:
        assert (dest / rel).read_bytes() == (skills_dir() / rel).read_bytes()
    manifest = json.loads((dest / MANIFEST_NAME).read_text())
    assert set(manifest["files"]) == SHIPPED
    # Each installed folder is a valid skill whose frontmatter name is the folder name.
    for skill_md in dest.glob("*/SKILL.md"):
        assert split_frontmatter(skill_md.read_text())[0]["name"] == skill_md.parent.name


@pytest.mark.parametrize(
    ("target", "scope", "expected"),
    [
        ("claude-code", "project", "project/.claude/skills"),
        ("claude-code", "user", "home/.claude/skills"),
        ("cursor", "project", "project/.cursor/skills"),
        ("cursor", "user", "home/.cursor/skills"),
        ("vendor/skills", "project", "project/vendor/skills"),
        ("vendor/skills", "user", "project/vendor/skills"),  # scope only applies to named assistants
    ],
)
def test_targets_resolve_to_where_each_assistant_looks(
    tmp_path: Path, target: str, scope: Scope, expected: str
) -> None:
    got = resolve_destination(
        target,
        scope=scope,
        project_dir=tmp_path / "project",
        home=tmp_path / "home",
    )
    assert got == tmp_path / expected


def test_install_into_claude_code_project(tmp_path: Path) -> None:
    install_skills("claude-code", scope="project", project_dir=tmp_path, home=tmp_path / "home")
    assert (tmp_path / ".claude/skills/batch-inference/SKILL.md").is_file()
    assert (tmp_path / ".claude/skills/batch-inference-jobs/references/api-versions.md").is_file()
    assert not (tmp_path / "home").exists()


def test_unknown_target_name_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"claude-code, cursor.*folder path"):
        install_skills("claude", project_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_absolute_and_home_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_destination(str(tmp_path / "x"), project_dir=Path("/elsewhere")) == tmp_path / "x"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_destination("~/skills", project_dir=Path("/elsewhere")) == tmp_path / "skills"


def test_reinstall_of_the_same_release_changes_nothing(tmp_path: Path) -> None:
    install_skills("out/", project_dir=tmp_path)
    report = install_skills("out/", project_dir=tmp_path)
    assert set(report.unchanged) == SHIPPED
    assert not report.changed and not report.kept_edited


def test_new_release_updates_files_the_person_did_not_touch(tmp_path: Path, source: Path) -> None:
    install_skills("out/", project_dir=tmp_path, source=source)
    (source / "batch-inference/SKILL.md").write_text(
        (source / "batch-inference/SKILL.md").read_text() + "\nNew in this release.\n"
    )
    report = install_skills("out/", project_dir=tmp_path, source=source)
    assert report.updated == ["batch-inference/SKILL.md"]
    assert (tmp_path / "out/batch-inference/SKILL.md").read_text().endswith("New in this release.\n")


def test_edited_file_is_kept_and_reported_on_every_later_install(tmp_path: Path, source: Path) -> None:
    install_skills("out/", project_dir=tmp_path, source=source)
    edited = tmp_path / "out/batch-inference-jobs/SKILL.md"
    edited.write_text(edited.read_text() + "\nOur team always uses CPU_POOL_PROD.\n")
    (source / "batch-inference-jobs/SKILL.md").write_text(
        "---\nname: batch-inference-jobs\ndescription: Use when x.\n---\nnew\n"
    )

    first = install_skills("out/", project_dir=tmp_path, source=source)
    second = install_skills("out/", project_dir=tmp_path, source=source)

    for report in (first, second):
        assert report.kept_edited == ["batch-inference-jobs/SKILL.md"]
        assert "batch-inference-jobs/SKILL.md" not in report.updated
    assert edited.read_text().endswith("CPU_POOL_PROD.\n")
    assert any("kept your edits" in line for line in first.lines())


def test_force_backs_up_the_edit_then_replaces_it(tmp_path: Path, source: Path) -> None:
    install_skills("out/", project_dir=tmp_path, source=source)
    edited = tmp_path / "out/batch-inference/SKILL.md"
    edited.write_text("my version\n")

    report = install_skills("out/", project_dir=tmp_path, source=source, force=True)

    assert list(report.backed_up) == ["batch-inference/SKILL.md"]
    backup = tmp_path / "out" / report.backed_up["batch-inference/SKILL.md"]
    assert backup.read_text() == "my version\n"
    assert backup.name == "SKILL.md.bak"  # never a second discoverable SKILL.md
    assert backup.relative_to(tmp_path / "out").parts[0] == BACKUP_DIR_NAME
    assert edited.read_bytes() == (source / "batch-inference/SKILL.md").read_bytes()
    assert not install_skills("out/", project_dir=tmp_path, source=source).changed


def test_files_not_written_by_snowbatch_count_as_edits(tmp_path: Path) -> None:
    mine = tmp_path / "out/batch-inference/SKILL.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("a skill of my own with the same name\n")
    report = install_skills("out/", project_dir=tmp_path)
    assert report.kept_edited == ["batch-inference/SKILL.md"]
    assert mine.read_text() == "a skill of my own with the same name\n"
    # Still treated as the person's on the next run: it never entered the manifest.
    assert install_skills("out/", project_dir=tmp_path).kept_edited == ["batch-inference/SKILL.md"]


def test_files_dropped_from_a_release_are_removed_only_if_untouched(tmp_path: Path, source: Path) -> None:
    install_skills("out/", project_dir=tmp_path, source=source)
    edited = tmp_path / "out/batch-inference-files/references/encodings.md"
    edited.write_text("my notes\n")
    (source / "batch-inference-files/references/encodings.md").unlink()
    (source / "batch-inference-chat/references/chat-format.md").unlink()

    report = install_skills("out/", project_dir=tmp_path, source=source)

    assert report.removed == ["batch-inference-chat/references/chat-format.md"]
    assert not (tmp_path / "out/batch-inference-chat/references").exists()  # emptied folders go too
    assert report.kept_obsolete == ["batch-inference-files/references/encodings.md"]
    assert edited.read_text() == "my notes\n"


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    report = install_skills("out/", project_dir=tmp_path, dry_run=True)
    assert set(report.installed) == SHIPPED
    assert not (tmp_path / "out").exists()
    assert report.lines()[0].startswith("Would install")


def test_a_file_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(ValueError, match="not a folder"):
        install_skills("out/", project_dir=tmp_path)


def test_unreadable_manifest_is_treated_as_no_manifest(tmp_path: Path) -> None:
    install_skills("out/", project_dir=tmp_path)
    (tmp_path / "out" / MANIFEST_NAME).write_text("{not json")
    edited = tmp_path / "out/batch-inference/SKILL.md"
    edited.write_text("edited\n")
    report = install_skills("out/", project_dir=tmp_path)
    assert report.kept_edited == ["batch-inference/SKILL.md"]  # the safe side
    assert set(report.unchanged) == SHIPPED - {"batch-inference/SKILL.md"}
