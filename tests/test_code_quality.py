"""The project's own standards, checked in CI: ruff lint and format, and mypy over the package."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_finds_no_lint_problem() -> None:
    out = run("ruff", "check", ".")
    assert out.returncode == 0, out.stdout[-4000:]


def test_the_code_is_ruff_formatted() -> None:
    out = run("ruff", "format", "--check", ".")
    assert out.returncode == 0, out.stdout[-4000:]


@pytest.mark.slow
def test_mypy_finds_no_type_error() -> None:
    out = run("mypy")
    assert out.returncode == 0, out.stdout[-4000:]
