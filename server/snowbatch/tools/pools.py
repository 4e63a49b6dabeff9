"""Compute pools: list, recommend for a model, create and resume (gated)."""

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from snowbatch.app import App
from snowbatch.core.compute import compute_for
from snowbatch.core.errors import Conflict, InvalidRequest, NotFound
from snowbatch.core.names import Identifier
from snowbatch.core.pools import FAMILIES, PoolAdvice, family, recommend
from snowbatch.core.records import PoolInfo
from snowbatch.core.signatures import find_function
from snowbatch.tools._common import (
    CREATES,
    CREATES_IDEMPOTENT,
    READ_ONLY,
    Gated,
    done,
    gated,
    object_name,
    started,
    tool_errors,
)


class PoolList(BaseModel):
    pools: list[PoolInfo]
    recommendation: PoolAdvice | None = Field(None, description="with model: the pool to use and why")


def register(server: MCPServer, app: App) -> None:
    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def list_compute_pools(
        model: str | None = None, version: str | None = None, function: str | None = None
    ) -> PoolList:
        """Compute pools this role can use; with a model, the one to use and why, or the family to
        create."""
        pools = app.backend.list_compute_pools()
        if model is None:
            return PoolList(pools=pools)
        detail = app.backend.version_detail(
            object_name(app, model, "model"), Identifier.parse(version) if version else None
        )
        chosen = find_function(detail.functions, function) if function or len(detail.functions) == 1 else None
        return PoolList(pools=pools, recommendation=recommend(compute_for(detail, chosen), pools))

    # The describe functions validate before the person is asked: a request that cannot succeed is
    # refused with its fix at once, never after an approval.
    def describe_create(
        name: str,
        instance_family: str,
        min_nodes: int = 1,
        max_nodes: int = 1,
        auto_suspend_secs: int = 600,
    ) -> str:
        pool = Identifier.parse(name, allow_quoted=False)
        if min_nodes > max_nodes:
            raise InvalidRequest(
                f"min_nodes ({min_nodes}) is above max_nodes ({max_nodes}).", "Pass min_nodes <= max_nodes."
            )
        known = family(instance_family)
        if known is None and app.backend.name == "local":
            raise InvalidRequest(
                f"Unknown instance family {instance_family!r}.", f"Use one of: {', '.join(sorted(FAMILIES))}."
            )
        if any(p.name == pool.name for p in app.backend.list_compute_pools()):
            raise Conflict(f"Compute pool {pool} already exists.", "Use it, or choose another name.")
        note = (
            ""
            if known
            else (
                f" {instance_family.upper()} is not in snowbatch's family table; Snowflake "
                "checks it (SHOW COMPUTE POOL INSTANCE FAMILIES lists your region's)."
            )
        )
        return (
            f"Create compute pool {pool} on the "
            f"{app.backend.name} backend: INSTANCE_FAMILY = {instance_family.upper()}, MIN_NODES = "
            f"{min_nodes}, MAX_NODES = {max_nodes}, AUTO_RESUME = TRUE, AUTO_SUSPEND_SECS = "
            f"{auto_suspend_secs}. A running pool costs credits while it has nodes.{note}"
        )

    @server.tool(annotations=CREATES)
    @gated(app, describe_create)
    def create_compute_pool(
        name: str,
        instance_family: str,
        min_nodes: Annotated[int, Field(ge=1, le=100)] = 1,
        max_nodes: Annotated[int, Field(ge=1, le=100)] = 1,
        auto_suspend_secs: Annotated[int, Field(ge=0)] = 600,
    ) -> Gated:
        """Create a compute pool (costs credits). Gated."""
        pool = app.backend.create_compute_pool(
            Identifier.parse(name, allow_quoted=False),
            instance_family=instance_family.upper(),
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            auto_suspend_secs=auto_suspend_secs,
        )
        return done(f"Compute pool {pool.name} created ({pool.state}).", pool=pool.model_dump())

    def describe_resume(name: str) -> str:
        pool = Identifier.parse(name, allow_quoted=False)
        pools = {p.name: p for p in app.backend.list_compute_pools()}
        if pool.name not in pools:
            raise NotFound(
                f"Compute pool {pool} does not exist or this role has no USAGE on it.",
                f"Use one of: {', '.join(pools) or 'none visible'} (list_compute_pools).",
            )
        if pools[pool.name].state not in ("SUSPENDED", "STOPPING"):
            raise InvalidRequest(
                f"Compute pool {pool} is {pools[pool.name].state}; there is nothing to resume.",
                "Use it as it is.",
            )
        return (
            f"Resume compute pool {pool} on the {app.backend.name} backend (ALTER COMPUTE POOL … RESUME). "
            "It starts billing while nodes run."
        )

    @server.tool(annotations=CREATES_IDEMPOTENT)
    @gated(app, describe_resume)
    def resume_compute_pool(name: str) -> Gated:
        """Resume a SUSPENDED compute pool. Gated."""
        pool = app.backend.resume_compute_pool(Identifier.parse(name, allow_quoted=False))
        return started(f"Compute pool {pool.name} is {pool.state}.", pool=pool.model_dump())
