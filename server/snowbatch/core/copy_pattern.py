"""COPY INTO's PATTERN for a job's result parts: the Parquet files directly in its output folder, never
one in a subfolder (snowflake-ml stages its input in `_temporary/` or `_snowflake_temporary/`), whatever
text Snowflake matches the pattern against (ledger F24). Used by the Snowflake backend's load and by the
scheduled procedure's load, whose folder name ends in the time of its run."""

from __future__ import annotations

LEAF = "[^/]*[.]parquet"


def parts_in(folder_regex: str) -> str:
    """The parts directly in the folder `folder_regex` matches (its path inside the stage, ending in
    `/`), seen as a bare file name, as `<path><file>`, or behind any prefix."""
    return f"^((.*/)?{folder_regex})?{LEAF}$"


def run_parts_pattern(folder_prefix: str) -> str:
    """The parts of a scheduled run, whose folder is `<folder_prefix><UTC yyyymmddHHMMSS>/`."""
    return parts_in(regex_literal(folder_prefix) + "[0-9]+/")


def direct_parts_pattern(path: str, *, listed_prefix: str, stage_name: str) -> str:
    """COPY INTO's PATTERN for the Parquet files directly in the folder `path` (inside its stage: '' or
    ending in '/'), and for nothing in a subfolder of it, whichever text Snowflake matches it against.

    The COPY INTO page says a bulk load applies the pattern "to the entire storage location in the FROM
    clause" (its load output names a file `<stage>/<path>`); its Snowpipe note trims the stage's URL, and
    its example trims the whole FROM location, leaving the file name. So a part `data.parquet` may be seen
    as `data.parquet`, `<path>data.parquet`, or that behind any prefix (`<stage>/`, LIST's `listed_prefix`,
    a cloud URL). The pattern allows each, anchored at both ends (the page's examples match whole names;
    the anchors keep it so if a search were meant), and no `/` after the folder. At a stage's root no
    path tells a prefix from a subfolder, so only the prefixes known are allowed (ledger F24).
    """
    if path:
        return parts_in(regex_literal(path))
    prefixes = {regex_literal(listed_prefix), regex_literal(stage_name + "/", fold_case=True)} - {""}
    return f"^({'|'.join(sorted(prefixes))})?{LEAF}$"


def regex_literal(text: str, *, fold_case: bool = False) -> str:
    """`text` as a POSIX regex matching only itself: brackets, not backslashes (which a SQL string
    literal would have to escape again); a letter as [aA] when case is not known."""
    out = []
    for ch in text:
        if fold_case and ch.lower() != ch.upper():
            out.append(f"[{ch.lower()}{ch.upper()}]")
        elif ch.isalnum() or ch in "/_-":
            out.append(ch)
        elif ch in "[]^\\":
            out.append(".")  # no bracket form for these: any one character stands in
        else:
            out.append(f"[{ch}]")
    return "".join(out)
