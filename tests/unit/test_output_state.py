"""Judging a location's output, the same way on every backend: complete only with `_SUCCESS` at its top.

Parts without the marker are partial; other files are someone else's; nothing is empty. A job's staged
input (2.x's `_snowflake_temporary/`, 1.x's `_temporary/`) is never taken for results, nor for a marker.
Judged with its job, partial output says why it is partial and what to do — never that it may be used as
a full result.
"""

from __future__ import annotations

import pytest

from snowbatch.core.output import (
    advise_for_job,
    assess_output,
    occupants,
    result_parts,
)
from snowbatch.core.records import JobInfo, OutputFile

LOC = "@ML.PUBLIC.OUT/run/JOB_1/"


def f(rel: str, size: int = 10, rows: int | None = 5) -> OutputFile:
    return OutputFile(path=LOC + rel, size=size, rows=rows if rel.endswith(".parquet") else None)


MARKER = f("_SUCCESS", size=0)
PARTS = [f("data_0.parquet", 100, 5), f("data_1.parquet", 50, 3)]


def test_parts_with_the_marker_are_complete_with_their_rows_and_bytes() -> None:
    info = assess_output(LOC, [*PARTS, MARKER])
    assert (info.state, info.success_marker, info.advice) == ("complete", True, None)
    assert (info.rows, info.total_bytes, info.files_total) == (8, 150, 2)
    assert [x.path for x in info.files] == [p.path for p in PARTS]  # the marker is not a result file


def test_parts_without_the_marker_are_partial_and_say_so() -> None:
    info = assess_output(LOC, PARTS)
    assert (info.state, info.success_marker, info.rows) == ("partial", False, 8)
    assert info.advice and "partial" in info.advice and "wait_for_job" in info.advice


@pytest.mark.parametrize(
    "marker",
    [
        f("sub/_SUCCESS", size=0),  # in a folder below the location
        f("_snowflake_temporary/abc/_SUCCESS", size=0),  # in the staged input
        f("_SUCCESS.bak", size=0),
    ],
)
def test_only_a_marker_at_the_top_of_the_location_counts(marker: OutputFile) -> None:
    info = assess_output(LOC, [*PARTS, marker])
    assert info.state == "partial" and not info.success_marker


@pytest.mark.parametrize(
    "staged_at",
    ["_snowflake_temporary/abc/input.parquet", "_temporary/input.parquet"],  # 2.x; 1.x (in the job's folder)
)
def test_the_staged_input_is_neither_results_nor_files(staged_at: str) -> None:
    staged = f(staged_at, 1000, 99)
    info = assess_output(LOC, [*PARTS, staged, MARKER])
    assert (info.rows, info.total_bytes, info.files_total) == (8, 150, 2)
    assert result_parts(LOC, [*PARTS, staged]) == PARTS
    only_input = assess_output(LOC, [staged])
    assert only_input.state == "empty" and only_input.files == []


def test_rows_are_unknown_when_any_part_cannot_say() -> None:
    info = assess_output(LOC, [*PARTS, f("data_2.parquet", 10, None), MARKER])
    assert info.rows is None and info.state == "complete"


def test_other_files_are_someone_elses_and_nothing_is_empty() -> None:
    foreign = assess_output(LOC, [f("notes.csv"), f("readme.txt")])
    assert foreign.state == "foreign" and not foreign.success_marker
    assert foreign.advice and "notes.csv" in foreign.advice and "2 file(s)" in foreign.advice
    empty = assess_output(LOC, [])
    assert (empty.state, empty.rows, empty.total_bytes) == ("empty", None, 0)
    assert empty.advice and "Nothing has been written" in empty.advice


def test_result_parts_are_the_parquet_files_only() -> None:
    assert result_parts(LOC, [*PARTS, f("notes.csv"), MARKER]) == PARTS


def test_a_long_listing_is_cut_but_counted_in_full() -> None:
    many = [f(f"data_{i}.parquet", 1, 1) for i in range(7)]
    info = assess_output(LOC, [*many, MARKER], limit=3)
    assert len(info.files) == 3 and info.files_total == 7 and info.total_bytes == 7 and info.rows == 7
    assert info.files_note and "3 of 7" in info.files_note
    assert assess_output(LOC, [*many, MARKER], limit=7).files_note is None


def test_occupants_are_the_first_level_entries_but_the_staged_input() -> None:
    paths = ["JOB_1/data_0.parquet", "JOB_1/_SUCCESS", "notes.csv", "_snowflake_temporary/x/in.parquet", "/"]
    assert occupants(paths) == ["JOB_1", "notes.csv"]
    assert occupants(["_snowflake_temporary/x/in.parquet"]) == []


# --- judged with the job ----------------------------------------------------------------------------
def job(status: str, message: str | None = None) -> JobInfo:
    return JobInfo(job_id="ML.PUBLIC.JOB_1", status=status, message=message)


def test_complete_or_foreign_output_keeps_its_own_judgement() -> None:
    complete = assess_output(LOC, [*PARTS, MARKER])
    assert advise_for_job(complete, job("FAILED")) == complete
    foreign = assess_output(LOC, [f("notes.csv")])
    assert advise_for_job(foreign, job("DONE")) == foreign


@pytest.mark.parametrize("status", ["PENDING", "RUNNING", "CANCELLING"])
def test_partial_output_of_a_running_job_says_to_wait(status: str) -> None:
    advice = advise_for_job(assess_output(LOC, PARTS), job(status)).advice or ""
    assert f"is {status}" in advice and "8 rows so far" in advice and "wait_for_job" in advice


def test_a_done_job_without_the_marker_is_not_a_full_result() -> None:
    advice = advise_for_job(assess_output(LOC, PARTS), job("DONE")).advice or ""
    assert "reports DONE" in advice and "no _SUCCESS" in advice and "run the job again" in advice


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED", "INTERNAL_ERROR"])
def test_partial_output_of_a_job_that_ended_is_never_a_full_result(status: str) -> None:
    info = advise_for_job(assess_output(LOC, PARTS), job(status, "boom"))
    advice = info.advice or ""
    assert info.state == "partial" and not info.success_marker
    assert f"ended {status} (boom)" in advice and "never use it as a full result" in advice
    assert "8 rows" in advice
    nothing = advise_for_job(assess_output(LOC, []), job(status)).advice or ""
    assert f"ended {status}." in nothing and "no result files" in nothing


def test_rows_unknown_are_said_as_some() -> None:
    info = assess_output(LOC, [f("data_0.parquet", 10, None)])
    assert "some rows" in (advise_for_job(info, job("FAILED")).advice or "")


def test_foreign_files_are_named_three_at_most() -> None:
    names = ["a.csv", "b.csv", "c.csv", "d.csv", "e.csv"]
    advice = assess_output(LOC, [f(n) for n in names]).advice or ""
    assert "5 file(s)" in advice and "(a.csv, b.csv, c.csv)" in advice and "d.csv" not in advice
