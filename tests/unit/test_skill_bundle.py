"""Reading the shipped skills' names and descriptions without YAML gives what the YAML parser gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from snowbatch.resources import skills_dir
from snowbatch.skill_bundle import name_and_description, shipped_skills, split_frontmatter

SKILL_FILES = sorted(skills_dir().glob("*/SKILL.md"))


@pytest.mark.parametrize("skill_md", SKILL_FILES, ids=lambda p: p.parent.name)
def test_the_fast_reader_agrees_with_yaml_on_every_shipped_skill(skill_md: Path) -> None:
    text = skill_md.read_text(encoding="utf-8")
    meta, _ = split_frontmatter(text)
    assert name_and_description(text) == (meta["name"], " ".join(str(meta["description"]).split()))


@pytest.mark.parametrize(
    "front",
    [
        'name: x\ndescription: "quoted: with a colon"\n',
        "name: x\ndescription: |\n  kept\n  lines\n",
        "name: x\ndescription: >-\n  first paragraph\n\n  second paragraph\n",
        "name: 'x'\ndescription: plain # a comment\n",
        "description: no name here\n",
    ],
)
def test_forms_the_fast_reader_does_not_know_fall_back_to_yaml(front: str) -> None:
    import yaml

    text = f"---\n{front}---\nbody\n"
    meta = yaml.safe_load(front)
    expected_name = meta.get("name")
    assert name_and_description(text) == (expected_name, " ".join(str(meta["description"]).split()))


def test_every_shipped_skill_is_found_with_its_files() -> None:
    skills = shipped_skills()
    assert {s.name for s in skills} == {p.parent.name for p in SKILL_FILES}
    assert all(s.files[0] == "SKILL.md" and s.description for s in skills)


def test_a_server_start_reads_the_skills_without_importing_yaml() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from snowbatch.skill_bundle import shipped_skills; "
        "shipped_skills(); print('yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
