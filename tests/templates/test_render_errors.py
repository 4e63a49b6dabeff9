"""Whatever goes wrong with a template request reaches the caller as snowbatch's own error — what is wrong
and what to do next — and never as template-engine text ("'x' is undefined", a jinja2 exception)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from snowbatch.core import codegen
from snowbatch.core.errors import InvalidRequest, SnowbatchError
from snowbatch.templates import list_templates, render
from tests.templates.cases import REQUIRED_ONLY_CASES

ENGINE_TEXT = re.compile(r"jinja|undefined|dict object|has no attribute|traceback", re.IGNORECASE)
TEMPLATES = {info.name: info for info in list_templates()}
# The first required-only case of each template: a request that renders.
BASE = {t: params for t, _, params, _ in reversed(REQUIRED_ONLY_CASES)}

# A value of the wrong type for each documented parameter type.
WRONG_TYPE: dict[str, Any] = {
    "string": 42,
    "text": ["SELECT 1"],
    "integer": "3",
    "number": "0.5",
    "boolean": "yes",
    "choice": 1,
    "string_list": "@ML.PUBLIC.ST/a.jpg",
    "mapping": ["language", "en"],
    "rows": {"AGE": 41},
    "object_name": 42,
    "identifier": 42,
    "plain_identifier": {"name": "X"},
    "identifier_list": "AGE",
    "job_name": 42,
    "stage_location": 42,
    "dbt_name": 42,
    "output_fields": "output_feature_1",
}


def refusal(template: str, params: Any, version: str = "2.6.0") -> SnowbatchError:
    with pytest.raises(SnowbatchError) as caught:
        render(template, params, version)
    error = caught.value
    assert error.problem and error.next_step
    assert not ENGINE_TEXT.search(str(error)), str(error)
    return error


def test_every_documented_type_has_a_wrong_value() -> None:
    assert {p.type for info in TEMPLATES.values() for p in info.parameters} <= set(WRONG_TYPE)


@pytest.mark.parametrize(
    ("template", "missing"),
    [(t, p.name) for t, info in TEMPLATES.items() for p in info.parameters if p.required],
)
def test_a_missing_required_parameter_is_named_with_what_to_give(template: str, missing: str) -> None:
    error = refusal(template, {k: v for k, v in BASE[template].items() if k != missing})
    assert isinstance(error, InvalidRequest)
    assert error.problem == f"Template {template} needs {missing}."
    described = next(p.description for p in TEMPLATES[template].parameters if p.name == missing)
    assert error.next_step == f"Give {missing}: {described}."


@pytest.mark.parametrize(
    ("template", "param", "kind"),
    [(t, p.name, p.type) for t, info in TEMPLATES.items() for p in info.parameters],
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_parameter(
    template: str, param: str, kind: str
) -> None:
    group = next((g for g in TEMPLATES[template].one_of if param in g), [param])
    params = {k: v for k, v in BASE[template].items() if k not in group} | {param: WRONG_TYPE[kind]}
    error = refusal(template, params)
    assert isinstance(error, InvalidRequest)
    assert error.problem.startswith(f"Parameter {param} of template {template} is not valid: ")
    assert error.next_step.startswith(f"Give {param} as ")


def test_a_wrong_type_says_what_was_expected_and_what_came() -> None:
    error = refusal("create_compute_pool", {**BASE["create_compute_pool"], "max_nodes": "2"})
    assert "expected a whole number, got text" in error.problem
    error = refusal("run_batch_tabular", {**BASE["run_batch_tabular"], "compute_pool": 7})
    assert "expected text, got a number" in error.problem


@pytest.mark.parametrize("parameters", [["model"], "model=ML.PUBLIC.M", 42])
def test_parameters_that_are_not_a_mapping_are_refused(parameters: Any) -> None:
    error = refusal("run_batch_tabular", parameters)
    assert isinstance(error, InvalidRequest)
    assert "must be a mapping of parameter name to value" in error.problem
    assert '"model": ...' in error.next_step


def test_parameter_names_that_are_not_text_are_refused_as_unknown() -> None:
    error = refusal("create_stage", {"stage": "ML.PUBLIC.S", 1: "x"})
    assert "has no parameter(s) 1" in error.problem and "Use only stage" in error.next_step


# -- a defect inside a template is still said in our words ---------------------------------------


def _template(monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """Bind a one-template set (with `body`) where the bundled templates are, for `refusal` to render."""
    import yaml

    manifest = yaml.safe_load(
        "parameters:\n"
        "  pool: {type: plain_identifier, description: a pool}\n"
        "  settings: {type: mapping, description: settings}\n"
        "templates:\n"
        "  broken: {file: broken.sql.j2, language: sql, summary: s, required: [pool], optional: [settings]}\n"
    )
    made = codegen.TemplateSet(manifest, {"broken.sql.j2": body})
    monkeypatch.setattr("snowbatch.templates.bundled", lambda: made)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("ALTER COMPUTE POOL {{ p.pool|sql }} SET X = {{ p.nodes }};\n", "reads a value named nodes"),
        ("ALTER COMPUTE POOL {{ p.pool|sql }} SET X = {{ nodes }};\n", "reads a value named nodes"),
        ("{% if p.settings.stop %}STOP{% endif %};\n", "reads a value named stop"),
        ("ALTER COMPUTE POOL {{ p.pool|sql }} {% if %};\n", "its file is malformed"),
        ("SELECT {{ p|sql }};\n", "a value could not be written into the code"),
    ],
)
def test_a_defect_inside_a_template_is_said_in_our_words(
    monkeypatch: pytest.MonkeyPatch, body: str, said: str
) -> None:
    _template(monkeypatch, body)
    error = refusal("broken", {"pool": "P", "settings": {"n": 1}})
    assert error.code == "template_defect" and not isinstance(error, InvalidRequest)
    assert error.problem.startswith("Template broken could not be rendered") and said in error.problem
    assert "defect in snowbatch's template, not in the request" in error.problem
    assert error.next_step.startswith("Report it")


def test_a_refusal_written_in_a_template_reaches_the_caller_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    _template(monkeypatch, '{{ fail("The pool is busy.", "Try later.") }}\n')
    error = refusal("broken", {"pool": "P"})
    assert isinstance(error, InvalidRequest)
    assert (error.problem, error.next_step) == ("The pool is busy.", "Try later.")
