"""The PATTERN of the results load (COPY INTO <table>, ledger F24) takes the Parquet parts directly in the
output folder and nothing in a subfolder of it, under every reading of what Snowflake matches it against.

The COPY INTO page gives three: a bulk load applies it "to the entire storage location in the FROM clause"
(its load output names a file `<stage>/<path>`, LIST names an external stage's file by cloud URL);
Snowpipe trims the stage's URL (the path inside the stage is left); its example trims the whole FROM
location (the file name is left). Each is tried matched whole and, in case a search were meant, searched.
"""

from __future__ import annotations

import re

import pytest

from snowbatch.core.copy_pattern import direct_parts_pattern

PART = "data_0_0_0.snappy.parquet"
STRAYS = [
    "_temporary/data_0_0_0.parquet",
    "_snowflake_temporary/0a1b2c3d/data_0_0_0.parquet",
    "_snowflake_temporary/0a1b2c3d/part=1/data_0.parquet",
]


def subjects(path: str, inner: str) -> list[str]:
    """`inner` (a file below the FROM location `@BATCH_OUT/<path>`) as each reading would present it."""
    return [
        inner,  # relative to the FROM location
        path + inner,  # relative to the stage
        "batch_out/" + path + inner,  # LIST's and the load output's form for an internal stage
        "BATCH_OUT/" + path + inner,  # the stage as it was named
        "s3://fake-bucket/data/" + path + inner,  # an external stage's cloud URL
    ]


def matches(pattern: str, subject: str, *, search: bool) -> bool:
    return bool(re.search(pattern, subject) if search else re.fullmatch(pattern, subject))


@pytest.mark.parametrize("search", [False, True], ids=["whole", "search"])
@pytest.mark.parametrize(
    ("path", "listed"),
    [
        ("runs/JOB_1/", "batch_out/runs/JOB_1/"),
        ("runs/JOB_1/", "s3://fake-bucket/data/runs/JOB_1/"),
        ("", "batch_out/"),
        ("", "s3://fake-bucket/data/"),
        ("odd [dir] (1)/x.y+z$/", "batch_out/odd [dir] (1)/x.y+z$/"),
    ],
)
def test_only_the_parts_directly_in_the_folder_match(path: str, listed: str, search: bool) -> None:
    pattern = direct_parts_pattern(path, listed_prefix=listed, stage_name="BATCH_OUT")
    real = [s for s in subjects(path, PART) if path or not s.startswith("s3:") or listed.startswith("s3:")]
    assert all(matches(pattern, s, search=search) for s in real), (pattern, real)
    for stray in [*STRAYS, "_SUCCESS", "data_0_0_0.parquet.tmp", "sub/data_0.parquet"]:
        hits = [s for s in subjects(path, stray) if matches(pattern, s, search=search)]
        assert hits == [], (pattern, hits)


def test_the_pattern_needs_no_backslash() -> None:
    """Brackets, not backslashes: a SQL string literal would have to escape a backslash again."""
    for path in ("runs/JOB_1/", "", "a.b/[c]/"):
        assert "\\" not in direct_parts_pattern(
            path, listed_prefix="batch_out/" + path, stage_name="BATCH_OUT"
        )
