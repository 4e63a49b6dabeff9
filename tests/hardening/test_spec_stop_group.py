"""The means by which a local job stops: `stop_group` SIGTERMs a process group, SIGKILLs whatever is left
after the grace period, and returns only when no process of the group is left.

Real groups (a leader and two children, one of which may ignore SIGTERM) show the grace period kept and
not outlasted; a group that takes half a second to die after SIGKILL (real ones die too fast to see it)
shows the wait after the kill. The jobs that use it: tests/hardening/test_spec_job_stop.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.integration.test_job_support import eventually, group_members, kill_leftovers

from snowbatch.backends.local import processes
from snowbatch.backends.local.processes import stop_group

STUBBORN = """
import pathlib, signal, subprocess, sys, time
role, code, ready = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
if role == "leader":
    for child in ("child", "stubborn"):
        subprocess.Popen([sys.executable, "-c", code, child, code, str(ready)])
if role == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
(ready / role).touch()
time.sleep(120)
"""


def stubborn_group(ready: Path, *, ignore_term: bool) -> int:
    """A leader and two children in a new process group; one child ignores SIGTERM if asked to."""
    code = STUBBORN if ignore_term else STUBBORN.replace("signal.SIG_IGN", "signal.SIG_DFL")
    ready.mkdir()
    leader = subprocess.Popen(
        [sys.executable, "-c", code, "leader", code, str(ready)], start_new_session=True
    )
    eventually(lambda: len(list(ready.iterdir())), lambda n: n == 3, timeout=10)
    return leader.pid


@pytest.mark.parametrize("ignore_term", [False, True])
def test_stop_group_returns_only_when_no_process_of_the_group_is_left(
    ignore_term: bool, tmp_path: Path
) -> None:
    pgid = stubborn_group(tmp_path / "ready", ignore_term=ignore_term)
    try:
        started = time.monotonic()
        stop_group(pgid, grace_seconds=2.0)
        took = time.monotonic() - started
        assert group_members(pgid) == []
        if ignore_term:
            assert 2.0 <= took < 6.0, "SIGKILL must follow the grace period, not precede or outlast it"
        else:
            assert took < 1.5, "a group that honours SIGTERM is not kept waiting for the grace period"
    finally:
        kill_leftovers(pgid)


class SlowToDie:
    """A group that ignores SIGTERM and is gone only `dies_after` seconds after SIGKILL (a process in
    uninterruptible I/O, or tearing down a large address space): real ones die too fast to see it."""

    def __init__(self, dies_after: float) -> None:
        self.dies_after, self.killed_at, self.signals = dies_after, 0.0, list[int]()

    def signal(self, pgid: int, sig: int) -> None:
        self.signals.append(sig)
        if sig == signal.SIGKILL and not self.killed_at:
            self.killed_at = time.monotonic()

    def alive(self, pgid: int) -> bool:
        return not self.killed_at or time.monotonic() < self.killed_at + self.dies_after


def test_stop_group_returns_only_once_a_killed_group_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    group = SlowToDie(dies_after=0.5)
    monkeypatch.setattr(processes, "signal_group", group.signal)
    monkeypatch.setattr(processes, "group_alive", group.alive)
    stop_group(4242, grace_seconds=0.2)
    assert group.signals == [signal.SIGTERM, signal.SIGKILL]
    assert not group.alive(4242)
