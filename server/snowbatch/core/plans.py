"""A Plan: a checked, summarised job that can be submitted once, by its id, after approval.

The plan id is a digest of the resolved spec, so it names exactly one set of parameters; a confirmation
token for `submit_batch_job(plan_id)` therefore approves exactly that job and nothing else.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timezone

from pydantic import BaseModel, Field

from snowbatch.core.checkpoints import canonical
from snowbatch.core.plan_facts import Check
from snowbatch.core.requests import BatchJobSpec


def new_job_name() -> str:
    """BATCH_INFERENCE_<hex>, the shape Snowflake gives jobs it names itself."""
    return f"BATCH_INFERENCE_{uuid.uuid4().hex[:20].upper()}"


def plan_id_for(spec: BatchJobSpec) -> str:
    digest = hashlib.sha256(canonical("plan", spec.model_dump(mode="json"))).hexdigest()
    return f"plan_{digest[:20]}"


class Plan(BaseModel):
    plan_id: str
    spec: BatchJobSpec
    checks: list[Check]
    summary: str
    ok: bool
    code: str | None = Field(None, description="equivalent snowflake-ml-python code")
    code_version: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    submitted_job_id: str | None = None
