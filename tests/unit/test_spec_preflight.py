"""Preflight refuses, before any yes, every plan that could only fail or waste compute after it — and
the job it approves is exactly the one requested."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.test_preflight import GOOD_COLUMNS, facts, request
from tests.unit.test_signatures import CHAT

from snowbatch.core.preflight import resolve_job_name, run_preflight
from snowbatch.core.records import FileListing, RelationInfo, StageFile
from snowbatch.core.schedule import ScheduleFacts
from snowbatch.core.signatures import functions_from_model_spec


def failing(pre: Any) -> dict[str, str]:
    """The failing checks' messages; every failing check says how to fix it."""
    fails = [c for c in pre.checks if c.status == "fail"]
    assert all(c.fix for c in fails), [c.name for c in fails if not c.fix]
    return {c.name: c.message for c in fails}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('ML.PUBLIC."lower job"', "quoted or case-sensitive"),
        ('"Mixed".PUBLIC.JOB_1', "quoted or case-sensitive"),
        ("a.b.c.d", "job_name: "),
        ('"open', "job_name: "),
        ("", "job_name: The job name is empty."),
    ],
)
def test_a_job_name_snowflakes_job_commands_cannot_take_fails_the_plan(text: str, why: str) -> None:
    pre = run_preflight(request(), facts(job_name=text))
    assert not pre.ok and why in failing(pre).get("job_name", "")
    check = next(c for c in pre.checks if c.name == "job_name")
    assert check.fix and "plain name" in check.fix


def test_a_job_name_takes_the_models_database_and_schema_unless_given() -> None:
    owner = facts().owner
    assert resolve_job_name("run_1", owner) == ("ML.PUBLIC.RUN_1", [])
    assert resolve_job_name("OTHER.SCH.RUN_1", owner) == ("OTHER.SCH.RUN_1", [])


def test_an_input_that_cannot_be_read_fails_the_plan_with_its_reason() -> None:
    pre = run_preflight(request(), facts(input_error="The query refers to a missing table."))
    assert not pre.ok and failing(pre)["input"] == "The query refers to a missing table."


def test_an_empty_input_fails_and_says_whether_nothing_is_new() -> None:
    empty = RelationInfo(source="ML.PUBLIC.T", columns=GOOD_COLUMNS, row_count=0)
    pre = run_preflight(request(), facts(relation=empty))
    assert not pre.ok and failing(pre)["row_count"] == "The input has no rows."
    only_new = {"key": "ID", "against": "ML.PUBLIC.SCORED"}
    pre = run_preflight(request(), facts(relation=empty, only_new=only_new))
    assert (
        not pre.ok
        and "No new rows" in failing(pre)["row_count"]
        and "ML.PUBLIC.SCORED" in failing(pre)["row_count"]
    )
    one = RelationInfo(source="ML.PUBLIC.T", columns=GOOD_COLUMNS, row_count=1)
    assert run_preflight(request(), facts(relation=one, only_new=only_new)).ok


def test_chat_input_to_a_function_that_takes_no_chat_fails() -> None:
    files = FileListing(
        location="@ML.PUBLIC.MEDIA/",
        count=1,
        total_bytes=10,
        extensions={".png": 1},
        files=[StageFile(path="@ML.PUBLIC.MEDIA/a.png", size=10)],
    )
    chat = {"kind": "chat", "prompt": "Describe it.", "stage_location": "@ML.PUBLIC.MEDIA/"}
    pre = run_preflight(request(input=chat), facts(files=files))
    assert not pre.ok and "does not take OpenAI chat messages" in failing(pre)["chat_signature"]
    (chat_fn,) = functions_from_model_spec({"signatures": {"__call__": CHAT}})
    detail = facts().detail.model_copy(update={"functions": [chat_fn]})
    pre = run_preflight(request(input=chat), facts(function=chat_fn, detail=detail, files=files))
    assert pre.ok and pre.spec.input.kind == "chat"
    assert "files" in {c.name for c in pre.checks}  # the prompt's files were checked
    assert pre.spec.input.files == ["@ML.PUBLIC.MEDIA/a.png"]  # the files were checked and resolved


def test_the_approved_job_carries_every_scaling_choice_and_parameter() -> None:
    scaling = {
        "replicas": 3,
        "num_workers": 4,
        "max_batch_rows": 500,
        "cpu_requests": "2",
        "memory_requests": "8Gi",
        "gpu_requests": "1",
    }
    pre = run_preflight(request(scaling=scaling), facts())
    spec = pre.spec
    assert (spec.replicas, spec.num_workers, spec.max_batch_rows) == (3, 4, 500)
    assert (spec.cpu_requests, spec.memory_requests, spec.gpu_requests) == ("2", "8Gi", "1")
    assert run_preflight(request(), facts()).spec.replicas == 1


def test_what_the_person_asked_of_the_model_reaches_the_job_even_when_a_check_fails() -> None:
    asked = request(params={"k": 1}, engine="vllm", engine_args=["--max-model-len=512"])
    pre = run_preflight(asked, facts())
    assert not pre.ok  # predict takes no params: the plan says so ...
    assert (pre.spec.params, pre.spec.engine, pre.spec.engine_args) == (
        {"k": 1},
        "vllm",
        ["--max-model-len=512"],
    )  # ... and shows exactly what would have run
    assert pre.checks[0].name == "model" and pre.checks[0].status == "pass"


def test_a_schedule_is_checked_with_the_plan_and_the_approved_job_carries_it() -> None:
    """A request with a schedule: its checks join the plan's, and the approved spec names the task, its
    cron and the results table; a job name that fails on its own is not also blamed on the schedule."""
    only_new = {"key": "ID", "against": "ML.PUBLIC.SCORED"}
    found = ScheduleFacts(warehouse="ML_WH", time_zone_known=True, ml_versions={"2.6.0": ["3.11"]})
    pre = run_preflight(
        request(schedule="0 2 * * * UTC"), facts(job_name="NIGHTLY", only_new=only_new, schedule=found)
    )
    assert pre.ok and pre.spec.schedule is not None
    assert (pre.spec.schedule.task, pre.spec.schedule.cron) == ("ML.PUBLIC.NIGHTLY", "0 2 * * *")
    assert pre.spec.schedule.results_table == "ML.PUBLIC.SCORED" and "SCHEDULE creates task" in pre.summary
    unknown = run_preflight(request(schedule="0 2 * * *"), facts(only_new=only_new))  # no facts gathered
    assert not unknown.ok and "warehouse" in failing(unknown)["schedule"] and unknown.spec.schedule is None
    bad_name = run_preflight(
        request(schedule="0 2 * * *"), facts(job_name='"lower"', only_new=only_new, schedule=found)
    )
    assert set(failing(bad_name)) == {"job_name"}
    assert run_preflight(request(), facts(only_new=only_new)).spec.schedule is None  # none asked, none made
