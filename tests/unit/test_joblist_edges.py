"""The job list at its edges: the last page says it is the last, equal times never swap or repeat a job,
times in any zone or form sort as UTC, and a cursor is either one list_jobs made or refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from snowbatch.core.errors import InvalidRequest
from snowbatch.core.joblist import Entry, page_newest_first, parse_cursor, seconds_since, sort_key

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)


def entries(*names_minutes: tuple[str, int]) -> list[Entry[str]]:
    return [Entry(sort_key(T0 + timedelta(minutes=m)), n, n) for n, m in names_minutes]


def test_a_page_that_ends_at_the_oldest_job_has_no_next_cursor() -> None:
    jobs = entries(("A", 3), ("B", 2), ("C", 1))
    items, cursor, total = page_newest_first(jobs, limit=3, cursor=None)
    assert (items, cursor, total) == (["A", "B", "C"], None, 3)
    first, cursor, _ = page_newest_first(jobs, limit=2, cursor=None)
    assert first == ["A", "B"] and cursor is not None
    rest, end, _ = page_newest_first(jobs, limit=1, cursor=cursor)
    assert rest == ["C"] and end is None


def test_jobs_created_at_the_same_time_page_in_name_order_without_repeats() -> None:
    jobs = entries(("J_A", 0), ("J_C", 0), ("J_B", 0), ("J_D", 0))
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        items, cursor, total = page_newest_first(jobs, limit=1, cursor=cursor)
        seen += items
        assert total == 4
    assert seen == ["J_D", "J_C", "J_B", "J_A"] and cursor is None


def test_an_empty_list_is_one_empty_page() -> None:
    assert page_newest_first([], limit=5, cursor=None) == ([], None, 0)


@pytest.mark.parametrize(
    "created",
    [
        "2026-01-01T10:00:00+01:00",
        "2026-01-01T09:00:00",
        datetime(2026, 1, 1, 4, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_a_time_in_any_zone_or_form_sorts_as_the_same_utc_instant(created: str | datetime) -> None:
    assert sort_key(created) == sort_key(T0) == "2026-01-01T09:00:00+00:00"


def test_an_unreadable_time_sorts_oldest() -> None:
    assert sort_key("yesterday") == sort_key(None) < sort_key(datetime(1971, 1, 1, tzinfo=timezone.utc))


def test_seconds_since_a_recorded_time_and_the_fallback_when_it_is_unreadable() -> None:
    ten_minutes_ago = datetime.now(timezone.utc) - timedelta(minutes=10)
    assert 595 < seconds_since(ten_minutes_ago.isoformat(), unknown=-1) < 610
    naive = ten_minutes_ago.replace(tzinfo=None).isoformat()  # recorded without a zone: UTC
    assert 595 < seconds_since(naive, unknown=-1) < 610
    assert seconds_since("not a time", unknown=42.0) == 42.0


@pytest.mark.parametrize("cursor", ["no-separator", "|JOB_1", "|"])
def test_a_cursor_list_jobs_did_not_make_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_cursor(cursor)


def test_a_cursor_splits_at_its_last_separator() -> None:
    assert parse_cursor(None) is None and parse_cursor("") is None
    assert parse_cursor("2026-01-01T09:00:00+00:00|ML.PUBLIC.A|B") == (
        "2026-01-01T09:00:00+00:00|ML.PUBLIC.A",
        "B",
    )


def test_a_time_recorded_without_a_zone_is_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert sort_key("2026-01-01T09:00:00") == "2026-01-01T09:00:00+00:00"
        assert sort_key(datetime(2026, 1, 1, 9, 0)) == "2026-01-01T09:00:00+00:00"
    finally:
        monkeypatch.undo()
        time.tzset()
