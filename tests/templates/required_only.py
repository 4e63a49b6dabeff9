"""A case with only the required parameters of a template, built from its parameter docs alone
(`list_templates()`): no hand list of parameters, so a new template or parameter is covered at once."""

from __future__ import annotations

import itertools
from typing import Any

from snowbatch.core.codegen import ParameterInfo, TemplateInfo


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


# A valid value of each parameter type the docs use, from the parameter's name: distinct parameters get
# distinct objects (an input stage is never the output stage).
_SAMPLES: dict[str, Any] = {
    "string": lambda name: f"sample {name}",
    "text": lambda name: f"Sample {name}.",
    "integer": lambda name: 1,
    "number": lambda name: 0.5,
    "boolean": lambda name: True,
    "string_list": lambda name: [f"@ML.PUBLIC.{name.upper()}/sample_1.jpg"],
    "mapping": lambda name: {"sample_key": 1},
    "rows": lambda name: [{"SAMPLE_A": 1, "SAMPLE_B": "b"}],
    "object_name": lambda name: f"ML.PUBLIC.{name.upper()}",
    "identifier": lambda name: name.upper(),
    "plain_identifier": lambda name: name.upper(),
    "identifier_list": lambda name: [f"{name.upper()}_A", f"{name.upper()}_B"],
    "job_name": lambda name: f"{name.upper()}_1",
    "stage_location": lambda name: f"@ML.PUBLIC.{name.upper()}/dir/",
    "dbt_name": lambda name: f"stg_{name}",
}


def sample_value(param: ParameterInfo) -> Any:
    """A valid value for a documented parameter: its default, else its first choice, else by its type."""
    if param.default is not None:
        return param.default
    if param.choices:
        return param.choices[0]
    return _SAMPLES[param.type](param.name)


def required_only(info: TemplateInfo) -> list[tuple[str, dict[str, Any], str | None]]:
    """(case name, parameters, oldest release or None) with only the template's required parameters, one
    case per combination of `one_of` alternatives (exactly one of each group is required)."""
    by_name = {p.name: p for p in info.parameters}
    required = {p.name: sample_value(p) for p in info.parameters if p.required}
    cases = []
    for chosen in itertools.product(*info.one_of):
        params = {**required, **{name: sample_value(by_name[name]) for name in chosen}}
        since = max((s for n in params if (s := by_name[n].since)), key=_key, default=None)
        cases.append(("required only" + "".join(f" + {n}" for n in chosen), params, since))
    return cases
