"""Accounts the tests build once per session and copy per test — or once for many sessions.

With SNOWBATCH_TEST_PREBUILT set to a folder, an account built there by an earlier pytest session is used
as it is: `python -m tests.mutation` sets it, because it runs pytest hundreds of times and seeding an
account costs seconds each time. Without it (CI, a developer's run) each session builds its own.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

ENV = "SNOWBATCH_TEST_PREBUILT"


def prebuilt(name: str, build: Callable[[Path], None], here: Path | None = None) -> Path:
    """The account `name` (a `home` folder `build` fills): built now under `here` (default: a new
    temporary folder), or by an earlier session under $SNOWBATCH_TEST_PREBUILT."""
    root = os.environ.get(ENV)
    if not root:
        home = (here or Path(tempfile.mkdtemp(prefix=f"snowbatch-{name}-"))) / "home"
        build(home)
        return home
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as lock:  # built in place, once: paths inside it stay true
        fcntl.flock(lock, fcntl.LOCK_EX)
        home = folder / "home"
        if not (folder / ".complete").exists():
            shutil.rmtree(home, ignore_errors=True)
            build(home)
            (folder / ".complete").touch()
    return home
