"""Code a person keeps: templates/ rendered for their snowflake-ml-python release.

Each template's parameters are declared in `templates/manifest.yaml` (one shared vocabulary, so a name
means the same thing everywhere). Values are validated and parsed *before* rendering: names become
`snowbatch.core.names` objects, which the filters render as Python literals (`py`) or safely quoted SQL
(`sql`), so no value can change the shape of the code. Rendering uses StrictUndefined: a value the
template needs but did not get fails the render with its name instead of leaving a placeholder.
Templates branch on the features of `core.api_profiles`, never on version strings.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from snowbatch.core.api_profiles import (
    FEATURE_NAMES,
    FEATURES,
    ApiProfile,
    installed_snowml_version,
    profile_for,
)
from snowbatch.core.errors import InvalidRequest, SnowbatchError, did_you_mean
from snowbatch.core.names import Identifier, ObjectName, StageLocation, sql_string

if TYPE_CHECKING:
    import jinja2

    from snowbatch.core.requests import BatchJobSpec

Language = Literal["python", "sql", "yaml"]


class ParameterInfo(BaseModel):
    name: str
    type: str
    required: bool
    description: str
    default: Any = None
    choices: list[str] | None = None


class TemplateInfo(BaseModel):
    name: str
    language: Language
    summary: str
    parameters: list[ParameterInfo]
    one_of: list[list[str]] = Field(default_factory=list, description="give exactly one of each group")


class RenderedCode(BaseModel):
    template: str
    target_version: str = Field(description="the snowflake-ml-python release the code is written for")
    language: Language
    code: str
    notes: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# The manifest


class _Manifest:
    """templates/manifest.yaml, parsed: the parameter vocabulary and each template's use of it."""

    def __init__(self, directory: Path) -> None:
        import yaml

        raw = yaml.safe_load((directory / "manifest.yaml").read_text(encoding="utf-8"))
        self.directory = directory
        self.vocabulary: dict[str, dict[str, Any]] = raw["parameters"]
        self.templates: dict[str, dict[str, Any]] = raw["templates"]
        for name, entry in self.templates.items():
            for param in [*entry.get("required", []), *entry.get("optional", [])]:
                if param not in self.vocabulary:
                    raise ValueError(f"manifest: template {name} uses undeclared parameter {param}")
            for param, needs in entry.get("needs", {}).items():
                features = needs.values() if isinstance(needs, Mapping) else [needs]
                if not set(features) <= FEATURE_NAMES:
                    raise ValueError(f"manifest: template {name} names an unknown feature for {param}")

    def info(self, name: str) -> TemplateInfo:
        entry = self.templates[name]
        required = entry.get("required", [])
        params = [
            ParameterInfo(
                name=p,
                type=self.vocabulary[p]["type"],
                required=p in required,
                description=self.vocabulary[p]["description"],
                default=None if p in required else self.vocabulary[p].get("default"),
                choices=self.vocabulary[p].get("choices"),
            )
            for p in [*required, *entry.get("optional", [])]
        ]
        return TemplateInfo(
            name=name,
            language=entry["language"],
            summary=entry["summary"],
            parameters=params,
            one_of=entry.get("one_of", []),
        )


@functools.lru_cache(maxsize=4)
def _manifest(directory: Path) -> _Manifest:
    return _Manifest(directory)


def _templates_dir() -> Path:
    from snowbatch.resources import templates_dir

    return templates_dir()


# --------------------------------------------------------------------------------------------------
# Parameter values: validated and parsed into the objects templates render


_JSON_SCALARS = (str, int, float, bool, type(None))
_DBT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected non-empty text")
    if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise ValueError("the text contains control characters")
    return value


def _integer(value: Any, spec: Mapping[str, Any]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected a whole number")
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
        raise ValueError("expected a non-empty mapping of names to values")
    allowed = spec.get("keys")
    unknown = sorted(set(value) - set(allowed)) if allowed else []
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
    if value not in spec["choices"]:
        raise ValueError(f"expected one of {spec['choices']}")
    return str(value)


def _string_list(value: Any, _: Mapping[str, Any]) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of text")
    return [_text(v) for v in value]


def _identifier_list(value: Any, _: Mapping[str, Any]) -> list[Identifier]:
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of column names")
    return [Identifier.parse(v) for v in value]


def _dbt_name(value: Any, _: Mapping[str, Any]) -> str:
    if not isinstance(value, str) or not _DBT_NAME.match(value):
        raise ValueError("a dbt model or source name holds only letters, digits and _")
    return value


def _number(value: Any, _: Mapping[str, Any]) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _boolean(value: Any, _: Mapping[str, Any]) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


_PARSERS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
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
}


