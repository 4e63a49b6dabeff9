"""Every template, for every representative parameter set (the hand-written ones and the generated
required-only ones) and every target release, renders code that compiles, passes ruff and holds no
template syntax and no placeholder of a value left out. Leaving out any optional parameter of a working
case still renders clean code, or is refused with snowbatch's own error. (Whether the code binds to each
release's real API is tests/wheelcheck's job.)"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from snowbatch.core.codegen import RenderedCode
from snowbatch.core.errors import InvalidRequest
from snowbatch.templates import list_templates, render
from tests.templates.cases import CASES, REQUIRED_ONLY_CASES, TARGET_RELEASES, _key, case_id, cases_for

# Rendered code is checked as a user's own file would be: no project config, Python 3.9 syntax (the
# oldest Python snowflake-ml-python 1.28 supports). E501 is off because user values (prompts, queries)
# make lines of any length.
RUFF_ARGS = ["--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF", "--ignore", "E501", "--target-version", "py39"]


_EMBEDDED = re.compile(r"\$\$\n(.*?)\n\$\$", re.S)


def _split_embedded(key: str, code: RenderedCode) -> dict[str, RenderedCode]:
    """A SQL script that holds a Python procedure between $$ markers is two pieces of code: the Python
    is checked as Python (compiles, ruff, no placeholder), the SQL around it as SQL."""
    bodies = _EMBEDDED.findall(code.code) if code.language == "sql" else []
    if not bodies:
        return {key: code}
    sql = code.model_copy(update={"code": _EMBEDDED.sub("$$\n<python>\n$$", code.code)})
    pieces = {key: sql}
    for i, body in enumerate(bodies):
        pieces[f"{key}#python{i}"] = code.model_copy(update={"language": "python", "code": body + "\n"})
    return pieces


def _render_all() -> dict[str, RenderedCode]:
    return {
        piece: code
        for version in TARGET_RELEASES
        for template, name, params in cases_for(version)
        for piece, code in _split_embedded(
            case_id(template, name, version), render(template, params, version)
        ).items()
    }


@pytest.fixture(scope="module")
def rendered() -> dict[str, RenderedCode]:
    return _render_all()


def test_every_template_has_cases() -> None:
    assert {t.name for t in list_templates()} == {template for template, *_ in CASES}


def test_every_template_has_a_case_with_only_its_required_parameters() -> None:
    infos = {t.name: t for t in list_templates()}
    assert {template for template, *_ in REQUIRED_ONLY_CASES} == set(infos)
    for template, name, params, _since in REQUIRED_ONLY_CASES:
        info = infos[template]
        required = {p.name for p in info.parameters if p.required}
        alternatives = [set(group) & set(params) for group in info.one_of]
        assert required <= set(params), name
        assert all(len(chosen) == 1 for chosen in alternatives), name
        assert set(params) == required.union(*alternatives), f"{template}[{name}] has optional parameters"
    # every alternative of every one_of group is the chosen one in some case
    chosen = {(t, n) for t, _, params, _ in REQUIRED_ONLY_CASES for n in params}
    assert all((t.name, n) in chosen for t in infos.values() for group in t.one_of for n in group)


def test_every_case_renders_for_every_release_it_supports(rendered: dict[str, RenderedCode]) -> None:
    expected = sum(len(cases_for(v)) for v in TARGET_RELEASES)
    assert len([key for key in rendered if "#" not in key]) == expected
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


def _ruff() -> str | None:
    beside_python = Path(sys.executable).with_name("ruff")  # a venv's ruff, when the venv is not on PATH
    return shutil.which("ruff") or (str(beside_python) if beside_python.exists() else None)


def test_python_code_passes_ruff(rendered: dict[str, RenderedCode], tmp_path: Path) -> None:
    ruff = _ruff() or pytest.skip("ruff is not installed (pip install -e '.[dev]')")
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


# -- nothing left out leaks into the code ----------------------------------------------------------

# Calls that are never meant to be empty: an empty one means the value that fills it was missing.
_NEVER_EMPTY_CALLS = frozenset(
    [
        "lit",
        "array_construct",
        "select",
        "with_column",
        "limit",
        "table",
        "sql",
        "version",
        "get_model",
        "run_batch",
        "run",
        "list_stage_files",
        "get_job",
        "create_dataframe",
        "use_warehouse",
        "config",
    ]
)
# In SQL: None, an empty string literal, empty parentheses, an assignment or list item with no value.
_SQL_PLACEHOLDERS = re.compile(r"\bNone\b|''|\(\s*\)|=\s*(?:;|$)|,\s*[,)]|\(\s*,", re.MULTILINE)


def _holds_none(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_none(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_none(v) for v in value)
    return value is None


def placeholders(code: RenderedCode, params: dict[str, Any]) -> list[str]:
    """Traces of a value that was left out: None (unless the person's own data holds it), Undefined,
    empty text, empty spec objects and calls, keyword arguments with no value."""
    found = [word for word in ("Undefined", "{{", "{%") if word in code.code]
    if code.template == "dbt_model":  # dbt's own Jinja is meant to be there
        found = [w for w in found if w == "Undefined"]
    if code.language == "sql":
        # a procedure without arguments is written and called with (): that is its signature, not a gap
        sql = re.sub(r"\b(PROCEDURE|CALL) (\S+)\(\)", r"\1 \2", code.code)
        return found + [m.group(0) for m in _SQL_PLACEHOLDERS.finditer(sql)]
    none_allowed = _holds_none(params)
    for node in ast.walk(ast.parse(code.code)):
        if isinstance(node, ast.Constant) and (node.value == "" or (node.value is None and not none_allowed)):
            found.append(f"the constant {node.value!r}")
        elif isinstance(node, ast.keyword) and isinstance(node.value, ast.List | ast.Dict | ast.Tuple):
            if not (node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else node.value.keys):
                found.append(f"{node.arg}={ast.unparse(node.value)}")
        elif isinstance(node, ast.Call) and not node.args and not node.keywords:
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            if name[:1].isupper() or name in _NEVER_EMPTY_CALLS:
                found.append(f"{ast.unparse(node)}")
    return found


def test_no_placeholder_of_a_left_out_value_reaches_the_code(rendered: dict[str, RenderedCode]) -> None:
    params = {
        case_id(template, name, version): p
        for version in TARGET_RELEASES
        for template, name, p in cases_for(version)
    }
    leaks = {
        key: found
        for key, code in rendered.items()
        if (found := placeholders(code, params[key.split("#")[0]]))
    }
    assert leaks == {}


def test_the_placeholder_check_catches_what_it_looks_for() -> None:
    def python(code: str) -> RenderedCode:
        return RenderedCode(template="t", target_version="2.6.0", language="python", code=code)

    assert placeholders(python("x = f(a=None)\n"), {}) == ["the constant None"]
    assert placeholders(python("x = f(a=None)\n"), {"rows": [{"A": None}]}) == []
    assert placeholders(python('mv = model.version("")\n'), {}) == ["the constant ''"]
    assert placeholders(python("job = f(input_spec=InputSpec())\n"), {}) == ["InputSpec()"]
    assert placeholders(python("job = f(params={})\n"), {}) == ["params={}"]
    assert placeholders(python("df = df.with_column('T', lit())\n"), {}) == ["lit()"]
    sql = RenderedCode(template="t", target_version="2.6.0", language="sql", code="SELECT f() AS None;\n")
    assert placeholders(sql, {}) == ["()", "None"]
    comment = RenderedCode(template="t", target_version="2.6.0", language="sql", code="ALTER X SET C = ;\n")
    assert placeholders(comment, {}) == ["= ;"]


# -- optional parameters left out, one at a time ---------------------------------------------------


def _left_out_cases() -> list[Any]:
    infos = {t.name: t for t in list_templates()}
    cases = []
    for template, name, params, since in CASES:
        info = infos[template]
        alternatives = {n for group in info.one_of for n in group}
        optional = [p.name for p in info.parameters if not p.required and p.name not in alternatives]
        for left_out in (n for n in optional if n in params):
            rest = {k: v for k, v in params.items() if k != left_out}
            for version in (v for v in TARGET_RELEASES if _key(v) >= _key(since)):
                case = case_id(template, f"{name} without {left_out}", version)
                cases.append(pytest.param(template, rest, left_out, version, id=case))
    return cases


@pytest.mark.parametrize(("template", "params", "left_out", "version"), _left_out_cases())
def test_leaving_out_an_optional_parameter_renders_clean_code_or_says_why_not(
    template: str, params: dict[str, Any], left_out: str, version: str
) -> None:
    try:
        code = render(template, params, version)
    except InvalidRequest as exc:  # the rest depends on it: refused in our words, naming it
        assert left_out in f"{exc.problem} {exc.next_step}"
        return
    for piece in _split_embedded(template, code).values():
        if piece.language == "python":
            compile(piece.code, template, "exec")
        else:
            assert piece.template == "dbt_model" or piece.code.rstrip().endswith(";")
        assert placeholders(piece, params) == []


if __name__ == "__main__":  # print every rendering, for reading them side by side
    for key, code in _render_all().items():
        sys.stdout.write(f"\n===== {key}\n{code.code}")
