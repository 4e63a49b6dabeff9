"""Template parameter docs (`list_templates()`, what the list_templates tool shows) never contradict
themselves: a parameter is either required (no default, no alternative, no word on leaving it out), or
optional with a valid default if it has one; never both. The manifest loader refuses docs that would."""

from __future__ import annotations

import re

import pytest

from snowbatch.core import codegen
from snowbatch.core.codegen import ParameterInfo, TemplateInfo
from snowbatch.templates import list_templates

# Words that tell how to leave a parameter out: a required parameter's description has none of them.
LEAVE_OUT_WORDS = re.compile(r"\b(omit|omitted|optional|optionally|default|defaults|leave|if absent)\b", re.I)
TEMPLATES = {info.name: info for info in list_templates()}


@pytest.mark.parametrize("info", TEMPLATES.values(), ids=list(TEMPLATES))
def test_no_parameter_is_both_required_and_optional(info: TemplateInfo) -> None:
    names = [p.name for p in info.parameters]
    assert len(names) == len(set(names)), f"listed twice: {[n for n in names if names.count(n) > 1]}"
    alternatives = {name for group in info.one_of for name in group}
    for param in info.parameters:
        if param.required:
            assert param.default is None, f"{param.name} is required but documents a default"
            assert param.name not in alternatives, f"{param.name} is required but also an alternative"
            assert not LEAVE_OUT_WORDS.search(param.description), f"{param.name}: {param.description}"
        elif param.choices and param.default is not None:
            assert param.default in param.choices, param.name


def test_a_shared_parameter_required_here_is_not_described_as_optional() -> None:
    def doc(template: str, name: str) -> ParameterInfo:
        return next(p for p in TEMPLATES[template].parameters if p.name == name)

    assert doc("sql_model_function", "version").required
    assert doc("sql_model_function", "version").description == "version name or alias (e.g. V1, LAST)"
    assert not doc("run_batch_tabular", "version").required
    assert "omit for the model's default version" in doc("run_batch_tabular", "version").description
    assert doc("read_results", "job_name").required
    assert "BATCH_INFERENCE" not in doc("read_results", "job_name").description
    assert "BATCH_INFERENCE" in doc("run_batch_tabular", "job_name").description


def test_parameters_newer_than_the_oldest_release_say_since_when() -> None:
    tabular = {p.name: p for p in TEMPLATES["run_batch_tabular"].parameters}
    assert tabular["partition_column"].since == "1.31.0"
    assert tabular["input_stage_location"].since == "2.0.0"
    assert tabular["model"].since is None
    engine = next(p for p in TEMPLATES["run_batch_scaled"].parameters if p.name == "engine")
    assert engine.since is None and engine.choices_since == {"python_generic": "1.29.0"}


def _manifest_with(template: str, parameters: str = "") -> codegen.TemplateSet:
    """A template set built from the given manifest text, as snowbatch.templates builds the bundled one."""
    import yaml

    manifest = yaml.safe_load(
        "parameters:\n"
        "  pool: {type: plain_identifier, description: a pool}\n"
        "  nodes: {type: integer, min: 1, max: 10, default: 1, description: nodes}\n"
        "  table: {type: object_name, description: a table}\n"
        "  query: {type: text, description: a query}\n"
        f"{parameters}"
        f"templates:\n  t: {{file: t.sql.j2, language: sql, summary: s, {template}}}\n"
    )
    return codegen.TemplateSet(manifest, {"t.sql.j2": "SELECT 1;\n"})


@pytest.mark.parametrize(
    ("template", "parameters", "refusal"),
    [
        ("required: [pool], optional: [pool]", "", "pool is both required and optional"),
        ("optional: [pool, pool]", "", "pool is listed twice"),
        ("required: [nodes]", "", "nodes is required but has a default"),
        ("required: [table], optional: [query], one_of: [[table, query]]", "", "table is an alternative"),
        ("optional: [mode]", "  mode: {type: choice, choices: [a, b], default: c, description: m}\n", "mode"),
        ("optional: [size]", "  size: {type: integer, min: 1, max: 5, default: 9, description: s}\n", "size"),
    ],
)
def test_the_manifest_loader_refuses_contradictory_docs(template: str, parameters: str, refusal: str) -> None:
    with pytest.raises(ValueError, match=re.escape(refusal)):
        _manifest_with(template, parameters)


def test_the_manifest_loader_accepts_consistent_docs() -> None:
    made = _manifest_with("required: [pool], optional: [nodes, table, query], one_of: [[table, query]]")
    (info,) = codegen.list_templates(made)
    assert [(p.name, p.required, p.default) for p in info.parameters] == [
        ("pool", True, None),
        ("nodes", False, 1),
        ("table", False, None),
        ("query", False, None),
    ]
