"""The MCP server's tools, for a person at a terminal: the real server built in this process
(`snowbatch.server.build_server`) and called through an in-memory MCP client, so every command gets the
very checks, results and approval gate an assistant gets.

    with tool_session(home, backend, connection) as tools:
        models = tools.call("list_models", {})
        result = tools.approve("create_stage", {"stage": "ML.PUBLIC.OUT"}, yes=False)

A gated tool called without a token answers `confirmation_required` with the summary and a token;
`approve` prints that summary, asks once (y/N, or --yes) and calls the same tool with exactly the same
arguments plus the token. A tool's error (problem and next step) is printed and exits 2: never a
traceback, never pydantic's text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from snowbatch.cli.common import EXIT_PROBLEM, approved, declined, fail, settings_from

Progress = Callable[[float, float | None, str | None], None]


class ToolFailed(Exception):
    """A tool answered with an error: what is wrong and what to do next."""

    def __init__(self, tool: str, problem: str, next_step: str, code: str = "error") -> None:
        super().__init__(problem)
        self.tool, self.problem, self.next_step, self.code = tool, problem, next_step, code


class ToolSession:
    """One server and one in-memory client session for the length of a command (plans live in the
    server, so a plan and its submit must share one session)."""

    def __init__(self, settings: Any) -> None:
        # The person's own --yes is the CLI's approval: SNOWBATCH_AUTO_APPROVE (meant for an
        # assistant's unattended server) never skips a question here.
        self.settings = settings.model_copy(update={"auto_approve": False})
        self._stack = ExitStack()
        self._portal: Any = None
        self._client: Any = None
        self._schemas: dict[str, dict[str, Any]] | None = None

    def __enter__(self) -> ToolSession:
        from anyio.from_thread import start_blocking_portal
        from mcp import Client
        from mcp.types import Implementation

        from snowbatch import __version__
        from snowbatch.server import build_server

        # Library chatter (INFO) stays out of a person's terminal; warnings still show. A no-op when
        # logging is already set up (as under pytest).
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        try:
            self._portal = self._stack.enter_context(start_blocking_portal())
            server = build_server(self.settings)
            me = Implementation(name="snowbatch-cli", version=__version__)  # who, in the audit trail
            client = Client(server, client_info=me)
            self._client = self._stack.enter_context(self._portal.wrap_async_context_manager(client))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        # Closed as if nothing happened: an exception of the command (typer.Exit too) would otherwise
        # come back from the client's task group wrapped in an exception group.
        self._stack.close()

    def call(self, tool: str, args: dict[str, Any], *, on_progress: Progress | None = None) -> dict[str, Any]:
        """The tool's structured result; its error raises ToolFailed."""
        callback = None
        if on_progress is not None:
            report = on_progress

            async def callback(done: float, total: float | None, message: str | None) -> None:
                report(done, total, message)

        result = self._portal.call(
            lambda: self._client.call_tool(
                tool, {k: v for k, v in args.items() if v is not None}, None, callback
            )
        )
        structured = result.structured_content or {}
        if not result.is_error:
            return dict(structured)
        error = structured.get("error") if isinstance(structured, dict) else None
        if isinstance(error, dict):
            raise ToolFailed(tool, error["problem"], error["next_step"], error.get("code", "error"))
        text = " ".join(getattr(c, "text", "") for c in result.content).strip()
        if text.startswith("Unknown tool") and self.settings.read_only:
            raise ToolFailed(
                tool,
                f"{tool} is not offered in read-only mode (SNOWBATCH_READ_ONLY): nothing was done.",
                "Unset SNOWBATCH_READ_ONLY to create, submit or change things.",
                "read_only",
            )
        raise ToolFailed(
            tool, text or f"{tool} failed.", "Run it again; if it fails the same way, report it."
        )

    def arguments(self, tool: str) -> set[str]:
        """The names the tool's input schema accepts (tools/list, as an assistant sees it)."""
        if self._schemas is None:
            tools = self._portal.call(self._client.list_tools).tools
            self._schemas = {t.name: t.input_schema for t in tools}
        return set((self._schemas.get(tool) or {}).get("properties", {}))

    def approve(
        self,
        tool: str,
        args: dict[str, Any],
        *,
        yes: bool,
        as_json: bool = False,
        question: str = "Go ahead?",
    ) -> dict[str, Any]:
        """Call a gated tool with one yes: its summary, the question, then the same call with the token.
        Exits 1 (nothing done) when the person says no."""
        first = self.call(tool, args)
        if first.get("status") != "confirmation_required":
            return first  # nothing to approve (the tool decided without asking)
        if not approved(first["summary"], yes=yes, question=question, to_stderr=as_json):
            declined(to_stderr=as_json)
        return self.call(tool, {**args, "confirmation_token": first["confirmation_token"]})


@contextmanager
def tool_session(home: Path | None, backend: str | None, connection: str | None) -> Iterator[ToolSession]:
    """A ToolSession over the common options; a tool's error is printed with its next step (exit 2)."""
    settings = settings_from(home, backend, connection)
    try:
        with ToolSession(settings) as session:
            yield session
    except ToolFailed as exc:
        fail(exc.problem, exc.next_step, code=EXIT_PROBLEM)


def read_tool(
    tool: str,
    args: dict[str, Any],
    *,
    as_json: bool,
    home: Path | None,
    backend: str | None,
    connection: str | None,
) -> dict[str, Any] | None:
    """One read-only tool's result for a command to print; with --json it is printed here as it is, and
    None tells the command there is nothing left to show."""
    from snowbatch.cli.common import print_json

    with tool_session(home, backend, connection) as tools:
        found = tools.call(tool, args)
    if as_json:
        print_json(found)
        return None
    return found
