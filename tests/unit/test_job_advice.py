"""Next steps and cancel/delete summaries come from one set of rules, said to the assistant in tool names
and to a person at the command line in `snowbatch jobs` commands — never a tool name to a person."""

from __future__ import annotations

import pytest

from snowbatch.core.errors import InvalidRequest
from snowbatch.core.job_advice import cancel_summary, delete_summary, next_step
from snowbatch.core.records import JobInfo, JobStatus

TOOLS = (
    "wait_for_job", "get_job_logs", "inspect_output", "preview_results", "save_results_to_table",
    "cancel_job", "delete_job", "plan_batch_job", "run_in_warehouse", "describe_input",
)  # fmt: skip
STATUSES = list(JobStatus.__args__)  # type: ignore[attr-defined]


def job(status: str, kind: str = "batch") -> JobInfo:
    return JobInfo(
        job_id="ML.PUBLIC.JOB_1", kind=kind, status=status, output_location="@ML.PUBLIC.OUT/JOB_1/",  # type: ignore[arg-type]
        compute_pool="CPU_POOL",
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["batch", "warehouse"])
@pytest.mark.parametrize("status", STATUSES)
def test_a_person_is_never_told_to_call_a_tool(status: str, kind: str) -> None:
    said = next_step(job(status, kind), "person")
    assert said and not [t for t in TOOLS if t in said], said


def test_the_same_rule_names_the_tool_for_the_assistant_and_the_command_for_a_person() -> None:
    running = job("RUNNING")
    assert next_step(running) == "Call wait_for_job again; it reports progress."
    assert (
        next_step(running, "person")
        == "Run `snowbatch jobs wait ML.PUBLIC.JOB_1` again; it reports progress."
    )
    failed = job("FAILED")
    assert "get_job_logs" in next_step(failed)
    assert "`snowbatch jobs logs ML.PUBLIC.JOB_1`" in next_step(failed, "person")


def test_a_written_warehouse_table_is_read_never_scored_again() -> None:
    said = next_step(job("DONE", "warehouse"))
    assert "describe_input or a plain SELECT" in said and "run_in_warehouse" not in said


def test_cancel_and_delete_refusals_speak_to_their_audience() -> None:
    with pytest.raises(InvalidRequest) as tool:
        cancel_summary(job("DONE"))
    assert "inspect_output" in tool.value.next_step
    with pytest.raises(InvalidRequest) as cli:
        cancel_summary(job("DONE"), "person")
    assert not [t for t in TOOLS if t in cli.value.next_step], cli.value.next_step
    with pytest.raises(InvalidRequest) as running:
        delete_summary(job("RUNNING"), "person")
    assert "`snowbatch jobs cancel ML.PUBLIC.JOB_1`" in running.value.next_step
    assert "partial output" in cancel_summary(job("RUNNING"))
    assert "record and logs are removed" in delete_summary(job("FAILED"))
