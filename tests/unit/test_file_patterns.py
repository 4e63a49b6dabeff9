"""File patterns: a glob or a regex, both matched against the whole stage path; near misses named."""

from __future__ import annotations

import re

import pytest

from snowbatch.core.file_patterns import as_regex, is_glob, nearest_paths

PATHS = [
    "batch_out/media/audio/please_transcribe.wav",
    "batch_out/media/audio/deep/second.mp3",
    "batch_out/media/images/red.png",
]


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ("*.wav", ["batch_out/media/audio/please_transcribe.wav"]),
        ("audio/*.wav", ["batch_out/media/audio/please_transcribe.wav"]),
        ("audio/*", ["batch_out/media/audio/please_transcribe.wav"]),  # * stays in its folder
        ("audio/**/*.mp3", ["batch_out/media/audio/deep/second.mp3"]),
        ("**/*.png", ["batch_out/media/images/red.png"]),
        ("r?d.png", ["batch_out/media/images/red.png"]),
        (".*[.]wav", ["batch_out/media/audio/please_transcribe.wav"]),  # a regex is taken as written
        (r".*\.(png|mp3)", ["batch_out/media/audio/deep/second.mp3", "batch_out/media/images/red.png"]),
    ],
)
def test_globs_and_regexes_match_the_whole_path(pattern: str, matches: list[str]) -> None:
    regex = as_regex(pattern)
    assert regex is not None
    assert [p for p in PATHS if re.fullmatch(regex, p)] == matches


def test_a_pattern_with_regex_syntax_is_never_read_as_a_glob() -> None:
    assert is_glob("*.wav") and is_glob("audio/**")
    assert not is_glob(".*wav") and not is_glob(r"\w+.wav") and not is_glob("(a|b).png")
    assert as_regex(None) is None


def test_the_nearest_paths_are_the_ones_most_like_the_pattern() -> None:
    assert nearest_paths("*.wave", PATHS, n=1) == ["batch_out/media/audio/please_transcribe.wav"]
    assert nearest_paths("*", PATHS) == PATHS[:3]


def test_both_backends_and_every_cut_count_extensions_the_same_way() -> None:
    from snowbatch.core.file_patterns import extension_counts, first_files
    from snowbatch.core.records import FileListing, StageFile

    paths = ["@S.C.ST/a/x.PNG", "@S.C.ST/a/y.png", "@S.C.ST/a/README", "@S.C.ST/a/.hidden"]
    assert extension_counts(paths) == {"(none)": 2, ".png": 2}
    files = [StageFile(path=p, size=10) for p in paths]
    listing = FileListing(location="@S.C.ST/a/", count=4, total_bytes=40, extensions={}, files=files)
    cut = first_files(listing, 2)
    assert (cut.count, cut.total_bytes, cut.extensions) == (2, 20, {".png": 2})
