"""Code a person keeps: templates/ rendered for their snowflake-ml-python release.

Each template's parameters are declared in `templates/manifest.yaml` (one shared vocabulary, so a name
means the same thing everywhere; read and checked by `codegen_params`). Values are validated and parsed
*before* rendering: names become `snowbatch.core.names` objects, which the filters render as Python
literals (`py`) or safely quoted SQL (`sql`, see `codegen_literals`), so no value can change the shape
of the code. Rendering uses StrictUndefined: a value the template needs but did not get fails the render,
and every failure reaches the caller as a `SnowbatchError` saying what is wrong and what to do next,
never as template-engine text. Templates branch on the features of `core.api_profiles`, never on
version strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from snowbatch.core.api_profiles import ApiProfile, profile_for
from snowbatch.core.codegen_literals import import_block, py_literal, sql_literal
from snowbatch.core.codegen_params import Language, Manifest, ParameterInfo, TemplateInfo, parse_parameters
from snowbatch.core.copy_pattern import run_parts_pattern
from snowbatch.core.errors import InvalidRequest, SnowbatchError, did_you_mean
from snowbatch.core.input_columns import shown_column
from snowbatch.core.names import Identifier, ObjectName

if TYPE_CHECKING:
    import jinja2

    from snowbatch.core.requests import BatchJobSpec

__all__ = [
    "Language",
    "ParameterInfo",
    "RenderedCode",
    "TemplateInfo",
    "TemplateSet",
    "import_block",
    "list_templates",
    "py_literal",
    "render",
    "render_for_spec",
    "spec_parameters",
    "sql_literal",
    "target_profile",
]


class RenderedCode(BaseModel):
    template: str
    target_version: str = Field(description="the snowflake-ml-python release the code is written for")
    language: Language
    code: str
    notes: list[str] = Field(default_factory=list)


class TemplateSet:
    """The templates and their manifest as the caller loaded them (snowbatch.templates reads the bundled
    files): core reads no files. The template engine is built once per set."""

    def __init__(self, manifest: Mapping[str, Any], files: Mapping[str, str]) -> None:
        self.manifest = Manifest(manifest)
        self.files = dict(files)
        self._environment: jinja2.Environment | None = None

    def environment(self) -> jinja2.Environment:
        if self._environment is None:
            import jinja2

            env = jinja2.Environment(
                loader=jinja2.DictLoader(self.files),
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                autoescape=False,
            )
            env.filters["py"] = py_literal
            env.filters["sql"] = sql_literal
            env.globals["import_block"] = import_block
            env.globals["new_rows"] = _new_rows
            env.globals["run_parts_pattern"] = run_parts_pattern
            self._environment = env
        return self._environment


def _new_rows(table: ObjectName, key: Identifier, scored_in: ObjectName) -> str:
    """only_new's SELECT (core.input_select), for the SQL templates that score new rows only."""
    from snowbatch.core.input_select import new_rows_query

    return new_rows_query(table, None, key, scored_in)


def _tidy(code: str) -> str:
    """No trailing spaces, no runs of blank lines, one final newline."""
    lines = [line.rstrip() for line in code.strip("\n").splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).rstrip() + "\n"


def target_profile(snowml_version: str | None) -> ApiProfile:
    """The profile of the release the caller chose (its default: the one installed beside the server)."""
    if snowml_version is None:
        raise InvalidRequest(
            "No snowflake-ml-python version was given and none is installed beside the server.",
            "Pass snowml_version, e.g. '2.6.0' (the user's `pip show snowflake-ml-python`).",
        )
    return profile_for(snowml_version)


def list_templates(templates: TemplateSet) -> list[TemplateInfo]:
    return [templates.manifest.info(name) for name in templates.manifest.templates]


# The name in a template engine's "undefined" message: "'x' is undefined", "... has no attribute 'x'".
_UNDEFINED_NAME = re.compile(r"has no (?:attribute|element) '?([^']+?)'?\Z|'([^']+)' is undefined")


