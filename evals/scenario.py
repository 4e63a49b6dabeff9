"""The scenario format: a person's request, the fixtures, the expected route, the checkpoints that must
be hit and the expected outcome. Scenarios are YAML files in evals/scenarios/ (one per file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCENARIO_DIR = Path(__file__).parent / "scenarios"

Route = Literal[
    "warehouse-preview",
    "warehouse-table",
    "warehouse-sql-form",
    "job-tabular",
    "job-files",
    "job-chat",
    "job-chain",
]
Fixture = Literal["column_mismatch_table", "used_output_location", "slow_model", "media", "scored_table"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroundTruth(_Strict):
    """Expected model outputs, computed outside the server from the packaged model or the raw files."""

    kind: Literal["tabular", "files", "chat"]
    model: str | None = None
    version: str = "V1"
    method: str | None = Field(None, description="the model's own method to call, e.g. predict_proba")
    table_rows: int | None = Field(None, description="CUSTOMERS rows (samples.customers_frame)")
    key: str = "CUSTOMER_ID"
    already_scored: int | None = Field(
        None, description="only_new: keys 1..N were scored before the run; the output holds the others"
    )
    results_table: str | None = Field(
        None, description="only_new: the output was appended here; afterwards every key once, right values"
    )
    output: str | None = Field(None, description="SQL form: the signature output the previewed column holds")
    column: str | None = Field(None, description="SQL form: the previewed column that holds it")
    contains: dict[str, str] = Field(
        default_factory=dict, description="chat: file name → text the answer for that file must contain"
    )


class ErrorSeen(_Strict):
    """An error the flow must run into (and show the person), with its next step."""

    tool: str
    check: str | None = Field(None, description="a plan check name, when the error is a failing check")
    contains: list[str] = Field(default_factory=list, description="substrings of the error text")
    next_step_contains: list[str] = Field(default_factory=list, description="substrings of the fix/next step")


class Outcome(_Strict):
    kind: Literal["results", "table", "error", "cancelled", "scheduled"]
    status: str | None = Field(None, description="terminal job status")
    rows: int | None = None
    columns: list[str] | None = Field(None, description="exact result columns, in order")
    parts: int | None = Field(None, description="Parquet parts written (max_batch_rows honoured)")
    output_state: Literal["complete", "partial", "foreign", "empty"] | None = None
    table: str | None = Field(None, description="table the results must end up in")
    task: str | None = Field(None, description="scheduled: the task the one yes created")
    ground_truth: GroundTruth | None = None
    errors_seen: list[ErrorSeen] = Field(default_factory=list)
    summary_contains: list[str] = Field(
        default_factory=list, description="substrings of the approved plan's summary"
    )


class Expect(_Strict):
    checkpoints: list[str] = Field(description="the STOPs the flow must reach, in order, exactly")
    confirmations: list[str] = Field(
        description="gated tools that must answer confirmation_required, in order"
    )
    never_called: list[str] = Field(default_factory=list, description="tools the flow must not call")
    must_call: list[str] = Field(default_factory=list, description="tools the flow must call (any order)")
    outcome: Outcome


class Scenario(_Strict):
    id: str
    title: str
    route: Route
    request: str = Field(description="what the person asks, in their words")
    skills: list[str] = Field(description="skills the assistant follows, entry first")
    fixtures: list[Fixture] = Field(default_factory=list, description="beyond the base seed")
    facts: dict[str, Any] = Field(default_factory=dict, description="what the request already settles")
    person: dict[str, Any] = Field(description="the person's answer at each STOP / confirmation, by name")
    expect: Expect
    needs: list[str] = Field(
        default_factory=list, description="tools or sample models that must exist for this route"
    )


def load_scenarios(directory: Path = SCENARIO_DIR, only: list[str] | None = None) -> list[Scenario]:
    import yaml

    scenarios = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        scenario = Scenario.model_validate(data)
        if scenario.id != path.stem:
            raise ValueError(f"{path.name}: id {scenario.id!r} must equal the file name")
        if only and scenario.id not in only:
            continue
        scenarios.append(scenario)
    return scenarios
