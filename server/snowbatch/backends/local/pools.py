"""Compute pools of the local account, kept in pools.json.

A pool's instance family decides how many local worker processes a job may use (its vCPUs, capped by
this machine's cores). GPU families are accepted only where this machine has a GPU.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from snowbatch.backends.local.account import LocalAccount, read_json, write_json_atomic
from snowbatch.core.errors import Conflict, InvalidRequest, NotFound, NotReady, did_you_mean
from snowbatch.core.names import Identifier
from snowbatch.core.pools import FAMILIES, family, with_family_facts
from snowbatch.core.records import PoolInfo


def machine_has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None and os.path.exists("/dev/nvidia0")


class LocalPools:
    def __init__(self, account: LocalAccount) -> None:
        self.account = account

    def _load(self) -> dict[str, dict[str, Any]]:
        path = self.account.pools_file
        return read_json(path) if path.exists() else {}

    def _save(self, pools: dict[str, dict[str, Any]]) -> None:
        write_json_atomic(self.account.pools_file, pools)

    def list_pools(self) -> list[PoolInfo]:
        return [with_family_facts(PoolInfo(name=name, **row)) for name, row in sorted(self._load().items())]

    def get(self, name: Identifier) -> PoolInfo:
        pools = self._load()
        if name.name not in pools:
            raise NotFound(
                f"Compute pool {name} does not exist or this role has no USAGE on it."
                f"{did_you_mean(name.name, list(pools))}",
                "list_compute_pools shows the pools you can use; recommend_compute_pool picks one.",
            )
        return with_family_facts(PoolInfo(name=name.name, **pools[name.name]))

    def create(
        self,
        name: Identifier,
        *,
        instance_family: str,
        min_nodes: int = 1,
        max_nodes: int = 1,
        auto_resume: bool = True,
        initially_suspended: bool = False,
        allow_gpu_without_device: bool = False,
    ) -> PoolInfo:
        fam = family(instance_family)
        if fam is None:
            raise InvalidRequest(
                f"Unknown instance family {instance_family!r}.", f"Use one of: {', '.join(sorted(FAMILIES))}."
            )
        if fam.gpus and not (machine_has_gpu() or allow_gpu_without_device):
            raise InvalidRequest(
                f"{fam.name} is a GPU family, and this machine has no GPU for the local account.",
                "Use a CPU family locally (e.g. CPU_X64_S); GPU pools exist on a Snowflake account.",
            )
        if not 1 <= min_nodes <= max_nodes:
            raise InvalidRequest(
                "MIN_NODES must be at least 1 and at most MAX_NODES.", "Pass e.g. min_nodes=1, max_nodes=2."
            )
        pools = self._load()
        if name.name in pools:
            raise Conflict(f"Compute pool {name} already exists.", "Use it, or choose another name.")
        pools[name.name] = {
            "state": "SUSPENDED" if initially_suspended else "IDLE",
            "instance_family": fam.name,
            "min_nodes": min_nodes,
            "max_nodes": max_nodes,
            "auto_resume": auto_resume,
        }
        self._save(pools)
        return self.get(name)

    def resume(self, name: Identifier) -> PoolInfo:
        pool = self.get(name)
        if pool.state in ("IDLE", "ACTIVE"):
            return pool
        self._set_state(name, "IDLE")
        return self.get(name)

    def _set_state(self, name: Identifier, state: str) -> None:
        pools = self._load()
        pools[name.name]["state"] = state
        self._save(pools)

    def acquire_for_job(self, name: Identifier) -> PoolInfo:
        """Check a pool can take a job now (resuming it if AUTO_RESUME allows) and mark it ACTIVE."""
        pool = self.get(name)
        if pool.state == "SUSPENDED" and not pool.auto_resume:
            raise NotReady(
                f"Compute pool {name} is SUSPENDED and AUTO_RESUME is off.",
                f"Call resume_compute_pool for {name} (it needs approval), then submit again.",
            )
        if pool.state == "STOPPING":
            raise NotReady(f"Compute pool {name} is STOPPING.", "Wait until it is SUSPENDED, then resume it.")
        self._set_state(name, "ACTIVE")
        return self.get(name)

    def local_workers(self, pool: PoolInfo) -> int:
        return max(1, min(pool.vcpu or 1, os.cpu_count() or 1))