def _render_failure(template: str, exc: Exception) -> SnowbatchError:
    """A failure inside a template, said in snowbatch's words (no template-engine text). Parameters are
    checked before rendering, so what is left is a defect of the template itself."""
    import jinja2

    if isinstance(exc, jinja2.UndefinedError):
        found = _UNDEFINED_NAME.search(str(exc.message or ""))
        name = next((g for g in found.groups() if g), None) if found else None
        what = f"a value named {name}" if name else "a value"
        problem = f"Template {template} could not be rendered: it reads {what} that nothing provides."
    elif isinstance(exc, jinja2.TemplateError):
        problem = f"Template {template} could not be rendered: its file is malformed."
    else:
        problem = f"Template {template} could not be rendered: a value could not be written into the code."
    return SnowbatchError(
        problem + " This is a defect in snowbatch's template, not in the request.",
        "Report it with the template name and parameters; meanwhile try without the optional parameters "
        "involved (list_templates shows them).",
        code="template_defect",
    )


def render(
    templates: TemplateSet, template: str, parameters: Mapping[str, Any], snowml_version: str | None
) -> RenderedCode:
    """Render one template for a release. Bad or missing parameters raise InvalidRequest naming them;
    any other failure inside a template is a SnowbatchError too, never a template-engine exception."""
    import jinja2

    manifest = templates.manifest
    if template not in manifest.templates:
        raise InvalidRequest(
            f"There is no template {template!r}.{did_you_mean(str(template), list(manifest.templates))}",
            "Call list_templates for the names and their parameters.",
        )
    profile = target_profile(snowml_version)
    values = parse_parameters(template, manifest, parameters, profile)
    notes: list[str] = []

    def note(text: str) -> str:
        notes.append(" ".join(text.split()))
        return ""

    def fail(problem: str, next_step: str) -> str:
        raise InvalidRequest(problem, next_step)

    entry = manifest.templates[template]
    try:
        code = (
            templates.environment()
            .get_template(entry["file"])
            .render(p=values, api=profile.as_template_context(), note=note, fail=fail)
        )
    except SnowbatchError:
        raise
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise _render_failure(template, exc) from exc
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
        from snowbatch.core.input_select import create_parquet_format, input_select  # not at start

        select = input_select(source, ObjectName.parse(spec.model, what="model"))
        if select is not None:  # a query, a job's output or renamed columns: the SELECT the job reads
            common["input_query"] = (
                f"/* first: {create_parquet_format(ObjectName.parse(spec.model))} */ {select}"
                if source.parquet_location
                else select
            )
        elif source.kind == "table":
            common["input_table"] = source.table
            # exact names in the spec; the code names columns as Snowpark reads them (quote_name keeps a
            # quoted name and upper-cases a plain one), which is the form every tool shows
            common["columns"] = [shown_column(c) for c in source.columns] or None
        else:
            common["input_rows"] = [{shown_column(k): v for k, v in r.items()} for r in source.rows or []]
        common["params"] = spec.params
        if spec.schedule is not None:
            return "scheduled_job", _scheduled(spec, common)
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


def _scheduled(spec: BatchJobSpec, common: dict[str, Any]) -> dict[str, Any]:
    """The task, its procedure and the job each run submits (the new rows: the plan's input query)."""
    run = spec.schedule
    assert run is not None and "input_query" in common, "a schedule needs only_new, whose input is a query"
    return {
        **{k: v for k, v in common.items() if k not in ("input_table", "input_rows")},
        **{k: v for k, v in _scaling(spec).items() if v is not None},
        "output_table": run.results_table,
        "task": run.task,
        "procedure": run.procedure,
        "cron": run.cron,
        "time_zone": run.time_zone,
        "task_warehouse": run.warehouse,
        "python_runtime": run.python_runtime,
    }


def _file_source(source: Any) -> dict[str, Any]:
    """Files for generated code: re-list the stage (compact) when the plan listed one, else the paths."""
    if source.stage_location:
        return {"file_stage": source.stage_location, "pattern": source.pattern, "limit": source.limit}
    return {"files": source.files}


def render_for_spec(templates: TemplateSet, spec: BatchJobSpec, snowml_version: str | None) -> RenderedCode:
    """The code a person could run to submit the planned job themselves, for their release."""
    template, parameters = spec_parameters(spec)
    return render(templates, template, parameters, snowml_version)
