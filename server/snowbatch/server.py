"""build_server(settings) -> MCPServer: the one place that picks a backend and registers the tools.

Nothing heavy is imported here or by the tool modules at import time: the backend (and with it Snowpark,
DuckDB, pandas, pyarrow, snowflake-ml) is created at the first tool call that needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import MCPServer

from snowbatch import __version__
from snowbatch.app import App
from snowbatch.backends.base import Backend
from snowbatch.settings import Settings

if TYPE_CHECKING:
    from snowbatch.auth import HttpAuth
    from snowbatch.backends.local.backend import LocalBackend as LocalBackendType


TOOL_MODULES = ("env", "models", "data", "stages", "pools", "jobs", "output", "warehouse", "code", "skills")

INSTRUCTIONS = """\
snowbatch runs batch inference on Snowflake Model Registry models: warehouse run() for SQL pipelines, or
SPCS batch jobs (run_batch) for large tables, files and chat LLMs. Follow the batch-inference skill
(resource skill://batch-inference/SKILL.md; prompt batch_inference): STOP for the person's answer at
each stage. One yes per action: show the summary (plan_batch_job's, or a gated tool's
confirmation_required answer), wait for an explicit yes, then call with its confirmation_token. Never
invent a token or reuse one for other arguments.
"""


class SnowbatchServer(MCPServer):
    """MCPServer whose tools publish no output schema, and which leaves out, in read-only mode, every
    tool not annotated read-only (the one place that decides it).

    Tool definitions sit in every assistant's context: output schemas were over half of tools/list
    (33 of 57 KB). Results still carry structured content beside compact JSON text
    (tools/results.compact_result), so programmatic clients lose nothing but the schema.
    """

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_only = read_only

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        """Arguments that fail the input schema get our error (what is wrong, what to do), never
        pydantic's text."""
        from mcp.server.mcpserver.exceptions import ToolError
        from pydantic import ValidationError

        from snowbatch.tools.caller import CALLER, identify

        caller = CALLER.set(identify(context))  # whose plans, tokens and limits (tools/caller.py)
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                from snowbatch.tools.results import argument_error

                return argument_error(name, exc.__cause__)
            raise
        finally:
            CALLER.reset(caller)

    async def list_tools(self) -> list[Any]:
        """The tools with compact schemas and dedented descriptions (tools/schema.py says why)."""
        from snowbatch.tools.schema import compact_annotations, compact_description, compact_input_schema

        return [
            tool.model_copy(
                update={
                    "input_schema": compact_input_schema(tool.input_schema),
                    "description": compact_description(tool.description),
                    "annotations": compact_annotations(tool.annotations),
                }
            )
            for tool in await super().list_tools()
        ]

    def tool(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("structured_output", False)
        annotations = kwargs.get("annotations")
        if self.read_only and not (annotations and annotations.read_only_hint):
            return lambda fn: fn  # not registered: a read-only server offers nothing that changes anything
        return super().tool(*args, **kwargs)


def make_backend(settings: Settings) -> Backend:
    from snowbatch.backends import create_backend

    return create_backend(settings.resolved_backend(), settings)


def build_server(
    settings: Settings | None = None, *, backend: Backend | None = None, auth: HttpAuth | None = None
) -> MCPServer:
    """A configured server. `backend` injects a ready backend (tests: the fake Snowflake session);
    `auth` makes its streamable-HTTP app require a bearer token (snowbatch.auth)."""
    settings = settings or Settings()
    from snowbatch.tools.skills_extension import SkillsExtension

    app = App(settings, (lambda _s: backend) if backend is not None else make_backend)
    server = SnowbatchServer(
        "snowbatch",
        version=__version__,
        instructions=INSTRUCTIONS,
        title="snowbatch — batch inference on the Snowflake Model Registry",
        read_only=settings.read_only,
        extensions=[SkillsExtension()],
        **({"auth": auth.settings, "token_verifier": auth.verifier} if auth is not None else {}),
    )
    for name in TOOL_MODULES:
        importlib.import_module(f"snowbatch.tools.{name}").register(server, app)
    return server


def serve(settings: Settings, *, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the server. Over HTTP, anything but loopback needs authentication: `http_auth` raises
    AuthConfigError (saying how to configure it) before anything listens."""
    if transport == "stdio":
        build_server(settings).run()
        return
    from snowbatch.auth import http_auth

    auth = http_auth(settings, host=host, port=port)
    build_server(settings, auth=auth).run(transport="streamable-http", host=host, port=port)


def open_local_account(settings: Settings) -> LocalBackendType:
    """The local backend itself, for `snowbatch local …` administration commands."""
    from snowbatch.backends.local.backend import LocalBackend

    return LocalBackend(settings.home)


def doctor(settings: Settings) -> list[Any]:
    """Checks of a Snowflake connection, role, warehouse and the grants batch jobs need."""
    from snowbatch.backends.snowflake.doctor import run_doctor

    return list(run_doctor(settings))
