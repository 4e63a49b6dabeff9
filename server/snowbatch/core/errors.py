"""Errors that say what went wrong and what to do next.

Every anticipated failure in snowbatch is a `SnowbatchError`; the tools layer turns it into an MCP
`ToolError` whose text carries both halves, so an assistant can act on it without guessing.
"""

from __future__ import annotations


class SnowbatchError(Exception):
    """A failure with a next step. `code` is a stable, machine-readable kind."""

    code = "error"

    def __init__(self, problem: str, next_step: str, *, code: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.next_step = next_step
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.problem} Next step: {self.next_step}"


class InvalidName(SnowbatchError):
    code = "invalid_name"


class NotFound(SnowbatchError):
    code = "not_found"


class InvalidRequest(SnowbatchError):
    code = "invalid_request"


class Conflict(SnowbatchError):
    """The target already holds something this call would overwrite or collide with."""

    code = "conflict"


class NotReady(SnowbatchError):
    code = "not_ready"


class PermissionDenied(SnowbatchError):
    code = "permission_denied"


class BackendFailure(SnowbatchError):
    code = "backend_failure"


class Busy(SnowbatchError):
    """A shared server's limit for this client is reached; nothing was done. Retry after the time said."""

    code = "busy"

    def __init__(self, what: str, limit: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"The server is busy: this client already has {limit} {what} in progress (the limit). "
            "Nothing was done.",
            f"Retry after {retry_after_seconds} s with the same arguments.",
        )
        self.retry_after_seconds = retry_after_seconds


def closest(name: str, candidates: list[str], limit: int = 3) -> list[str]:
    """Names from `candidates` that look like `name`, best first (for 'did you mean' hints)."""
    import difflib

    upper = {c.upper(): c for c in candidates}
    hits = difflib.get_close_matches(name.upper(), list(upper), n=limit, cutoff=0.5)
    return [upper[h] for h in hits]


def did_you_mean(name: str, candidates: list[str]) -> str:
    hits = closest(name, candidates)
    return f" Did you mean {', '.join(hits)}?" if hits else ""
