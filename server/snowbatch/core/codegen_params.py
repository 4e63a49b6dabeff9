"""Template parameters: templates/manifest.yaml read into parameter docs, and values checked and parsed
against those docs before anything renders.

The manifest holds one shared vocabulary (a name means the same thing in every template) and, for each
template, which parameters it requires, which it accepts, and which are alternatives (`one_of`: exactly
one of each group). The docs never contradict themselves: a parameter is either required or optional,
never both; a required one has no default and is no alternative; a default is a valid value. The loader
refuses a manifest that breaks this. A description is clauses separated by "; ": those saying what
happens when the parameter is left out start with "omit", "default" or "optional", and are not shown for
a template that requires the parameter.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from snowbatch.core.api_profiles import FEATURE_NAMES, FEATURES, ApiProfile, format_version
from snowbatch.core.codegen_outputs import parse_output_fields
from snowbatch.core.errors import InvalidRequest, SnowbatchError, did_you_mean
from snowbatch.core.names import Identifier, ObjectName, StageLocation

Language = Literal["python", "sql", "yaml"]


class ParameterInfo(BaseModel):
    name: str
    type: str
    required: bool
    description: str
    default: Any = None
    choices: list[str] | None = None
    since: str | None = Field(default=None, description="oldest snowflake-ml-python release that has it")
    choices_since: dict[str, str] | None = Field(
        default=None, description="choices that need a newer release than the parameter itself"
    )


class TemplateInfo(BaseModel):
    name: str
    language: Language
    summary: str
    parameters: list[ParameterInfo]
    one_of: list[list[str]] = Field(default_factory=list, description="give exactly one of each group")


def _since(feature: str) -> str:
    return format_version(next(f.since for f in FEATURES if f.name == feature))


# A description clause that says what happens when the parameter is left out.
_WHEN_LEFT_OUT = re.compile(r"\s*(omit|default|optional)\b", re.IGNORECASE)


class Manifest:
    """templates/manifest.yaml, parsed and checked: the parameter vocabulary and each template's use of it."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.vocabulary: dict[str, dict[str, Any]] = raw["parameters"]
        self.templates: dict[str, dict[str, Any]] = raw["templates"]
        for param, spec in self.vocabulary.items():
            self._check_vocabulary(param, spec)
        for name, entry in self.templates.items():
            self._check_template(name, entry)

    def _check_vocabulary(self, param: str, spec: Mapping[str, Any]) -> None:
        if spec.get("type") not in PARSERS:
            raise ValueError(f"manifest: parameter {param} has an unknown type {spec.get('type')!r}")
        if "default" in spec:
            try:
                PARSERS[spec["type"]](spec["default"], spec)
            except (ValueError, SnowbatchError) as exc:
                raise ValueError(f"manifest: the default of parameter {param} is not valid: {exc}") from None

    def _check_template(self, name: str, entry: Mapping[str, Any]) -> None:
        required, optional = entry.get("required", []), entry.get("optional", [])
        for param in [*required, *optional]:
            if param not in self.vocabulary:
                raise ValueError(f"manifest: template {name} uses undeclared parameter {param}")
        listed = Counter([*required, *optional])
        problems = [
            *(f"{p} is both required and optional" for p in sorted(set(required) & set(optional))),
            *(f"{p} is listed twice" for p in sorted(p for p, n in listed.items() if n > 1)),
            *(f"{p} is required but has a default" for p in required if "default" in self.vocabulary[p]),
            *(
                f"{p} is an alternative (one_of) but not optional, or has a default"
                for group in entry.get("one_of", [])
                for p in group
                if p not in optional or "default" in self.vocabulary[p]
            ),
        ]
        if problems:
            raise ValueError(f"manifest: template {name}: {'; '.join(problems)}")
        for param, needs in entry.get("needs", {}).items():
            features = needs.values() if isinstance(needs, Mapping) else [needs]
            if not set(features) <= FEATURE_NAMES:
                raise ValueError(f"manifest: template {name} names an unknown feature for {param}")

    def description(self, template: str, param: str) -> str:
        """The parameter's description for this template: a required one says nothing of leaving it out."""
        text: str = self.vocabulary[param]["description"]
        if param not in self.templates[template].get("required", []):
            return text
        return "; ".join(c for c in text.split("; ") if not _WHEN_LEFT_OUT.match(c))

    def info(self, name: str) -> TemplateInfo:
        entry = self.templates[name]
        required = entry.get("required", [])
        needs = entry.get("needs", {})
        params = []
        for p in [*required, *entry.get("optional", [])]:
            spec, need = self.vocabulary[p], needs.get(p)
            params.append(
                ParameterInfo(
                    name=p,
                    type=spec["type"],
                    required=p in required,
                    description=self.description(name, p),
                    default=spec.get("default"),
                    choices=spec.get("choices"),
                    since=_since(need) if isinstance(need, str) else None,
                    choices_since={v: _since(f) for v, f in need.items()}
                    if isinstance(need, Mapping)
                    else None,
                )
            )
        return TemplateInfo(
            name=name,
            language=entry["language"],
            summary=entry["summary"],
            parameters=params,
            one_of=entry.get("one_of", []),
        )


