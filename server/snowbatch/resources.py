"""What is installed beside the server: the shipped skills/ and templates/ (inside the wheel, or in a
source checkout) and the snowflake-ml-python release."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent.parent / name  # server/snowbatch -> repository root
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"snowbatch's {name}/ folder is missing from this installation; reinstall snowbatch."
    )


def skills_dir() -> Path:
    return _bundled("skills")


def templates_dir() -> Path:
    return _bundled("templates")


def installed_snowml_version() -> str | None:
    """The snowflake-ml-python this server runs with, read from package metadata (no import of it)."""
    from importlib import metadata

    try:
        return metadata.version("snowflake-ml-python")
    except metadata.PackageNotFoundError:
        return None
