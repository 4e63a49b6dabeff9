"""Stages: list them with their encryption, and create SSE stages (gated)."""

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from snowbatch.app import App
from snowbatch.core.errors import Conflict
from snowbatch.core.names import SchemaName
from snowbatch.core.records import StageInfo
from snowbatch.core.stage_use import unusable_reason
from snowbatch.tools._common import (
    CREATES_IDEMPOTENT,
    READ_ONLY,
    Gated,
    done,
    gated,
    object_name,
    schema_name,
    tool_errors,
)


class StageList(BaseModel):
    schema_: str = Field(alias="schema")
    stages: list[StageInfo]
    usable_for_output: list[str]
    not_usable: dict[str, str] = Field(description="stage -> why batch output cannot go there")
    note: str

    model_config = {"populate_by_name": True}


def register(server: MCPServer, app: App) -> None:
    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def list_stages(database: str | None = None, schema: str | None = None) -> StageList:
        """Stages in a schema: kind, encryption, and which can take batch output (internal,
        SNOWFLAKE_SSE)."""
        sc = schema_name(app, database, schema)
        stages = app.backend.list_stages(sc)
        reasons = {s.name: r for s in stages if (r := unusable_reason(s))}
        usable = [s.name for s in stages if s.name not in reasons]
        note = (
            "Use one of usable_for_output."
            if usable
            else "No SSE stage here: create one with create_stage (needs approval)."
        )
        return StageList(
            schema_=str(sc), stages=stages, usable_for_output=usable, not_usable=reasons, note=note
        )

    def describe_create(stage: str, comment: str | None = None) -> str:
        """Validated before the person is asked: the schema must exist, an existing stage must be SSE."""
        name = object_name(app, stage, "stage")
        existing = {s.name: s for s in app.backend.list_stages(SchemaName(name.database, name.schema))}
        found = existing.get(str(name))
        if found is not None and found.encryption != "SNOWFLAKE_SSE":
            raise Conflict(
                f"Stage {name} already exists with encryption {found.encryption}, which cannot be changed.",
                "Choose a new stage name for an SSE stage.",
            )
        if found is not None:
            return f"Stage {name} already exists with SNOWFLAKE_SSE: nothing will change."
        return (
            f"Create internal stage {name} with ENCRYPTION = (TYPE = 'SNOWFLAKE_SSE') "
            f"on the {app.backend.name} backend."
        )

    @server.tool(annotations=CREATES_IDEMPOTENT)
    @gated(app, describe_create)
    def create_stage(stage: str, comment: str | None = None) -> Gated:
        """Create an internal SNOWFLAKE_SSE stage for batch output. Gated."""
        info = app.backend.create_stage(object_name(app, stage, "stage"), comment=comment)
        return done(f"Stage {info.name} is ready ({info.encryption}).", stage=info.model_dump())
