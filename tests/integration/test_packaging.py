"""An installed wheel carries the skills and templates and finds them without the source checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_ships_skills_and_templates_and_finds_them(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("snowbatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "snowbatch/_bundled/skills/batch-inference/SKILL.md" in names
    assert "snowbatch/_bundled/templates/manifest.yaml" in names
    assert any(n.startswith("snowbatch/_bundled/templates/") and n.endswith(".j2") for n in names)
    assert not any(n.startswith(("tests/", "server/")) for n in names)

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # The unpacked wheel goes first on sys.path, ahead of any editable install of the checkout.
    probe = (
        f"import sys; sys.path.insert(0, {str(site)!r}); import snowbatch.resources as r; "
        "print(r.skills_dir()); print(r.templates_dir()); "
        "from snowbatch.templates import list_templates; print(len(list_templates()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    skills, templates, count = out.stdout.split()
    assert skills == str(site / "snowbatch/_bundled/skills")
    assert templates == str(site / "snowbatch/_bundled/templates")
    assert int(count) > 10
