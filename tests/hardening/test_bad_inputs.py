"""A catalogue of bad inputs across the tools, on a seeded local account.

Each entry is one mistake an assistant or a person can make. For each: the call fails (or, for
plan_batch_job, returns a plan that is not ok), the text names the problem and the next step, and
nothing was created, changed or written — the account's files are byte-for-byte and mtime-for-mtime the
same, and no job exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from tests.hardening.conftest import call_tool, local_server, tree_snapshot

pytestmark = pytest.mark.anyio

PLAN = {
    "model": "ML.PUBLIC.CHURN_CLASSIFIER",
    "function": "PREDICT",
    "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"},
    "output_stage": "@ML.PUBLIC.BATCH_OUT/bad-inputs/",
    "compute_pool": "CPU_POOL",
    "include_code": False,
}


def plan(**changes: Any) -> dict[str, Any]:
    return {**PLAN, **changes}


@dataclass(frozen=True)
class Bad:
    id: str
    tool: str
    args: dict[str, Any]
    problem: str  # a fragment of the text that names the problem (case-insensitive)
    next_step: str  # a fragment of the text that says what to do next

    def __repr__(self) -> str:
        return self.id


CATALOGUE = [
    # --- names -------------------------------------------------------------------------------------
    Bad("empty model name", "list_model_versions", {"model": ""}, "empty", "DB.SCHEMA"),
    Bad(
        "four-part model name",
        "list_model_versions",
        {"model": "A.B.C.D"},
        "at most three parts",
        "Quote a part",
    ),
    Bad(
        "space in an unquoted name",
        "list_model_versions",
        {"model": "ML.PUBLIC.my model"},
        "unquoted names",
        "double quotes",
    ),
    Bad("unclosed quote", "list_model_versions", {"model": 'ML.PUBLIC."churn'}, "not closed", "Close"),
    Bad(
        "control character in a name",
        "show_model_functions",
        {"model": 'ML.PUBLIC."a\x07b"'},
        "control characters",
        "Remove",
    ),
    Bad("name longer than 255", "show_model_functions", {"model": "M" * 300}, "longer than 255", "shorter"),
    Bad(
        "model that does not exist",
        "list_model_versions",
        {"model": "ML.PUBLIC.CHURN_CLASIFIER"},
        "CHURN_CLASIFIER",
        "list_models",
    ),
    Bad(
        "version that does not exist",
        "show_model_functions",
        {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "version": "V9"},
        "V9",
        "list_model_versions",
    ),
    # --- input ------------------------------------------------------------------------------------
    Bad(
        "both table and stage_location",
        "describe_input",
        {"table": "ML.PUBLIC.CUSTOMERS", "stage_location": "@ML.PUBLIC.BATCH_OUT/"},
        "exactly one",
        "table= for tabular",
    ),
    Bad("neither table nor stage_location", "describe_input", {}, "exactly one", "table= for tabular"),
    Bad(
        "table that does not exist",
        "describe_input",
        {"table": "ML.PUBLIC.CUSTOMER"},
        "does not exist",
        "Did you mean CUSTOMERS",
    ),
    Bad(
        "function that does not exist",
        "describe_input",
        {"table": "ML.PUBLIC.CUSTOMERS", "model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": "PREDIKT"},
        "PREDIKT",
        "Use one of",
    ),
    Bad(
        "stage location without @",
        "list_stage_files",
        {"stage_location": "ML.PUBLIC.BATCH_OUT/"},
        "starts with @",
        "@DB.SCHEMA.STAGE",
    ),
    Bad(
        "'..' in a stage path",
        "list_stage_files",
        {"stage_location": "@ML.PUBLIC.BATCH_OUT/a/../../x"},
        "'..'",
        "Name the folder directly",
    ),
    Bad("user stage", "list_stage_files", {"stage_location": "@~/files/"}, "not supported", "named stage"),
    Bad(
        "stage that does not exist",
        "list_stage_files",
        {"stage_location": "@ML.PUBLIC.BATCH_OUTT/"},
        "does not exist",
        "create_stage",
    ),
    Bad(
        "pattern that is not a regular expression",
        "list_stage_files",
        {"stage_location": "@ML.PUBLIC.BATCH_OUT/", "pattern": "*.parquet("},
        "pattern",
        "Next step",
    ),
    # --- stages and pools ---------------------------------------------------------------------------
    Bad("empty stage name", "create_stage", {"stage": " "}, "empty", "DB.SCHEMA"),
    Bad(
        "re-create a stage that exists without SSE",
        "create_stage",
        {"stage": "ML.PUBLIC.LEGACY_STAGE"},
        "LEGACY_STAGE",
        "Next step",
    ),
    Bad(
        "quoted compute pool name",
        "create_compute_pool",
        {"name": '"my pool"', "instance_family": "CPU_X64_XS"},
        "quoted",
        "plain name",
    ),
    Bad(
        "unknown instance family",
        "create_compute_pool",
        {"name": "NEW_POOL", "instance_family": "HUGE"},
        "instance family",
        "CPU_X64_XS",
    ),
    Bad(
        "min_nodes above max_nodes",
        "create_compute_pool",
        {"name": "NEW_POOL", "instance_family": "CPU_X64_XS", "min_nodes": 3, "max_nodes": 1},
        "min_nodes",
        "max_nodes",
    ),
    Bad(
        "resume a pool that does not exist",
        "resume_compute_pool",
        {"name": "NO_SUCH_POOL"},
        "NO_SUCH_POOL",
        "list_compute_pools",
    ),
    # --- planning (a plan that is not ok, with the failing check's fix) ----------------------------
    Bad(
        "pool that does not exist",
        "plan_batch_job",
        plan(compute_pool="GPU_POOOL"),
        "GPU_POOOL",
        "list_compute_pools",
    ),
    Bad(
        "output on a client-side encrypted stage",
        "plan_batch_job",
        plan(output_stage="@ML.PUBLIC.LEGACY_STAGE/x/"),
        "SNOWFLAKE_SSE",
        "create_stage",
    ),
    Bad(
        "output stage that does not exist",
        "plan_batch_job",
        plan(output_stage="@ML.PUBLIC.NOPE/x/"),
        "NOPE",
        "create_stage",
    ),
    Bad(
        "model that cannot take this table",
        "plan_batch_job",
        plan(model="ML.PUBLIC.PRICE_REGRESSOR", function=None, input={"kind": "rows", "rows": [{"A": 1}]}),
        "missing",
        "plan again",
    ),
    Bad(
        "unknown signature parameter",
        "plan_batch_job",
        plan(params={"temperature": 0.2}),
        "temperature",
        "plan_batch_job again",
    ),
    Bad("job name with a path in it", "plan_batch_job", plan(job_name="../../escape"), "escape", "job_name"),
    # --- jobs ---------------------------------------------------------------------------------------
    Bad(
        "plan id that was never issued",
        "submit_batch_job",
        {"plan_id": "plan_0000"},
        "No plan",
        "plan_batch_job",
    ),
    Bad(
        "made-up confirmation token",
        "create_stage",
        {"stage": "ML.PUBLIC.NEW_STAGE", "confirmation_token": "yes-please"},
        "Nothing was done",
        "without confirmation_token",
    ),
    Bad(
        "job that does not exist",
        "wait_for_job",
        {"job_id": "ML.PUBLIC.NO_SUCH_JOB", "timeout_seconds": 0},
        "No job",
        "list_jobs",
    ),
    Bad(
        "logs of a job that does not exist", "get_job_logs", {"job_id": "NO_SUCH_JOB"}, "No job", "list_jobs"
    ),
    Bad("cancel a job that does not exist", "cancel_job", {"job_id": "NO_SUCH_JOB"}, "No job", "list_jobs"),
    Bad("delete a job that does not exist", "delete_job", {"job_id": "NO_SUCH_JOB"}, "No job", "list_jobs"),
    Bad("list_jobs cursor that it never gave", "list_jobs", {"cursor": "page-2"}, "cursor", "without cursor"),
    # --- output --------------------------------------------------------------------------------------
    Bad(
        "both job_id and location",
        "inspect_output",
        {"job_id": "X", "location": "@ML.PUBLIC.BATCH_OUT/"},
        "exactly one",
        "job id",
    ),
    Bad(
        "preview of an empty location",
        "preview_results",
        {"location": "@ML.PUBLIC.BATCH_OUT/empty/"},
        "No Parquet results",
        "inspect_output",
    ),
    Bad(
        "save partial output",
        "save_results_to_table",
        {"table": "ML.PUBLIC.SCORES", "location": "@ML.PUBLIC.BATCH_OUT/partial/"},
        "_SUCCESS",
        "wait_for_job",
    ),
    Bad(
        "save into a table that exists (mode error)",
        "save_results_to_table",
        {"table": "ML.PUBLIC.CUSTOMERS", "location": "@ML.PUBLIC.BATCH_OUT/complete/"},
        "exists",
        "overwrite",
    ),
    Bad(
        "wait longer than a client allows",
        "wait_for_job",
        {"job_id": "X", "timeout_seconds": 600},
        "timeout_seconds",
        "55",
    ),
    # --- code ----------------------------------------------------------------------------------------
    Bad(
        "template that does not exist",
        "generate_code",
        {"template": "run_batch_tabularr"},
        "run_batch_tabularr",
        "list_templates",
    ),
    Bad(
        "template without its required parameters",
        "generate_code",
        {"template": "run_batch_tabular"},
        "model",
        "Next step",
    ),
    # --- warehouse ----------------------------------------------------------------------------------
    Bad(
        "warehouse run given both table and query",
        "preview_in_warehouse",
        {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "table": "ML.PUBLIC.CUSTOMERS", "query": "SELECT 1"},
        "exactly one",
        "table=",
    ),
    Bad(
        "warehouse query that is not a SELECT",
        "preview_in_warehouse",
        {
            "model": "ML.PUBLIC.CHURN_CLASSIFIER",
            "function": "PREDICT",
            "query": "DROP TABLE ML.PUBLIC.CUSTOMERS",
        },
        "SELECT",
        "Next step",
    ),
]


def prepare(home: Path) -> None:
    """Output folders some entries need: partial (no _SUCCESS) and empty."""
    import pandas as pd

    stage = home / "stages" / "ML" / "PUBLIC" / "BATCH_OUT"
    (stage / "partial").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"X": [1.0]}).to_parquet(stage / "partial" / "data_000000.parquet")
    (stage / "empty").mkdir(exist_ok=True)
    (stage / "complete").mkdir(exist_ok=True)
    pd.DataFrame({"X": [1.0]}).to_parquet(stage / "complete" / "data_000000.parquet")
    (stage / "complete" / "_SUCCESS").write_bytes(b"")


def test_the_catalogue_has_at_least_thirty_entries_over_many_tools() -> None:
    assert len(CATALOGUE) >= 30
    assert len({b.tool for b in CATALOGUE}) >= 15
    assert len({b.id for b in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize("bad", CATALOGUE, ids=lambda b: b.id)
async def test_a_bad_input_names_the_problem_and_the_next_step_and_changes_nothing(
    bad: Bad, local_home: Path
) -> None:
    prepare(local_home)
    server = local_server(local_home)
    async with Client(server) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        if bad.tool not in tools:
            pytest.skip(f"{bad.tool} is not registered")
        before = tree_snapshot(local_home)
        out = await call_tool(client, bad.tool, bad.args)
        if not out.is_error and (out.structured or {}).get("status") == "confirmation_required":
            # a gated tool asked first: the person says yes, and the bad input must be refused now
            assert "confirmation_token" not in bad.args
            token = out.structured["confirmation_token"]  # type: ignore[index]
            out = await call_tool(client, bad.tool, {**bad.args, "confirmation_token": token})
    after = tree_snapshot(local_home)

    if bad.tool == "plan_batch_job" and not out.is_error:
        assert out.structured is not None and out.structured["ok"] is False, out.text
        failing = [c for c in out.structured["checks"] if c["status"] == "fail"]
        assert failing, out.structured["checks"]
        text = (
            " ".join(f"{c['message']} {c.get('fix') or ''}" for c in failing)
            + " "
            + out.structured["next_step"]
        )
    else:
        assert out.is_error, f"{bad.id}: accepted: {out.text[:300]}"
        text = out.text
    assert bad.problem.lower() in text.lower(), f"{bad.id}: the problem is not named: {text}"
    assert bad.next_step.lower() in text.lower(), f"{bad.id}: no next step: {text}"
    assert "Traceback" not in text
    assert before == after, f"{bad.id}: files changed: {set(before) ^ set(after) or 'mtimes'}"
    assert not (local_home / "jobs").exists() or not any((local_home / "jobs").iterdir())