# --------------------------------------------------------------------------------------------------
# Values: checked and parsed into the objects templates render


_JSON_SCALARS = (str, int, float, bool, type(None))
_DBT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Types whose values are given as text (names are parsed from it).
_TEXT_TYPES = frozenset(
    (
        "string",
        "text",
        "object_name",
        "identifier",
        "plain_identifier",
        "job_name",
        "stage_location",
        "dbt_name",
    )
)


def _kind(value: Any) -> str:
    """What a value is, in words for a message (never the value itself)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def _json_value(value: Any, where: str) -> Any:
    """Plain JSON-like data only: it must have an exact Python and SQL literal."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} is not a finite number")
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v, where) for v in value]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise ValueError(f"{where} has a key that is not text")
        return {k: _json_value(v, where) for k, v in value.items()}
    raise ValueError(f"{where} holds a {type(value).__name__}, not plain data")


def _text(value: Any, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_kind(value)}")
    if not value.strip():
        raise ValueError("expected non-empty text")
    if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise ValueError("the text contains control characters")
    return value


def _integer(value: Any, spec: Mapping[str, Any]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {_kind(value)}")
    low, high = spec.get("min"), spec.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"expected a number from {low} to {high}")
    return value


def _object_name(value: Any, spec: Mapping[str, Any]) -> ObjectName:
    name = ObjectName.parse(value, what=spec.get("what", "object"))
    if spec.get("qualified") and not name.is_qualified:
        raise ValueError("give it fully qualified, as DB.SCHEMA.NAME")
    return name


def _job_name(value: Any, spec: Mapping[str, Any]) -> ObjectName:
    name = ObjectName.parse(value, what="job")
    if not name.is_plain:
        raise ValueError(
            "a job name is plain (NAME or DB.SCHEMA.NAME): Snowflake's job commands refuse quoted names"
        )
    return name


def _stage_location(value: Any, spec: Mapping[str, Any]) -> StageLocation:
    location = StageLocation.parse(value)
    if not location.stage.is_qualified:
        raise ValueError("give the stage fully qualified, as @DB.SCHEMA.STAGE/path/")
    return location.as_directory() if spec.get("directory") else location


def _mapping(value: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"expected a non-empty mapping of names to values, got {_kind(value)}")
    allowed = spec.get("keys")
    unknown = sorted(str(k) for k in value if k not in allowed) if allowed else []
    if unknown:
        raise ValueError(f"unknown keys {unknown}; allowed: {allowed}")
    return dict(_json_value(value, "the mapping"))


def _rows(value: Any, _: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(r, Mapping) for r in value):
        raise ValueError("expected a non-empty list of rows (objects of column → value)")
    columns = list(value[0])
    if any(list(r) != columns for r in value):
        raise ValueError("every row needs the same columns in the same order")
    for column in columns:
        Identifier.parse(column)
    return [dict(_json_value(r, "a row")) for r in value]


def _choice(value: Any, spec: Mapping[str, Any]) -> str:
    if not isinstance(value, str) or value not in spec["choices"]:
        raise ValueError(f"expected one of {spec['choices']}")
    return value


def _string_list(value: Any, _: Mapping[str, Any]) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of text, got {_kind(value)}")
    return [_text(v) for v in value]


def _identifier_list(value: Any, _: Mapping[str, Any]) -> list[Identifier]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of column names, got {_kind(value)}")
    return [Identifier.parse(v) for v in value]


