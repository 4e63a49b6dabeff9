"""Judging a job's output together with its status: partial output says why and what to do."""

from __future__ import annotations

import pytest

from snowbatch.core.output import advise_for_job, assess_output, cut_listing
from snowbatch.core.records import JobInfo, OutputFile

LOC = "@ML.PUBLIC.OUT/runs/JOB_1/"
PART = OutputFile(path=f"{LOC}data_000000.parquet", size=100, rows=7)
SUCCESS = OutputFile(path=f"{LOC}_SUCCESS", size=0)


def job(status: str, message: str | None = None) -> JobInfo:
    return JobInfo(job_id="ML.PUBLIC.JOB_1", status=status, message=message)  # type: ignore[arg-type]


def test_complete_output_needs_no_advice_whatever_the_job_says() -> None:
    info = assess_output(LOC, [PART, SUCCESS])
    assert info.state == "complete" and info.rows == 7
    assert advise_for_job(info, job("DONE")).advice is None


@pytest.mark.parametrize("status", ["PENDING", "RUNNING", "CANCELLING"])
def test_partial_output_of_an_unfinished_job_says_to_wait(status: str) -> None:
    advice = advise_for_job(assess_output(LOC, [PART]), job(status)).advice or ""
    assert f"is {status}" in advice and "7 rows so far" in advice and "wait_for_job" in advice


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED", "INTERNAL_ERROR"])
def test_partial_output_of_a_stopped_job_says_why_and_never_to_use_it(status: str) -> None:
    advice = advise_for_job(assess_output(LOC, [PART]), job(status, "killed")).advice or ""
    assert f"ended {status} (killed)" in advice and "7 rows" in advice
    assert "never use it as a full result" in advice and "submit the job again" in advice


def test_a_done_job_without_success_marker_is_not_complete() -> None:
    info = advise_for_job(assess_output(LOC, [PART]), job("DONE"))
    assert info.state == "partial" and "no _SUCCESS" in (info.advice or "")


def test_empty_output_of_a_failed_job_says_there_are_no_files() -> None:
    advice = advise_for_job(assess_output(LOC, []), job("FAILED")).advice or ""
    assert "no result files" in advice


def test_a_finished_warehouse_job_points_to_its_table_not_to_stage_output() -> None:
    from snowbatch.core.job_advice import next_step as next_step_for
    from snowbatch.core.records import JobInfo

    done = JobInfo(
        job_id="ML.PUBLIC.WAREHOUSE_QUERY_1",
        kind="warehouse",
        status="DONE",
        output_location="ML.PUBLIC.SCORES",
    )
    cancelled = done.model_copy(update={"status": "CANCELLED"})
    batch = done.model_copy(update={"kind": "batch", "job_id": "ML.PUBLIC.BATCH_INFERENCE_1"})
    assert "ML.PUBLIC.SCORES is written" in next_step_for(done) and "inspect_output" not in next_step_for(
        done
    )
    assert "left unchanged" in next_step_for(cancelled)
    assert "inspect_output" in next_step_for(batch)


def test_someone_elses_files_are_told_apart_from_empty() -> None:
    notes = OutputFile(path=f"{LOC}notes.csv", size=10)
    info = assess_output(LOC, [notes, OutputFile(path=f"{LOC}old/readme.txt", size=3)])
    assert info.state == "foreign" and not info.success_marker
    assert "2 file(s) here are not batch results (notes.csv, old/readme.txt)" in (info.advice or "")
    assert advise_for_job(info, job("DONE")).advice == info.advice  # never called this job's partial output
    assert assess_output(LOC, []).state == "empty"


def test_the_staged_input_and_a_nested_marker_do_not_count() -> None:
    staged = OutputFile(path=f"{LOC}_snowflake_temporary/abc/input.parquet", size=50, rows=3)
    nested = OutputFile(path=f"{LOC}other_job/_SUCCESS", size=0)
    info = assess_output(LOC, [staged, nested])
    assert info.state == "foreign" and not info.success_marker and info.rows is None
    assert [f.path for f in info.files] == [nested.path]
    assert assess_output(LOC, [staged]).state == "empty"


def test_the_listing_is_bounded_says_so_and_the_totals_count_every_file() -> None:
    parts = [OutputFile(path=f"{LOC}data_{i:06d}.parquet", size=10, rows=1) for i in range(120)]
    info = assess_output(LOC, [*parts, SUCCESS])
    assert len(info.files) == info.files_total == 120 and info.files_note is None
    shown = cut_listing(info, 50)
    assert len(shown.files) == 50 and shown.files_total == 120
    assert shown.total_bytes == 1200 and shown.rows == 120 and shown.state == "complete"
    assert shown.files_note == "Showing 50 of 120 files; pass limit= (up to 1000) for more."
    assert cut_listing(info, 500) is info
