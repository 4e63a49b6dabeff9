"""Jobs from several sources in one newest-first list whose pages never skip or repeat a job."""

from datetime import datetime, timedelta, timezone

import pytest

from snowbatch.core.errors import InvalidRequest
from snowbatch.core.joblist import Entry, page_newest_first, sort_key

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def entry(name: str, minutes: int) -> Entry[str]:
    return Entry(sort_key(T0 + timedelta(minutes=minutes)), name, name)


BATCH = [entry(f"B{m}", m) for m in (9, 7, 5, 3, 1)]
WAREHOUSE = [entry(f"W{m}", m) for m in (8, 6, 2)]


def walk(entries: list[Entry[str]], limit: int) -> list[str]:
    names: list[str] = []
    cursor = None
    for _ in range(20):
        items, cursor, total = page_newest_first(entries, limit=limit, cursor=cursor)
        assert total == len(entries)
        names += items
        if cursor is None:
            return names
    raise AssertionError("paging did not end")


def test_pages_interleave_every_source_newest_first_without_gaps_or_repeats() -> None:
    expected = ["B9", "W8", "B7", "W6", "B5", "B3", "W2", "B1"]
    for limit in (1, 2, 3, 8, 50):
        assert walk(BATCH + WAREHOUSE, limit) == expected, limit


def test_a_job_submitted_between_two_pages_does_not_shift_the_next_page() -> None:
    first, cursor, _ = page_newest_first(BATCH, limit=2, cursor=None)
    newer = [*BATCH, entry("NEW", 60)]
    second, _, _ = page_newest_first(newer, limit=2, cursor=cursor)
    assert first == ["B9", "B7"] and second == ["B5", "B3"]


def test_times_from_either_backend_sort_alike_and_unknown_times_sort_oldest() -> None:
    naive = datetime(2026, 1, 1, 9, 0)
    assert sort_key(naive) == sort_key("2026-01-01T09:00:00+00:00")
    assert sort_key(None) < sort_key(T0)


def test_a_cursor_not_made_by_list_jobs_is_refused_with_the_way_back() -> None:
    with pytest.raises(InvalidRequest, match="without cursor"):
        page_newest_first(BATCH, limit=2, cursor="7")
