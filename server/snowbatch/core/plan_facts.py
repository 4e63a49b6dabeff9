"""What a plan is judged on (PlanFacts, gathered by the caller from the backend) and what it says about
each (Check)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from snowbatch.core.names import ObjectName
from snowbatch.core.records import (
    FileListing,
    PoolInfo,
    RelationInfo,
    StageInfo,
    VersionDetail,
)
from snowbatch.core.requests import BatchJobSpec
from snowbatch.core.schedule import ScheduleFacts
from snowbatch.core.signatures import (
    FunctionInfo,
)

CheckStatus = Literal["pass", "warn", "fail"]


class Check(BaseModel):
    name: str
    status: CheckStatus
    message: str
    fix: str | None = None


class PlanFacts(BaseModel):
    """What the backend said about everything the request names (None = could not be found)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @model_validator(mode="before")
    @classmethod
    def _owner_from_model(cls, data: Any) -> Any:
        """Facts built by hand (tests) may name the model as text only; planning passes it parsed."""
        if isinstance(data, dict) and data.get("owner") is None and data.get("model"):
            data = {**data, "owner": ObjectName.parse(str(data["model"]), what="model")}
        return data

    backend: str
    model: str
    owner: ObjectName = Field(description="the model's name, parsed (its database and schema own the job)")
    detail: VersionDetail
    function: FunctionInfo
    relation: RelationInfo | None = None
    input_query: str | None = Field(None, description="the checked SELECT, for a query input")
    parquet_location: str | None = Field(None, description="a finished job's complete output, for job_id")
    input_error: str | None = Field(None, description="why the query or job output cannot be the input")
    only_new: dict[str, str] | None = Field(None, description="{key, against}: input_query scores new keys")
    files: FileListing | None = None
    input_stage: StageInfo | None = Field(None, description="the stage the input files are on")
    stage: StageInfo | None = None
    stage_error: str | None = None
    usable_stages: list[str] = Field(
        default_factory=list, description="SSE stages in the output's schema, when its stage is unusable"
    )
    output_occupants: list[str] = Field(
        default_factory=list, description="what already lies in the output base (folders, files)"
    )
    pool: PoolInfo | None = None
    pool_error: str | None = None
    job_name: str
    schedule: ScheduleFacts | None = Field(None, description="for a request with a schedule")
    snowml_version: str | None = Field(None, description="the release the request asked code for")


class Preflight(BaseModel):
    checks: list[Check]
    spec: BatchJobSpec
    summary: str
    ok: bool = Field(description="no failing check")
