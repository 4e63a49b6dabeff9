"""What every tool module shares: annotations, names from tool input; results and the gate re-exported."""

from __future__ import annotations

from typing import Any

from mcp.types import ToolAnnotations

from snowbatch.app import App
from snowbatch.tools.gate import Gated, done, gated, started
from snowbatch.tools.results import compact_result, tool_errors

MAX_CELL_CHARS = 200  # longer cells are cut in previews

__all__ = ["Gated", "compact_result", "done", "gated", "started", "tool_errors"]

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
CREATES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
CREATES_IDEMPOTENT = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
DESTRUCTIVE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
)


# --- names from tool input -------------------------------------------------------------------------
def object_name(app: App, text: str, what: str) -> Any:
    """A tool argument naming a schema object, qualified with the backend's default database/schema."""
    from snowbatch.core.names import ObjectName, qualify

    return qualify(ObjectName.parse(text, what=what), app.backend.default_schema())


def stage_location(app: App, text: str) -> Any:
    from snowbatch.core.names import StageLocation, qualify

    return qualify(StageLocation.parse(text), app.backend.default_schema())


def schema_name(app: App, database: str | None, schema: str | None) -> Any:
    from snowbatch.core.errors import InvalidName
    from snowbatch.core.names import Identifier, SchemaName

    default = app.backend.default_schema()
    db = Identifier.parse(database) if database else (default.database if default else None)
    sc = Identifier.parse(schema) if schema else (default.schema if default else None)
    if db is None or sc is None:
        raise InvalidName(
            "No database/schema given and the connection has no default.", "Pass database= and schema=."
        )
    return SchemaName(db, sc)