def _dbt_name(value: Any, _: Mapping[str, Any]) -> str:
    if not isinstance(value, str) or not _DBT_NAME.match(value):
        raise ValueError("a dbt model or source name holds only letters, digits and _")
    return value


def _number(value: Any, _: Mapping[str, Any]) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {_kind(value)}")
    return value


def _boolean(value: Any, _: Mapping[str, Any]) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_kind(value)}")
    return value


PARSERS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "string": lambda v, _: _text(v),
    "text": lambda v, _: _text(v, multiline=True),
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "choice": _choice,
    "string_list": _string_list,
    "mapping": _mapping,
    "rows": _rows,
    "object_name": _object_name,
    "identifier": lambda v, _: Identifier.parse(v),
    "plain_identifier": lambda v, _: Identifier.parse(v, allow_quoted=False),
    "identifier_list": _identifier_list,
    "job_name": _job_name,
    "stage_location": _stage_location,
    "dbt_name": _dbt_name,
    "output_fields": parse_output_fields,
}


def _parse_value(value: Any, spec: Mapping[str, Any]) -> Any:
    if spec["type"] in _TEXT_TYPES and not isinstance(value, str):
        raise ValueError(f"expected text, got {_kind(value)}")
    return PARSERS[spec["type"]](value, spec)


def parse_parameters(
    name: str, manifest: Manifest, parameters: Mapping[str, Any], profile: ApiProfile
) -> dict[str, Any]:
    """Every parameter of template `name`, checked and parsed; left out ones are their default or None."""
    entry = manifest.templates[name]
    required: list[str] = entry.get("required", [])
    known = [*required, *entry.get("optional", [])]
    if not isinstance(parameters, Mapping):
        raise InvalidRequest(
            f"The parameters of template {name} must be a mapping of parameter name to value, not "
            f"{_kind(parameters)}.",
            "Pass parameters as an object, e.g. {" + ", ".join(f'"{p}": ...' for p in required[:2]) + "}.",
        )
    given = {k: v for k, v in parameters.items() if v is not None}
    unknown = sorted(str(k) for k in parameters if k not in known)
    if unknown:
        hint = "".join(did_you_mean(u, known) for u in unknown)
        raise InvalidRequest(
            f"Template {name} has no parameter(s) {', '.join(unknown)}.{hint}",
            f"Use only {', '.join(known)} (list_templates shows what each means).",
        )
    missing = [p for p in required if p not in given]
    if missing:
        raise InvalidRequest(
            f"Template {name} needs {', '.join(missing)}.",
            "Give " + "; ".join(f"{p}: {manifest.description(name, p)}" for p in missing) + ".",
        )
    for group in entry.get("one_of", []):
        chosen = [p for p in group if p in given]
        if len(chosen) != 1:
            raise InvalidRequest(
                f"Template {name} needs exactly one of {', '.join(group)}; got "
                f"{', '.join(chosen) if chosen else 'none'}.",
                f"Give one of {', '.join(group)}.",
            )
    values: dict[str, Any] = {}
    for param in known:
        spec = manifest.vocabulary[param]
        value = given.get(param, spec.get("default"))
        if value is None:
            values[param] = None
            continue
        try:
            values[param] = _parse_value(value, spec)
        except (ValueError, SnowbatchError) as exc:
            why = exc.problem if isinstance(exc, SnowbatchError) else str(exc)
            raise InvalidRequest(
                f"Parameter {param} of template {name} is not valid: {why}",
                f"Give {param} as {manifest.description(name, param)}.",
            ) from None
        _check_feature(param, values[param], entry.get("needs", {}).get(param), profile)
    return values


def _check_feature(
    param: str, value: Any, needs: str | Mapping[str, str] | None, profile: ApiProfile
) -> None:
    """A parameter (or one of its values) that the target release cannot express is refused up front."""
    feature = needs.get(value) if isinstance(needs, Mapping) else needs
    if feature and not profile.has(feature):
        shown = f"{param}={value!r}" if isinstance(needs, Mapping) else param
        raise InvalidRequest(
            f"{shown} needs snowflake-ml-python {_since(feature)} or newer; the target is "
            f"{profile.version_text}.",
            f"Leave {param} out, or target (and install) a newer snowflake-ml-python.",
        )
