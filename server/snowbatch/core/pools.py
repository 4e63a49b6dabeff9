"""Compute pool facts and advice: instance families and which pool suits a model.

Family sizes follow the CREATE COMPUTE POOL documentation table (AWS names where clouds differ); the
region's own truth is SHOW COMPUTE POOL INSTANCE FAMILIES.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from snowbatch.core.compute import Compute, GpuNeed
from snowbatch.core.records import PoolInfo


@dataclass(frozen=True)
class Family:
    name: str
    vcpu: int
    memory_gib: int
    gpus: int = 0
    gpu_kind: str | None = None
    gpu_memory_gib: int | None = None  # memory of one GPU, GiB
    cloud: str | None = None  # the one cloud a GPU family exists on


# GPU figures (count, model, memory per GPU, cloud) from the instance-family table of CREATE COMPUTE POOL,
# https://docs.snowflake.com/en/sql-reference/sql/create-compute-pool (docs/research/files-multimodal.md
# §1); GPU memory is per GPU. Availability varies by region: SHOW COMPUTE POOL INSTANCE FAMILIES is the
# account's truth (its gpu_count and gpu_memory_gib columns).
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("CPU_X64_XS", 1, 6),
        Family("CPU_X64_S", 3, 13),
        Family("CPU_X64_M", 6, 28),
        Family("CPU_X64_SL", 14, 54),
        Family("CPU_X64_L", 28, 116),
        Family("HIGHMEM_X64_S", 6, 58),
        Family("HIGHMEM_X64_M", 28, 240),
        Family("HIGHMEM_X64_SL", 92, 654),
        Family("HIGHMEM_X64_L", 124, 984),
        Family("GPU_NV_XS", 3, 26, 1, "T4 16 GB", 16, "Azure"),
        Family("GPU_NV_S", 6, 27, 1, "A10G 24 GB", 24, "AWS"),
        Family("GPU_NV_SM", 32, 424, 1, "A10 24 GB", 24, "Azure"),
        Family("GPU_NV_M", 44, 178, 4, "A10G 24 GB", 24, "AWS"),
        Family("GPU_NV_2M", 68, 858, 2, "A10 24 GB", 24, "Azure"),
        Family("GPU_NV_3M", 44, 424, 2, "A100 80 GB", 80, "Azure"),
        Family("GPU_NV_L", 92, 1112, 8, "A100 40 GB", 40, "AWS"),
        Family("GPU_NV_SL", 92, 858, 4, "A100 80 GB", 80, "Azure"),
        Family("GPU_GCP_NV_L4_1_24G", 6, 28, 1, "L4 24 GB", 24, "GCP"),
        Family("GPU_GCP_NV_L4_4_24G", 44, 178, 4, "L4 24 GB", 24, "GCP"),
        Family("GPU_GCP_NV_A100_8_40G", 92, 654, 8, "A100 40 GB", 40, "GCP"),
    ]
}


def family(name: str) -> Family | None:
    return FAMILIES.get(name.upper())


def with_family_facts(pool: PoolInfo) -> PoolInfo:
    fam = family(pool.instance_family)
    if fam is None:
        return pool
    return pool.model_copy(
        update={"vcpu": fam.vcpu, "memory_gib": fam.memory_gib, "gpus": fam.gpus, "gpu_kind": fam.gpu_kind}
    )


class PoolAdvice(BaseModel):
    gpu: GpuNeed = Field(description="required, recommended or pointless (core.compute), with the reason")
    reason: str
    pool: str | None = None
    pool_state: str | None = None
    action: str | None = None
    family_to_create: str | None = None
    alternatives: list[str] = []


_STATE_RANK = {"ACTIVE": 0, "IDLE": 0, "RESIZING": 1, "STARTING": 2, "SUSPENDED": 3, "STOPPING": 4}


def recommend(compute: Compute, pools: list[PoolInfo]) -> PoolAdvice:
    """The best existing pool for a model and why, or the instance family to create (core.compute says
    whether a GPU is required, recommended or pointless). A GPU pool is proposed for creation only when
    one is required; when recommended, an existing GPU pool is preferred, else a CPU pool does."""
    required, why = compute.gpu == "required", compute.gpu_reason
    fitting = [p for p in pools if p.has_gpu == compute.wants_gpu]
    if compute.gpu == "recommended" and not fitting:
        fitting = [p for p in pools if not p.has_gpu]
        why += "; no GPU pool is visible, so a CPU pool runs it (slower)"
    if required and not fitting:
        return PoolAdvice(
            gpu="required",
            reason=f"{why}, and no GPU pool is visible to this role.",
            family_to_create="GPU_NV_S",
            action="create_compute_pool with a GPU family (GPU_NV_S on AWS, GPU_NV_SM on "
            "Azure, GPU_GCP_NV_L4_1_24G on GCP), or ask an admin for USAGE on one.",
        )
    if not fitting:
        fitting = pools  # a CPU model runs on a GPU pool too, at a higher price
        if not fitting:
            return PoolAdvice(
                gpu=compute.gpu,
                reason=f"{why}; no compute pool is visible to this role.",
                family_to_create="CPU_X64_S",
                action="create_compute_pool (CPU_X64_S suits tabular models), or ask an "
                "admin for USAGE on a pool.",
            )
        why += "; no CPU pool is visible, so a GPU pool is the only choice (it costs more)"
    ranked = sorted(fitting, key=lambda p: (_STATE_RANK.get(p.state, 5), -(p.vcpu or 0), p.name))
    best = ranked[0]
    action = None
    if best.state == "SUSPENDED":
        action = (
            "The pool is SUSPENDED; it resumes on submit (AUTO_RESUME)"
            if best.auto_resume
            else "The pool is SUSPENDED with AUTO_RESUME off: call resume_compute_pool first"
        )
    elif best.state in ("STARTING", "RESIZING"):
        action = f"The pool is {best.state}; jobs queue until it is ready"
    return PoolAdvice(
        gpu=compute.gpu,
        reason=f"{why}; {best.name} ({best.instance_family}) is {best.state}.",
        pool=best.name,
        pool_state=best.state,
        action=action,
        alternatives=[p.name for p in ranked[1:4]],
    )
