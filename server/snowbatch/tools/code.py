"""Code templates: list them, and render one for the person's snowflake-ml-python release."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from snowbatch import templates
from snowbatch.app import App
from snowbatch.core import codegen
from snowbatch.core.errors import InvalidRequest, did_you_mean
from snowbatch.core.records import ResultPreview
from snowbatch.tools._common import MAX_CELL_CHARS, READ_ONLY, tool_errors


class TemplateSummary(BaseModel):
    name: str
    language: str
    summary: str
    required: list[str]
    optional: list[str]
    one_of: list[list[str]] = Field(default_factory=list)


class GeneratedCode(codegen.RenderedCode):
    previewed_sql: str | None = None
    preview: ResultPreview | None = None


class TemplateCatalog(BaseModel):
    templates: list[TemplateSummary] = Field(default_factory=list)
    details: codegen.TemplateInfo | None = None
    next_step: str


def register(server: MCPServer, app: App) -> None:
    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def list_templates(template: str | None = None) -> TemplateCatalog:
        """Code templates (Python, SQL, dbt): names and parameters; with template, its parameters in
        full."""
        infos = templates.list_templates()
        if template is not None:
            found = [i for i in infos if i.name == template]
            if not found:
                names = [i.name for i in infos]
                raise InvalidRequest(
                    f"There is no template {template!r}.{did_you_mean(template, names)}",
                    "Call list_templates without arguments for the names.",
                )
            return TemplateCatalog(details=found[0], next_step="Call generate_code with these parameters.")
        return TemplateCatalog(
            templates=[
                TemplateSummary(
                    name=i.name,
                    language=i.language,
                    summary=i.summary,
                    required=[p.name for p in i.parameters if p.required],
                    optional=[p.name for p in i.parameters if not p.required],
                    one_of=i.one_of,
                )
                for i in infos
            ],
            next_step="Call list_templates(template=...) for a template's parameter details.",
        )

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def generate_code(
        template: str,
        parameters: dict[str, Any] | None = None,
        snowml_version: str | None = None,
        preview_rows: Annotated[int | None, Field(ge=1, le=50)] = None,
    ) -> GeneratedCode:
        """Code for a snowflake-ml-python release (1.28-2.6; default the server's). preview_rows: also
        run a SQL form's SELECT read-only on that many rows (dbt: give input_table)."""
        parameters = parameters or {}
        rendered = GeneratedCode(**templates.render(template, parameters, snowml_version).model_dump())
        if preview_rows is None:
            return rendered
        select = templates.preview_select(template, parameters, preview_rows)
        preview = app.backend.preview_sql_form(select, limit=preview_rows, max_cell_chars=MAX_CELL_CHARS)
        return rendered.model_copy(update={"previewed_sql": select, "preview": preview})
