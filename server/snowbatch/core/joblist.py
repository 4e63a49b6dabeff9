"""One newest-first, paginated list of jobs from two sources (batch jobs and warehouse query jobs).

The cursor carries an offset into each source (`b<n>w<m>`), so paging never skips or repeats a job even
though the two lists are fetched separately.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from snowbatch.core.records import JobInfo, Page

_CURSOR = re.compile(r"b(\d+)w(\d+)\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def split_cursor(cursor: str | None) -> tuple[int, int]:
    """(batch offset, warehouse offset); a bare number is a batch offset (an older cursor)."""
    if not cursor:
        return 0, 0
    if cursor.isdigit():
        return int(cursor), 0
    match = _CURSOR.match(cursor)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _newest_first(job: JobInfo) -> datetime:
    created = job.created_on or _EPOCH
    return created if created.tzinfo else created.replace(tzinfo=timezone.utc)


def merge_pages(
    batch: Page[JobInfo],
    warehouse: list[JobInfo],
    *,
    offsets: tuple[int, int],
    limit: int,
    warehouse_has_more: bool,
) -> Page[JobInfo]:
    """The next `limit` jobs of both sources, newest first, with a cursor for the rest."""
    merged = sorted([*batch.items, *warehouse], key=_newest_first, reverse=True)[:limit]
    from_batch = sum(1 for j in merged if j.kind != "warehouse")
    from_warehouse = len(merged) - from_batch
    more = (
        batch.next_cursor is not None
        or len(batch.items) > from_batch
        or len(warehouse) > from_warehouse
        or warehouse_has_more
    )
    next_cursor = f"b{offsets[0] + from_batch}w{offsets[1] + from_warehouse}" if more else None
    return Page(items=merged, next_cursor=next_cursor)
