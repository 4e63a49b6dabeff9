"""The bundled code templates: read from disk once, rendered by core.codegen (which reads no files).

The functions here are core.codegen's with the bundled set bound, and the release defaulting to the
snowflake-ml-python installed beside the server."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from snowbatch.core import codegen

if TYPE_CHECKING:
    from snowbatch.core.requests import BatchJobSpec


@functools.lru_cache(maxsize=1)
def bundled() -> codegen.TemplateSet:
    import yaml

    from snowbatch.resources import templates_dir

    folder = templates_dir()
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    files = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.j2")}
    return codegen.TemplateSet(manifest, files)


def _release(snowml_version: str | None) -> str | None:
    from snowbatch.resources import installed_snowml_version

    return snowml_version or installed_snowml_version()


def list_templates() -> list[codegen.TemplateInfo]:
    return codegen.list_templates(bundled())


def render(
    template: str, parameters: Mapping[str, Any], snowml_version: str | None = None
) -> codegen.RenderedCode:
    return codegen.render(bundled(), template, parameters, _release(snowml_version))


def render_for_spec(spec: BatchJobSpec, snowml_version: str | None = None) -> codegen.RenderedCode:
    return codegen.render_for_spec(bundled(), spec, _release(snowml_version))


def preview_select(template: str, parameters: Mapping[str, Any], rows: int) -> str:
    """The SELECT a preview of `template` runs (core.sql_preview says which)."""
    from snowbatch.core.sql_preview import preview_parameters, runnable_select

    chosen = preview_parameters(template, parameters, rows)
    return runnable_select(render("sql_model_function", chosen).code)
