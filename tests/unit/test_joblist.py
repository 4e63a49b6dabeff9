"""Batch and warehouse jobs in one newest-first list whose pages never skip or repeat a job."""

from datetime import datetime, timedelta, timezone

from snowbatch.core.joblist import merge_pages, split_cursor
from snowbatch.core.records import JobInfo, Page

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def job(name: str, minutes: int, kind: str = "batch") -> JobInfo:
    return JobInfo(
        job_id=f"ML.PUBLIC.{name}",
        status="DONE",
        kind=kind,  # type: ignore[arg-type]
        created_on=T0 + timedelta(minutes=minutes),
    )


BATCH = [job(f"B{m}", m) for m in (9, 7, 5, 3, 1)]
WAREHOUSE = [job(f"W{m}", m, "warehouse") for m in (8, 6, 2)]


def page_of(source: list[JobInfo], offset: int, limit: int) -> Page[JobInfo]:
    items = source[offset : offset + limit]
    return Page(items=items, next_cursor=str(offset + limit) if offset + limit < len(source) else None)


def walk(limit: int) -> list[str]:
    names, cursor = [], None
    for _ in range(20):
        b, w = split_cursor(cursor)
        warehouse = WAREHOUSE[w : w + limit + 1]
        page = merge_pages(
            page_of(BATCH, b, limit),
            warehouse[:limit],
            offsets=(b, w),
            limit=limit,
            warehouse_has_more=len(warehouse) > limit,
        )
        names += [j.job_id.rsplit(".", 1)[1] for j in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return names
    raise AssertionError("paging did not end")


def test_pages_interleave_both_sources_newest_first_without_gaps_or_repeats() -> None:
    expected = ["B9", "W8", "B7", "W6", "B5", "B3", "W2", "B1"]
    for limit in (1, 2, 3, 8, 50):
        assert walk(limit) == expected, limit


def test_cursors_parse_and_old_numeric_cursors_mean_a_batch_offset() -> None:
    assert split_cursor(None) == (0, 0)
    assert split_cursor("b3w2") == (3, 2)
    assert split_cursor("7") == (7, 0)
