"""Every template, for every representative parameter set and every target release, renders code that
compiles, passes ruff and holds no template syntax. (Whether it binds to each release's real API is
tests/wheelcheck's job.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snowbatch.core.codegen import RenderedCode, list_templates, render
from tests.templates.cases import CASES, TARGET_RELEASES, case_id, cases_for

# Rendered code is checked as a user's own file would be: no project config, Python 3.9 syntax (the
# oldest Python snowflake-ml-python 1.28 supports). E501 is off because user values (prompts, queries)
# make lines of any length.
RUFF_ARGS = ["--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF", "--ignore", "E501", "--target-version", "py39"]


def _render_all() -> dict[str, RenderedCode]:
    return {
        case_id(template, name, version): render(template, params, version)
        for version in TARGET_RELEASES
        for template, name, params in cases_for(version)
    }


@pytest.fixture(scope="module")
def rendered() -> dict[str, RenderedCode]:
    return _render_all()


def test_every_template_has_cases() -> None:
    assert {t.name for t in list_templates()} == {template for template, *_ in CASES}


def test_every_case_renders_for_every_release_it_supports(rendered: dict[str, RenderedCode]) -> None:
    expected = sum(len(cases_for(v)) for v in TARGET_RELEASES)
    assert len(rendered) == expected
    assert {r.target_version for r in rendered.values()} == set(TARGET_RELEASES)


def test_python_code_compiles(rendered: dict[str, RenderedCode]) -> None:
    for key, code in rendered.items():
        if code.language == "python":
            compile(code.code, key, "exec")


def test_no_template_syntax_reaches_the_code(rendered: dict[str, RenderedCode]) -> None:
    for key, code in rendered.items():
        text = code.code
        if code.template == "dbt_model":  # dbt's own Jinja is meant to be there, and only that
            text = text.replace("{{ config(", "").replace("{{ ref(", "")
        assert "{{" not in text and "{%" not in text and "Undefined" not in text, key


def test_python_code_passes_ruff(rendered: dict[str, RenderedCode], tmp_path: Path) -> None:
    ruff = shutil.which("ruff") or pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    files = {}
    for i, (key, code) in enumerate(rendered.items()):
        if code.language == "python":
            path = tmp_path / f"case_{i}.py"
            path.write_text(code.code, encoding="utf-8")
            files[path.name] = key
    result = subprocess.run(
        [ruff, "check", *RUFF_ARGS, "--output-format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    problems = [f"{files[Path(f['filename']).name]}: {f['code']} {f['message']}" for f in findings]
    assert problems == [], "\n".join(problems[:20])
    assert result.returncode == 0, result.stderr


def test_sql_code_ends_every_statement(rendered: dict[str, RenderedCode]) -> None:
    for key, code in rendered.items():
        if code.language == "sql" and code.template != "dbt_model":
            assert code.code.rstrip().endswith(";"), key


if __name__ == "__main__":  # print every rendering, for reading them side by side
    for key, code in _render_all().items():
        sys.stdout.write(f"\n===== {key}\n{code.code}")
