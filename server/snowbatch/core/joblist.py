"""One newest-first, keyset-paginated list of jobs, whatever the sources behind it.

The cursor is the sort key of the last job shown (`<created UTC ISO>|<name>`), so jobs submitted between
two pages never shift the next page: no job is shown twice or skipped, and several sources (batch jobs,
warehouse query jobs, jobs still being submitted) merge into one order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Generic, TypeVar

from snowbatch.core.errors import InvalidRequest

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def sort_key(created: datetime | str | None) -> str:
    """A creation time as a sortable UTC ISO string (unknown times sort oldest)."""
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created)
        except ValueError:
            created = None
    if created is None:
        created = _EPOCH
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return created.astimezone(timezone.utc).isoformat()


def seconds_since(created: object, *, unknown: float) -> float:
    """Seconds from a recorded creation time (ISO text) to now; `unknown` when it cannot be read."""
    try:
        stamp = datetime.fromisoformat(str(created))
    except ValueError:
        return unknown
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - stamp).total_seconds()


def parse_cursor(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    key, sep, name = cursor.rpartition("|")
    if not sep or not key:
        raise InvalidRequest(
            "This cursor is not one list_jobs returned.",
            "Call list_jobs without cursor to start from the newest job.",
        )
    return key, name


class Entry(Generic[T]):
    """One job in the merged list: its sort key, its unique name and whatever the source keeps."""

    __slots__ = ("item", "key", "name")

    def __init__(self, key: str, name: str, item: T) -> None:
        self.key, self.name, self.item = key, name, item


def page_newest_first(
    entries: Sequence[Entry[T]], *, limit: int, cursor: str | None
) -> tuple[list[T], str | None, int]:
    """(the items of this page, the cursor for the next one or None, the total count)."""
    ordered = sorted(entries, key=lambda e: (e.key, e.name), reverse=True)
    after = parse_cursor(cursor)
    rest = [e for e in ordered if (e.key, e.name) < after] if after is not None else ordered
    chunk = rest[:limit]
    nxt = f"{chunk[-1].key}|{chunk[-1].name}" if len(rest) > limit else None
    return [e.item for e in chunk], nxt, len(ordered)
