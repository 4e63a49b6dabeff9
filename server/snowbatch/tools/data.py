"""Input discovery: a table's columns and fit against a function, and files on a stage."""

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from snowbatch.app import App
from snowbatch.core.checks_input import check_columns, default_encoding
from snowbatch.core.errors import InvalidRequest
from snowbatch.core.input_columns import shown_column
from snowbatch.core.names import Identifier
from snowbatch.core.plan_facts import Check
from snowbatch.core.records import ColumnInfo, FileListing
from snowbatch.core.signatures import find_function
from snowbatch.tools._common import READ_ONLY, object_name, tool_errors
from snowbatch.tools._common import stage_location as parse_location


class InputDescription(BaseModel):
    source: str
    columns: list[ColumnInfo] = Field(default_factory=list)
    row_count: int | None = None
    files: FileListing | None = None
    function: str | None = None
    fit: list[Check] = Field(default_factory=list, description="against the function's signature")
    suggested_column_handling: dict[str, str] | None = None


def register(server: MCPServer, app: App) -> None:
    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def describe_input(
        table: str | None = None,
        stage_location: str | None = None,
        pattern: str | None = None,
        model: str | None = None,
        version: str | None = None,
        function: str | None = None,
        count_rows: bool = True,
    ) -> InputDescription:
        """Columns, types and rows of a table or view, or files under a stage location; with a model,
        how they fit its signature."""
        if (table is None) == (stage_location is None):
            raise InvalidRequest(
                "Give exactly one of table= or stage_location=.",
                "Use table= for tabular input, stage_location= for files.",
            )
        fn = None
        if model:
            detail = app.backend.version_detail(
                object_name(app, model, "model"), Identifier.parse(version) if version else None
            )
            fn = find_function(detail.functions, function)
        if table is not None:
            rel = app.backend.describe_table(object_name(app, table, "table"), count_rows=count_rows)
            fit = check_columns(fn, rel.columns, set()) if fn else []
            return InputDescription(
                source=rel.source,
                columns=[c.model_copy(update={"name": shown_column(c.name)}) for c in rel.columns],
                row_count=rel.row_count,
                function=fn.name if fn else None,
                fit=fit,
            )
        from snowbatch.planning import list_files  # planning's modules load at first use, not at start

        listing = list_files(app.backend, parse_location(app, stage_location or ""), pattern, limit=20)
        handling = None
        fit = []
        if fn is not None:
            file_inputs = fn.file_inputs
            handling = {f.name.upper(): default_encoding(f) for f in file_inputs}
            if not file_inputs:
                fit.append(
                    Check(
                        name="file_inputs",
                        status="fail",
                        message=f"{fn.name} has no file (BYTES or base64) input.",
                        fix="Use a table input, or a model whose signature takes files.",
                    )
                )
            others = [i.name for i in fn.inputs if i not in file_inputs]
            if others:
                fit.append(
                    Check(
                        name="other_inputs",
                        status="warn",
                        message=f"The function also needs: {', '.join(others)}.",
                        fix="Build a table with the file path column plus these columns.",
                    )
                )
        return InputDescription(
            source=listing.location,
            files=listing,
            row_count=listing.count,
            function=fn.name if fn else None,
            fit=fit,
            suggested_column_handling=handling,
        )

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def list_stage_files(
        stage_location: str, pattern: str | None = None, limit: Annotated[int, Field(ge=1, le=1000)] = 20
    ) -> FileListing:
        """Files under @DB.SCHEMA.STAGE/path/: count, bytes, extensions, first limit paths. pattern: a
        regex on the whole path, or a glob (*.wav)."""
        from snowbatch.planning import list_files

        return list_files(app.backend, parse_location(app, stage_location), pattern, limit)
