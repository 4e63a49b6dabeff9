"""Compute pools: SHOW COMPUTE POOLS with instance-family facts; CREATE and RESUME.

Pool names must be plain identifiers (Snowflake does not support quoted pool names), so they are
rendered bare — after checking that the parsed name is one.
"""

from __future__ import annotations

import re
from typing import Any

from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.core.errors import Conflict, InvalidName, InvalidRequest, NotFound, did_you_mean
from snowbatch.core.names import Identifier, sql_string
from snowbatch.core.records import PoolInfo

# family -> (vCPU, memory GiB, GPUs, GPU kind), from the CREATE COMPUTE POOL documentation table.
FAMILIES: dict[str, tuple[int, int, int, str | None]] = {
    "CPU_X64_XS": (1, 6, 0, None),
    "CPU_X64_S": (3, 13, 0, None),
    "CPU_X64_M": (6, 28, 0, None),
    "CPU_X64_SL": (14, 54, 0, None),
    "CPU_X64_L": (28, 116, 0, None),
    "HIGHMEM_X64_S": (6, 58, 0, None),
    "HIGHMEM_X64_M": (28, 240, 0, None),
    "HIGHMEM_X64_SL": (92, 654, 0, None),
    "HIGHMEM_X64_L": (124, 984, 0, None),
    "GPU_NV_S": (6, 27, 1, "A10G 24GB"),
    "GPU_NV_M": (44, 178, 4, "A10G 24GB"),
    "GPU_NV_L": (92, 1112, 8, "A100 40GB"),
    "GPU_NV_XS": (3, 26, 1, "T4 16GB"),
    "GPU_NV_SM": (32, 424, 1, "A10 24GB"),
    "GPU_NV_2M": (68, 858, 2, "A10 24GB"),
    "GPU_NV_3M": (44, 424, 2, "A100 80GB"),
    "GPU_NV_SL": (92, 858, 4, "A100 80GB"),
    "GPU_GCP_NV_L4_1_24G": (6, 28, 1, "L4 24GB"),
    "GPU_GCP_NV_L4_4_24G": (44, 178, 4, "L4 24GB"),
    "GPU_GCP_NV_A100_8_40G": (92, 654, 8, "A100 40GB"),
}
_STATES = {"IDLE", "ACTIVE", "SUSPENDED", "STARTING", "STOPPING", "RESIZING"}
_PLAIN = re.compile(r"[A-Z_][A-Z0-9_$]*\Z")
POOL_GRANT = "USAGE (or OWNERSHIP) on the compute pool; MONITOR to see its details."


def pool_sql(name: Identifier) -> str:
    if not _PLAIN.match(name.name):
        raise InvalidName(
            f"{name} is not a valid compute pool name: quoted or lower-case pool names are not "
            "supported by Snowflake.",
            "Use a plain name of upper-case letters, digits, _ and $.",
        )
    return name.name


def pool_info(row: dict[str, Any]) -> PoolInfo:
    family = str(row.get("instance_family") or "")
    vcpu, mem, gpus, kind = FAMILIES.get(family.upper(), (None, None, 0, None))
    if not gpus and family.upper().startswith("GPU"):
        gpus = 1  # an unknown GPU family still has at least one GPU
    state = str(row.get("state") or "").upper()
    return PoolInfo(
        name=str(row["name"]),
        state=state if state in _STATES else "UNKNOWN",
        instance_family=family,
        min_nodes=int(row.get("min_nodes") or 1),
        max_nodes=int(row.get("max_nodes") or 1),
        active_nodes=int(row.get("active_nodes") or 0),
        auto_resume=str(row.get("auto_resume")).lower() == "true",
        vcpu=vcpu,
        memory_gib=mem,
        gpus=gpus,
        gpu_kind=kind,
    )


class Pools:
    def __init__(self, sessions: SessionProvider) -> None:
        self._s = sessions

    def list_compute_pools(self) -> list[PoolInfo]:
        rows = self._s.rows("SHOW COMPUTE POOLS", context="Listing compute pools", grant_hint=POOL_GRANT)
        return [pool_info(r) for r in rows]

    def get(self, name: Identifier) -> PoolInfo:
        rows = self._s.rows(
            f"SHOW COMPUTE POOLS LIKE {sql_string(pool_sql(name))}",
            context=f"Reading compute pool {name}",
            grant_hint=POOL_GRANT,
        )
        for r in rows:
            if r["name"] == name.name:
                return pool_info(r)
        raise NotFound(
            f"Compute pool {name} was not found (or your role has no privilege on it).",
            "Call list_compute_pools, or create_compute_pool.",
        )

    def create_compute_pool(
        self,
        name: Identifier,
        *,
        instance_family: str,
        min_nodes: int,
        max_nodes: int,
        auto_suspend_secs: int,
    ) -> PoolInfo:
        family = instance_family.strip().upper()
        if not re.fullmatch(r"[A-Z0-9_]+", family):
            raise InvalidRequest(
                f"{instance_family!r} is not an instance family.{did_you_mean(family, list(FAMILIES))}",
                f"Use one of: {', '.join(sorted(FAMILIES))}.",
            )
        if not 1 <= min_nodes <= max_nodes:
            raise InvalidRequest(
                "Nodes must satisfy 1 <= min_nodes <= max_nodes.", "Fix min_nodes/max_nodes."
            )
        try:
            self._s.rows(
                f"CREATE COMPUTE POOL {pool_sql(name)} MIN_NODES = {int(min_nodes)} "
                f"MAX_NODES = {int(max_nodes)} INSTANCE_FAMILY = {family} AUTO_RESUME = TRUE "
                f"AUTO_SUSPEND_SECS = {int(auto_suspend_secs)}",
                context=f"Creating compute pool {name}",
                grant_hint="the account-level CREATE COMPUTE POOL privilege "
                "(GRANT CREATE COMPUTE POOL ON ACCOUNT TO ROLE <role>).",
            )
        except Conflict:
            raise Conflict(
                f"Compute pool {name} already exists.", "Use it (list_compute_pools) or pick another name."
            ) from None
        vcpu, mem, gpus, kind = FAMILIES.get(family, (None, None, 0, None))
        # A new pool starts unless created suspended; nodes come up over the next minutes.
        return PoolInfo(
            name=name.name,
            state="STARTING",
            instance_family=family,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            auto_resume=True,
            vcpu=vcpu,
            memory_gib=mem,
            gpus=gpus,
            gpu_kind=kind,
        )

    def resume_compute_pool(self, name: Identifier) -> PoolInfo:
        self._s.rows(
            f"ALTER COMPUTE POOL {pool_sql(name)} RESUME",
            context=f"Resuming compute pool {name}",
            grant_hint="OPERATE (or OWNERSHIP) on the compute pool.",
        )
        return self.get(name)
