"""get_environment: which backend, account and versions the assistant is working with."""

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from snowbatch import __version__
from snowbatch.app import App
from snowbatch.core.records import EnvironmentInfo
from snowbatch.tools._common import READ_ONLY, tool_errors


class Environment(BaseModel):
    snowbatch_version: str
    environment: EnvironmentInfo
    read_only: bool
    auto_approve: bool
    client_elicitation: bool
    audit_log: str = Field(description="the audit trail of approved actions (snowbatch audit reads it)")
    notes: list[str]


def register(server: MCPServer, app: App) -> None:
    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def get_environment(ctx: Context[Any]) -> Environment:
        """Backend, account, role, warehouse, schema, snowflake-ml-python version, approval mode. Call
        first."""
        env = app.backend.environment()
        caps = ctx.client_capabilities
        elicit = bool(caps is not None and caps.elicitation is not None)
        notes = []
        if env.backend == "local":
            notes.append("Local backend: an embedded account on disk; nothing touches Snowflake.")
        if app.settings.auto_approve:
            notes.append("auto_approve is ON: gated tools run without asking. Only for automation.")
        if app.settings.read_only:
            notes.append("read_only is ON: tools that create, submit or change things are not available.")
        return Environment(
            snowbatch_version=__version__,
            environment=env,
            read_only=app.settings.read_only,
            auto_approve=app.settings.auto_approve,
            client_elicitation=elicit,
            audit_log=str(app.settings.audit_path),
            notes=notes,
        )