def _parse_parameters(
    name: str, manifest: _Manifest, parameters: Mapping[str, Any], profile: ApiProfile
) -> dict[str, Any]:
    entry = manifest.templates[name]
    required: list[str] = entry.get("required", [])
    known = [*required, *entry.get("optional", [])]
    given = {k: v for k, v in parameters.items() if v is not None}
    unknown = sorted(set(parameters) - set(known))
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
            "Give " + "; ".join(f"{p}: {manifest.vocabulary[p]['description']}" for p in missing) + ".",
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
            values[param] = _PARSERS[spec["type"]](value, spec)
        except (ValueError, SnowbatchError) as exc:
            why = exc.problem if isinstance(exc, SnowbatchError) else str(exc)
            raise InvalidRequest(
                f"Parameter {param} of template {name} is not valid: {why}",
                f"Give {param} as {spec['description']}.",
            ) from None
        _check_feature(param, values[param], entry.get("needs", {}).get(param), profile)
    return values


def _check_feature(
    param: str, value: Any, needs: str | Mapping[str, str] | None, profile: ApiProfile
) -> None:
    """A parameter (or one of its values) that the target release cannot express is refused up front."""
    feature = needs.get(value) if isinstance(needs, Mapping) else needs
    if feature and not profile.has(feature):
        since = next(f.since for f in FEATURES if f.name == feature)
        shown = f"{param}={value!r}" if isinstance(needs, Mapping) else param
        raise InvalidRequest(
            f"{shown} needs snowflake-ml-python {'.'.join(map(str, since))} or newer; the target is "
            f"{profile.version_text}.",
            f"Leave {param} out, or target (and install) a newer snowflake-ml-python.",
        )


# --------------------------------------------------------------------------------------------------
# Literals: how a value is written into Python or SQL

# Snowflake's reserved keywords: a plain name that is one of these must still be quoted in SQL.
_RESERVED = frozenset(
    (
        "ACCOUNT",
        "ALL",
        "ALTER",
        "AND",
        "ANY",
        "AS",
        "BETWEEN",
        "BY",
        "CASE",
        "CAST",
        "CHECK",
        "COLUMN",
        "CONNECT",
        "CONNECTION",
        "CONSTRAINT",
        "CREATE",
        "CROSS",
        "CURRENT",
        "CURRENT_DATE",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "CURRENT_USER",
        "DATABASE",
        "DELETE",
        "DISTINCT",
        "DROP",
        "ELSE",
        "EXISTS",
        "FALSE",
        "FOLLOWING",
        "FOR",
        "FROM",
        "FULL",
        "GRANT",
        "GROUP",
        "GSCLUSTER",
        "HAVING",
        "ILIKE",
        "IN",
        "INCREMENT",
        "INNER",
        "INSERT",
        "INTERSECT",
        "INTO",
        "IS",
        "ISSUE",
        "JOIN",
        "LATERAL",
        "LEFT",
        "LIKE",
        "LOCALTIME",
        "LOCALTIMESTAMP",
        "MINUS",
        "NATURAL",
        "NOT",
        "NULL",
        "OF",
        "ON",
        "OR",
        "ORDER",
        "ORGANIZATION",
        "QUALIFY",
        "REGEXP",
        "REVOKE",
        "RIGHT",
        "RLIKE",
        "ROW",
        "ROWS",
        "SAMPLE",
        "SCHEMA",
        "SELECT",
        "SET",
        "SOME",
        "START",
        "TABLE",
        "TABLESAMPLE",
        "THEN",
        "TO",
        "TRIGGER",
        "TRUE",
        "TRY_CAST",
        "UNION",
        "UNIQUE",
        "UPDATE",
        "USING",
        "VALUES",
        "VIEW",
        "WHEN",
        "WHENEVER",
        "WHERE",
        "WINDOW",
        "WITH",
    )
)


