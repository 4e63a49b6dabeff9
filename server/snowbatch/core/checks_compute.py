"""Preflight checks of where a job writes and runs: the output stage and what is already there, and
the compute pool (state, GPU, size)."""

from __future__ import annotations

from snowbatch.core.compute import compute_for
from snowbatch.core.plan_facts import Check, PlanFacts
from snowbatch.core.requests import BatchJobRequest
from snowbatch.core.stage_use import stage_fix


def check_output_stage(facts: PlanFacts, request: BatchJobRequest) -> list[Check]:
    if facts.stage is None:
        return [
            Check(
                name="output_stage",
                status="fail",
                message=facts.stage_error or f"The output stage of {request.output_stage} does not exist.",
                fix=stage_fix(facts.usable_stages, "Create one with create_stage (always SNOWFLAKE_SSE)."),
            )
        ]
    stage = facts.stage
    checks = []
    if stage.kind == "EXTERNAL":
        checks.append(
            Check(
                name="output_stage",
                status="fail",
                message=f"{stage.name} is an external stage.",
                fix=stage_fix(
                    facts.usable_stages,
                    "Batch output must go to an internal stage: create_stage makes an SSE one.",
                ),
            )
        )
    elif stage.encryption == "SNOWFLAKE_FULL":
        checks.append(
            Check(
                name="output_stage",
                status="fail",
                message=f"{stage.name} uses client-side encryption (SNOWFLAKE_FULL).",
                fix=stage_fix(
                    facts.usable_stages,
                    "Batch jobs need SNOWFLAKE_SSE, and a stage's encryption cannot be changed: "
                    "create a new stage with create_stage and use it.",
                ),
            )
        )
    elif stage.encryption == "UNKNOWN":
        checks.append(
            Check(
                name="output_stage",
                status="warn",
                message=f"The encryption of {stage.name} could not be determined.",
                fix=stage_fix(
                    facts.usable_stages, "If in doubt, create a fresh SSE stage with create_stage."
                ),
            )
        )
    else:
        checks.append(
            Check(
                name="output_stage",
                status="pass",
                message=f"{stage.name} is internal with SNOWFLAKE_SSE ({stage.encryption_evidence}).",
            )
        )
    taken = facts.output_occupants
    if taken:
        shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3} more" if len(taken) > 3 else "")
        if request.mode == "error":
            checks.append(
                Check(
                    name="output_location",
                    status="fail",
                    message=f"{request.output_stage} already holds {shown}; with save mode ERROR Snowflake "
                    "refuses an output base that is not empty.",
                    fix="Use a fresh path for this run (e.g. add a date or run id to output_stage).",
                )
            )
        else:
            checks.append(
                Check(
                    name="output_location",
                    status="warn",
                    message=f"OVERWRITE may remove everything under {request.output_stage} ({shown}), "
                    "other jobs' results included: the sources disagree on whether it clears only this "
                    "job's folder.",
                    fix="Prefer a fresh path with mode='error' unless those results may go.",
                )
            )
    return checks


def check_pool(facts: PlanFacts, request: BatchJobRequest) -> list[Check]:
    pool = facts.pool
    if pool is None:
        return [
            Check(
                name="compute_pool",
                status="fail",
                message=facts.pool_error or f"Compute pool {request.compute_pool} was not found.",
                fix="list_compute_pools with the model picks a usable pool.",
            )
        ]
    checks = []
    if pool.state == "SUSPENDED" and not pool.auto_resume:
        checks.append(
            Check(
                name="pool_state",
                status="fail",
                message=f"{pool.name} is SUSPENDED with AUTO_RESUME off.",
                fix=f"Call resume_compute_pool for {pool.name} (needs approval), then plan again.",
            )
        )
    elif pool.state in ("SUSPENDED", "STARTING", "RESIZING"):
        checks.append(
            Check(
                name="pool_state",
                status="warn",
                message=f"{pool.name} is {pool.state}; the job waits until nodes are up (minutes).",
            )
        )
    else:
        checks.append(Check(name="pool_state", status="pass", message=f"{pool.name} is {pool.state}."))
    compute = compute_for(facts.detail, facts.function, request.engine)
    if compute.gpu == "required" and not pool.has_gpu:
        checks.append(
            Check(
                name="pool_gpu",
                status="fail",
                message=f"A GPU is required ({compute.gpu_reason}) and {pool.name} has none.",
                fix="Use a GPU pool (list_compute_pools with the model).",
            )
        )
    elif compute.gpu == "recommended" and not pool.has_gpu:
        checks.append(
            Check(
                name="pool_gpu",
                status="warn",
                message=f"A GPU is recommended: {compute.gpu_reason}.",
                fix="A GPU pool would be faster on large inputs (list_compute_pools with the model).",
            )
        )
    elif compute.gpu == "pointless" and pool.has_gpu:
        checks.append(
            Check(
                name="pool_gpu",
                status="warn",
                message=f"{pool.name} has GPUs this job will not use: {compute.gpu_reason}.",
                fix="A CPU pool costs less (list_compute_pools with the model).",
            )
        )
    if request.scaling.gpu_requests and not (facts.detail.needs_gpu or facts.detail.gpu_runtime):
        # run_batch refuses gpu_requests for a model without GPU support (ModelSpec.supports_gpu)
        checks.append(
            Check(
                name="gpu_requests",
                status="fail",
                message="gpu_requests is set but the model was logged without a GPU runtime.",
                fix="Drop gpu_requests, or log the model with options={'cuda_version': ...}.",
            )
        )
    replicas = request.scaling.replicas or 1
    if replicas > pool.max_nodes:
        checks.append(
            Check(
                name="replicas",
                status="warn",
                message=f"{replicas} replicas but {pool.name} has at most {pool.max_nodes} node(s); "
                "extra replicas queue.",
                fix="Lower replicas or raise the pool's MAX_NODES.",
            )
        )
    return checks
