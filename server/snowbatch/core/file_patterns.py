"""File patterns as people write them: a regular expression on the whole stage path (what Snowflake's
LIST PATTERN takes), or a glob (`*.wav`, `audio/**/*.mp3`) turned into one. And, when nothing matches,
the paths that come closest, so the next try is informed."""

from __future__ import annotations

import difflib
import re
from collections import Counter

from snowbatch.core.records import FileListing, StageFile

# Characters that only a regular expression uses: a pattern with any of them is taken as a regex.
_REGEX_ONLY = re.compile(r"\.\*|\.\+|\\|\(|\)|\||\^|\$|\{|\}|\+")
PATTERN_RULE = (
    "A pattern is a regular expression matched against the whole stage path (e.g. .*[.]wav), or a glob "
    "such as *.wav or audio/**/*.mp3 (* stays within a folder, ** crosses folders)."
)


def is_glob(pattern: str) -> bool:
    return ("*" in pattern or "?" in pattern) and not _REGEX_ONLY.search(pattern)


def glob_to_regex(glob: str) -> str:
    """A glob as a regex on the whole path: it may match after any folder prefix (the stage and the
    listed location come first in a path), `*` within one folder, `**` across folders, `?` one char."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append("[.]" if glob[i] == "." else re.escape(glob[i]))
            i += 1
    return "(.*/)?" + "".join(out)


def as_regex(pattern: str | None) -> str | None:
    """The regex a backend is given: a glob translated, a regex as written."""
    if pattern is None:
        return None
    return glob_to_regex(pattern) if is_glob(pattern) else pattern


def nearest_paths(pattern: str, paths: list[str], n: int = 3) -> list[str]:
    """The paths most like the pattern's literal text (its file name part weighs most)."""
    literal = re.sub(r"[*?\[\]().+^$\\|{}]", "", pattern.rsplit("/", 1)[-1])
    by_name = {p.rsplit("/", 1)[-1]: p for p in paths}
    close = difflib.get_close_matches(literal, list(by_name), n=n, cutoff=0.0) if literal else []
    return [by_name[name] for name in close] or paths[:n]


def extension_counts(paths: list[str]) -> dict[str, int]:
    """Files per extension (`.png`, `(none)` for a file without one), the one form both backends and
    every cut of a listing report."""

    def extension(path: str) -> str:
        name = path.rsplit("/", 1)[-1]
        return "." + name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else "(none)"

    return dict(sorted(Counter(extension(p) for p in paths).items()))


def _kept(listing: FileListing, kept: list[StageFile], count: int, note: str) -> FileListing:
    """The listing's figures recomputed for the files kept (never mixed with the totals)."""
    return listing.model_copy(
        update={
            "count": count,
            "total_bytes": sum(f.size for f in kept),
            "extensions": extension_counts([f.path for f in kept]),
            "files": kept,
            "truncated": count > len(kept),
            "note": note,
        }
    )


def first_files(listing: FileListing, limit: int) -> FileListing:
    """A listing cut to its first `limit` files (a trial's); the note says how many matched in all."""
    if listing.count <= limit:
        return listing
    kept = listing.files[:limit]
    return _kept(listing, kept, len(kept), f"the first {len(kept)} of {listing.count} matching files")


def without_paths(listing: FileListing, scored: set[str], job_id: str) -> FileListing:
    """A listing without the files a trial already scored."""
    kept = [f for f in listing.files if f.path not in scored]
    left_out = len(listing.files) - len(kept)
    return _kept(
        listing,
        kept,
        listing.count - left_out,
        f"{left_out} file(s) job {job_id} already scored are left out",
    )