def _sql_identifier(identifier: Identifier) -> str:
    """Bare when that names the same object (as snowflake-ml's own SQL does), else quoted."""
    bare = str(identifier)
    return identifier.sql if bare.startswith('"') or bare in _RESERVED else bare


def sql_literal(value: Any) -> str:
    """A value as SQL text: names quoted as needed, stage locations and text as string literals."""
    if isinstance(value, Identifier):
        return _sql_identifier(value)
    if isinstance(value, ObjectName):
        return ".".join(_sql_identifier(p) for p in value.parts())
    if isinstance(value, StageLocation):
        return "'" + str(value).replace("'", "''") + "'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return sql_string(value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def _py_string(text: str) -> str:
    literal = repr(text)
    # repr picks single quotes unless the text holds one; prefer the double quotes ruff format uses.
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1] + '"'
    return literal


def py_literal(value: Any) -> str:
    """A value as Python source; names and stage locations as the text snowflake-ml expects."""
    if isinstance(value, Identifier | ObjectName | StageLocation):
        return _py_string(str(value))
    if isinstance(value, str):
        return _py_string(value)
    if isinstance(value, bool | int | float | type(None)):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Python literal for {type(value).__name__}")


_IMPORT_WIDTH = 88  # ruff/isort's default line length, which rendered code is checked with


def _import_sort_key(name: str) -> tuple[int, str]:
    # isort's order-by-type: CONSTANTS, then Classes, then functions, each alphabetical.
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def import_block(*entries: str) -> str:
    """Sorted imports, as ruff's isort rule wants them. Entries: 'json' or 'module:Name' ('' is skipped)."""
    entries = tuple(e for e in entries if e)
    plain = sorted({e for e in entries if ":" not in e})
    grouped: dict[str, set[str]] = {}
    for entry in entries:
        if ":" in entry:
            module, name = entry.split(":", 1)
            grouped.setdefault(module, set()).add(name)
    lines = [f"import {m}" for m in plain]
    if lines and grouped:
        lines.append("")
    for module in sorted(grouped):
        names = sorted(grouped[module], key=_import_sort_key)
        one_line = f"from {module} import {', '.join(names)}"
        if len(one_line) <= _IMPORT_WIDTH:
            lines.append(one_line)
        else:
            lines.append(f"from {module} import (")
            lines.extend(f"    {n}," for n in names)
            lines.append(")")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Rendering


@functools.lru_cache(maxsize=4)
def _environment(directory: Path) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    env.filters["sql"] = sql_literal
    env.globals["import_block"] = import_block
    return env


def _tidy(code: str) -> str:
    """No trailing spaces, no runs of blank lines, one final newline."""
    lines = [line.rstrip() for line in code.strip("\n").splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).rstrip() + "\n"


def target_profile(snowml_version: str | None) -> ApiProfile:
    """The profile asked for, else the one of the snowflake-ml-python installed beside this server."""
    version = snowml_version or installed_snowml_version()
    if version is None:
        raise InvalidRequest(
            "No snowflake-ml-python version was given and none is installed beside the server.",
            "Pass snowml_version, e.g. '2.6.0' (the user's `pip show snowflake-ml-python`).",
        )
    return profile_for(version)


def list_templates() -> list[TemplateInfo]:
    manifest = _manifest(_templates_dir())
    return [manifest.info(name) for name in manifest.templates]


def render(template: str, parameters: Mapping[str, Any], snowml_version: str | None = None) -> RenderedCode:
    """Render one template for a release. Bad or missing parameters raise InvalidRequest naming them."""
    import jinja2

    directory = _templates_dir()
    manifest = _manifest(directory)
    if template not in manifest.templates:
        raise InvalidRequest(
            f"There is no template {template!r}.{did_you_mean(template, list(manifest.templates))}",
            "Call list_templates for the names and their parameters.",
        )
    profile = target_profile(snowml_version)
    values = _parse_parameters(template, manifest, parameters, profile)
    notes: list[str] = []

    def note(text: str) -> str:
        notes.append(" ".join(text.split()))
        return ""

    def fail(problem: str, next_step: str) -> str:
        raise InvalidRequest(problem, next_step)

    entry = manifest.templates[template]
    try:
        code = (
            _environment(directory)
            .get_template(entry["file"])
            .render(p=values, api=profile.as_template_context(), note=note, fail=fail)
        )
    except jinja2.UndefinedError as exc:
        raise InvalidRequest(
            f"Template {template} could not be rendered: a value is missing ({exc.message}).",
            "Give the parameter it names; list_templates shows each template's parameters.",
        ) from None
    return RenderedCode(
        template=template,
        target_version=profile.version_text,
        language=entry["language"],
        code=_tidy(code),
        notes=notes,
    )


