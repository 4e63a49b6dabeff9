"""Compute pools of the local account, kept in pools.json.

A pool's instance family decides how many local worker processes a job may use (its vCPUs, capped by
this machine's cores). GPU families are accepted only where this machine has a GPU.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

from snowbatch.backends.local.account import LocalAccount, read_json, write_json_atomic
from snowbatch.core.errors import Conflict, InvalidRequest, NotFound, NotReady, did_you_mean
from snowbatch.core.names import Identifier
from snowbatch.core.pools import FAMILIES, family, with_family_facts
from snowbatch.core.records import PoolInfo


def machine_has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None and os.path.exists("/dev/nvidia0")


class LocalPools:
    """Pools as Snowflake shows them: a pool running a job is ACTIVE and goes back to IDLE when its
    jobs end (only IDLE, SUSPENDED and STOPPING are stored; ACTIVE is read from the jobs)."""

    def __init__(self, account: LocalAccount, busy: Callable[[], set[str]] = set) -> None:
        self.account = account
        self.busy = busy  # names of the pools some unfinished job runs on

    def _info(self, name: str, row: dict[str, Any], busy: set[str]) -> PoolInfo:
        state = row.get("state", "IDLE")
        if state in ("IDLE", "ACTIVE"):
            state = "ACTIVE" if name in busy else "IDLE"
        return with_family_facts(PoolInfo(name=name, **{**row, "state": state}))

    def _load(self) -> dict[str, dict[str, Any]]:
        path = self.account.pools_file
        return read_json(path) if path.exists() else {}

    def _save(self, pools: dict[str, dict[str, Any]]) -> None:
        write_json_atomic(self.account.pools_file, pools)

    def list_pools(self) -> list[PoolInfo]:
        busy = self.busy()
        return [self._info(name, row, busy) for name, row in sorted(self._load().items())]

    def get(self, name: Identifier) -> PoolInfo:
        pools = self._load()
        if name.name not in pools:
            raise NotFound(
                f"Compute pool {name} does not exist or this role has no USAGE on it."
                f"{did_you_mean(name.name, list(pools))}",
                "list_compute_pools shows the pools you can use and, given the model, picks one.",
            )
        return self._info(name.name, pools[name.name], self.busy())

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

    def check_can_take_job(self, name: Identifier) -> PoolInfo:
        """Whether a job can start on the pool now (changes nothing: a refused submit leaves it as it was)."""
        pool = self.get(name)
        if pool.state == "SUSPENDED" and not pool.auto_resume:
            raise NotReady(
                f"Compute pool {name} is SUSPENDED and AUTO_RESUME is off.",
                f"Call resume_compute_pool for {name} (it needs approval), then submit again.",
            )
        if pool.state == "STOPPING":
            raise NotReady(f"Compute pool {name} is STOPPING.", "Wait until it is SUSPENDED, then resume it.")
        return pool

    def start_job_on(self, name: Identifier) -> None:
        """A job is starting: a suspended pool with AUTO_RESUME resumes, as Snowflake's would."""
        if self.get(name).state == "SUSPENDED":
            self._set_state(name, "IDLE")

    def local_workers(self, pool: PoolInfo) -> int:
        return max(1, min(pool.vcpu or 1, os.cpu_count() or 1))
