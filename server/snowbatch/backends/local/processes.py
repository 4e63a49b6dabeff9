"""The processes behind local jobs: started detached in their own session (so they outlive the server
and cancel can end the whole group), and recognised again after a restart by pid, start time and boot.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from snowbatch.backends.local.jobstate import JobFiles


def pid_alive(pid: int, started: str | None = None) -> bool:
    """Whether `pid` is a live process — and the same one, when its start time was recorded.

    A finished child that nobody reaped yet is a zombie: not alive. After a reboot or a long time the
    pid may belong to another process; the recorded start time tells them apart (Linux; elsewhere the
    pid alone is trusted).
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = proc_stat(pid)
    if stat is None:
        return True
    if stat[0] == "Z":
        return False
    return started is None or stat[19] == started


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None off Linux."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def job_env() -> dict[str, str]:
    """The environment a job's process gets: the server's, with this snowbatch first on the path."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[3])  # so the process imports this same snowbatch
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def start_detached(files: JobFiles, module: str, *args: str) -> None:
    """Start `python -m <module> <job dir> [args]` in its own session, logging to the job's log, and record
    the facts that later tell this process apart from any other (pid, group, start stamp, boot).

    A job runner started early (with the model's path and this server's pid) is forked by a warm runner
    when one serves this code (backends/local/warm.py), told this server's start stamp since it is not its
    parent; otherwise, or when that fails in any way, it starts as a new interpreter."""
    env = job_env()
    pid = None
    if module == RUNNER and len(args) == 2 and (start := process_start_time(os.getpid())):
        from snowbatch.backends.local import warm

        pid = warm.start(files.dir, files.log_file, [*args, start], env)
    if pid is None:
        with files.log_file.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", module, str(files.dir), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        pid = proc.pid
        # Reap the child when it ends so it never lingers as a zombie that looks alive.
        threading.Thread(target=proc.wait, daemon=True, name=f"reap-{proc.pid}").start()
    files.update_state(pid=pid, pgid=pid, pid_start=process_start_time(pid), boot_id=boot_id())


RUNNER = "snowbatch.backends.local.runner"  # the batch job's runner, which a warm runner can fork


def process_start_time(pid: int) -> str | None:
    """An opaque start stamp of a live process (clock ticks since boot, Linux), to detect pid reuse."""
    stat = proc_stat(pid)
    return stat[19] if stat and len(stat) > 19 else None


def boot_id() -> str | None:
    """This boot of the machine (Linux), so process facts from an earlier boot are never acted on."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process remains in the process group `pgid`."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        stat = proc_stat(int(entry.name))
        if stat and len(stat) > 2 and stat[2] == str(pgid) and stat[0] != "Z":
            return True
    return False


def stop_group(pgid: int, *, grace_seconds: float) -> None:
    """SIGTERM the whole group, then SIGKILL whatever is left after the grace period; returns once no
    process of the group remains (or a last short wait ran out)."""
    signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if group_alive(pgid):
        signal_group(pgid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)


def leftovers_are_ours(state: dict[str, Any], pid: int) -> bool:
    """Whether processes still in a dead runner's group can only be that job's workers: same boot,
    and the runner's pid is free (while any process is in a group, its id is never given to a new
    process, so the group cannot be someone else's)."""
    if state.get("boot_id") is None or state.get("boot_id") != boot_id():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    stat = proc_stat(pid)  # an unreaped zombie has ended too
    return stat is not None and stat[0] == "Z"


def signal_group(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