# --------------------------------------------------------------------------------------------------
# From a planned job to the code that submits the same job


def _function_for_code(resolved: str) -> str:
    """SHOW FUNCTIONS names are resolved (PREDICT, predictProba); give them in the form a person types."""
    return resolved if resolved.startswith('"') else str(Identifier(resolved))


def _scaling(spec: BatchJobSpec) -> dict[str, Any]:
    return {
        "replicas": spec.replicas,
        "num_workers": spec.num_workers,
        "max_batch_rows": spec.max_batch_rows,
        "cpu_requests": spec.cpu_requests,
        "memory_requests": spec.memory_requests,
        "gpu_requests": spec.gpu_requests,
    }


def _is_scaled(spec: BatchJobSpec) -> bool:
    return (
        spec.replicas != 1
        or spec.engine is not None
        or any(v is not None for k, v in _scaling(spec).items() if k != "replicas")
    )


def spec_parameters(spec: BatchJobSpec) -> tuple[str, dict[str, Any]]:
    """The template and parameters whose rendered code submits the job `spec` describes."""
    common: dict[str, Any] = {
        "model": spec.model,
        "version": str(Identifier(spec.version)) if not spec.version.startswith('"') else spec.version,
        "function_name": _function_for_code(spec.function_name),
        "output_stage": spec.output_stage,
        "compute_pool": spec.compute_pool,
        "mode": spec.mode,
        "job_name": spec.job_name,
    }
    source = spec.input
    if source.kind in ("table", "rows"):
        if source.kind == "table":
            common["input_table"] = source.table
            common["columns"] = source.columns or None
        else:
            common["input_rows"] = source.rows
        common["params"] = spec.params
        if not _is_scaled(spec):
            return "run_batch_tabular", common
        return "run_batch_scaled", {
            **common,
            **_scaling(spec),
            "engine": spec.engine,
            "engine_args": spec.engine_args,
        }
    scaling = {k: v for k, v in _scaling(spec).items() if v is not None}
    if source.kind == "files":
        column = source.file_column or "FILE_PATH"
        encoding = (spec.column_handling or {}).get(column)
        if encoding is None:
            raise InvalidRequest(
                f"The job reads files through column {column}, but no encoding is set for it.",
                f"Set column_handling={{'{column}': 'RAW_BYTES' | 'BASE64' | 'BASE64_DATA_URL'}}.",
            )
        return "run_batch_files", {
            **common,
            **scaling,
            **_file_source(source),
            "file_column": column,
            "encoding": encoding,
            "params": spec.params,
        }
    chat = source.chat_template or {}
    return "run_batch_chat", {
        **common,
        **scaling,
        "messages_table": source.chat_table,
        **(_file_source(source) if source.chat_table is None else {}),
        "prompt": chat.get("prompt"),
        "system": chat.get("system"),
        "media": chat.get("media") if source.files else None,
        "params": spec.params,
        "engine": spec.engine,
        "engine_args": spec.engine_args,
    }


def _file_source(source: Any) -> dict[str, Any]:
    """Files for generated code: re-list the stage (compact) when the plan listed one, else the paths."""
    if source.stage_location:
        return {"file_stage": source.stage_location, "pattern": source.pattern, "limit": source.limit}
    return {"files": source.files}


def render_for_spec(spec: BatchJobSpec, snowml_version: str | None = None) -> RenderedCode:
    """The code a person could run to submit the planned job themselves, for their release."""
    template, parameters = spec_parameters(spec)
    return render(template, parameters, snowml_version)
