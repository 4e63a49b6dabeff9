"""A warm runner: a fork server that has already imported what a job's runner needs and forks one runner
process per submitted job.

A cold runner spends about 1.5 s importing pyarrow, pandas, scikit-learn and snowflake-ml's packager before
it can load a model — most of a small job's time (docs/benchmarks.md, peer). The first submit that finds
no warm runner starts its job the plain way; the second such submit in an account within IDLE_SECONDS
also starts one (`python -m snowbatch.backends.local.warm KEY`) for the jobs after it, so a one-off
environment (a test's, a CLI call's) never leaves a resident process behind. A job forked from it is the
same job: its own session and process group (cancel signals it as before), the job's log as stdout and
stderr, the runner's own code from `runner.main`.

It never serves code or an environment other than the one a plain start would get:
- its address is a fingerprint of what a plain start depends on (user, interpreter, environment, the
  snowbatch sources, the installed packages), computed from disk at every submit, so
  after an upgrade or an edit a submit asks another address and starts another warm runner;
- it recomputes that fingerprint, and stats every file it imported, before each fork and every few
  seconds; when either changed it answers `stale` (the submit starts the job the plain way) and exits;
- the job runs in the submitter's working directory, first on its path as for `python -m`; a directory
  holding a module of the name of one it imported (which a plain start would import instead) is refused.
It exits after IDLE_SECONDS without a request. It is one per user and fingerprint, not per account: a job
takes everything account-specific from its job.json, and one resident process (~300 MiB, shared
copy-on-write with its jobs) serves every account of the user. Both ends check that the other runs as the
same user (SO_PEERCRED) before anything is sent. Linux only; SNOWBATCH_WARM_RUNNER=0 turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

SWITCH = "SNOWBATCH_WARM_RUNNER"  # "0": every job starts as a plain process
IDLE_SECONDS = 600.0
CHECK_SECONDS = 5.0  # how often an idle warm runner looks for changed code on disk
REPLY_SECONDS = 3.0  # a submit waits this long for a forked runner's pid, then starts its own
_PROTOCOL = "1"  # part of the fingerprint: a changed request format is another address


def enabled(env: dict[str, str]) -> bool:
    return sys.platform == "linux" and hasattr(os, "fork") and env.get(SWITCH, "1") != "0"


def fingerprint(env: dict[str, str]) -> str:
    """What a plain runner started with `env` would import, as a digest of its stamps.

    Stat, not read: a changed file changes its mtime or size. The site-packages folders are listed one
    level deep (an upgrade renames a package's dist-info folder; a reinstall recreates it); snowbatch's own
    sources, which change while someone works on them, each file.
    """
    import site

    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        digest.update(repr(parts).encode())

    exe = Path(sys.executable)
    add(_PROTOCOL, os.getuid(), str(exe), str(exe.resolve()), _stamp(exe.resolve()), sys.version)
    add(sorted((k, v) for k, v in env.items() if k != SWITCH))
    package = Path(__file__).resolve().parents[2]
    add(sorted((str(p.relative_to(package)), _stamp(p)) for p in package.rglob("*.py")))
    folders = [*site.getsitepackages(), *env.get("PYTHONPATH", "").split(os.pathsep)]
    for folder in dict.fromkeys(f for f in folders if f):
        try:
            entries = [e for e in os.scandir(folder) if e.name != "__pycache__"]  # written by imports
            add(folder, sorted((e.name, e.stat().st_mtime_ns) for e in entries))
        except OSError:
            add(folder, None)
    return digest.hexdigest()[:40]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _address(key: str) -> str:
    """A Linux abstract socket: no file to leave behind, no path-length limit. Anyone may bind a name, so
    the peer's uid is checked on both ends."""
    return f"\0snowbatch-warm-{key}"


def _peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _receive(sock: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the other end closed the connection")
        data += chunk
    message = json.loads(data)
    if not isinstance(message, dict):
        raise ValueError("not a message")
    return message


# --- the submitting side ------------------------------------------------------------------------------
def start(job_dir: Path, log_file: Path, args: list[str], env: dict[str, str]) -> int | None:
    """Have the warm runner for `env` fork a runner for the job: its pid, or None when there is no warm
    runner for this code (one is then started for the next jobs) or it did not answer in time. On None
    the caller starts the runner the plain way."""
    if not enabled(env):
        return None
    cwd = os.getcwd()
    key = fingerprint(env)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(REPLY_SECONDS)
        try:
            sock.connect(_address(key))
        except OSError:  # none yet, or one still importing (it listens only once it is warm)
            if _missed_before(job_dir, key):
                spawn(key, env, cwd)
            return None
        try:
            if _peer_uid(sock) != os.getuid():
                return None
            _send(sock, {"key": key, "job_dir": str(job_dir), "log": str(log_file), "args": args, "cwd": cwd})
            reply = _receive(sock)
        except (OSError, ValueError):
            return None
    pid = reply.get("pid")
    return pid if isinstance(pid, int) and pid > 0 else None


def _missed_before(job_dir: Path, key: str) -> bool:
    """Whether a submit in this account already found no warm runner for `key` within IDLE_SECONDS
    (a marker in the account's locks/ folder, beside jobs/); records this miss."""
    marker = job_dir.parent.parent / "locks" / f"warm-{key}"
    if job_dir.parent.name != "jobs" or not marker.parent.is_dir():
        return False
    try:
        seen = time.time() - marker.stat().st_mtime < IDLE_SECONDS
    except OSError:
        seen = False
    with suppress(OSError):
        marker.touch()
    return seen


def spawn(
    key: str, env: dict[str, str], cwd: str, idle_seconds: float = IDLE_SECONDS
) -> subprocess.Popen[bytes]:
    """Start a warm runner for `key` in the background; it exits at once if another one holds the key."""
    proc = subprocess.Popen(
        [sys.executable, "-m", __name__, key, str(idle_seconds)],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    # Reap it when it ends, so an exited warm runner never lingers as a zombie of the server.
    threading.Thread(target=proc.wait, daemon=True, name=f"reap-warm-{proc.pid}").start()
    return proc


# --- the warm runner ----------------------------------------------------------------------------------
def _preload() -> None:
    """Everything a runner imports before its first batch, with the garbage collector off meanwhile and
    the result frozen: as the runner's own load does (runner._preload), so forked jobs share these pages
    instead of copying them when a collection touches them."""
    import gc

    gc.disable()
    try:
        import pandas  # noqa: F401
        import pyarrow.parquet  # noqa: F401
        import threadpoolctl  # noqa: F401

        import snowbatch.backends.local.runner  # noqa: F401
        from snowbatch.backends.local.packaged import prepare_loader
        from snowbatch.backends.local.processes import pid_alive  # noqa: F401  (the runner's wait)

        prepare_loader()
        with suppress(ImportError):  # most local models' framework; a job imports any other itself
            import sklearn.base  # noqa: F401
    finally:
        gc.freeze()
        gc.enable()


def _imported_files() -> list[Path]:
    return sorted(
        {Path(f) for m in list(sys.modules.values()) if isinstance(f := getattr(m, "__file__", None), str)}
    )


def _stamps(files: list[Path]) -> list[tuple[int, int] | None]:
    return [_stamp(f) for f in files]


class _Server:
    def __init__(self, key: str, idle_seconds: float) -> None:
        self.key, self.idle_seconds = key, idle_seconds
        self.env, self.cwd = dict(os.environ), os.getcwd()
        self.top_level: set[str] = set()  # the top-level names of what it imported
        self.files: list[Path] = []
        self.stamps: list[tuple[int, int] | None] = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    def stale(self) -> bool:
        return fingerprint(self.env) != self.key or _stamps(self.files) != self.stamps

    def shadowed(self, cwd: str) -> bool:
        """Whether `cwd`, first on a plain runner's path, holds a module or package named as one this
        warm runner imported from elsewhere: a plain start would import that one instead."""
        return any(
            os.path.exists(os.path.join(cwd, name)) or os.path.exists(os.path.join(cwd, f"{name}.py"))
            for name in self.top_level
        )

    def run(self) -> int:
        import select

        if fingerprint(self.env) != self.key:
            return 0  # started for other code than is on disk now
        try:
            self.listener.bind(_address(self.key))
        except OSError:
            return 0  # another warm runner holds this key
        if sys.path and sys.path[0] == self.cwd:  # `python -m` put its start directory first; a job
            del sys.path[0]  # gets its own submitter's instead, so nothing is imported from this one
        _preload()
        self.files = _imported_files()
        self.stamps = _stamps(self.files)
        self.top_level = {m.split(".")[0] for m in sys.modules if not m.startswith("_")}
        if self.stale():
            return 0  # the code changed while it was being imported
        self.listener.listen(16)
        last = checked = time.monotonic()
        while True:
            ready, _, _ = select.select([self.listener], [], [], 1.0)
            _reap()
            now = time.monotonic()
            if ready:
                conn, _ = self.listener.accept()
                last = now
                with conn:
                    if not self.answer(conn):
                        return 0
            elif now - last > self.idle_seconds:
                return 0
            elif now - checked > CHECK_SECONDS:
                checked = now
                if self.stale():
                    return 0

    def answer(self, conn: socket.socket) -> bool:
        """Serve one request; False when this warm runner is stale and must exit."""
        conn.settimeout(REPLY_SECONDS)
        try:
            if _peer_uid(conn) != os.getuid():
                return True
            request = _receive(conn)
            if request.get("key") != self.key or self.stale():
                _send(conn, {"error": "stale"})
                return False
            if self.shadowed(str(request["cwd"])):
                _send(conn, {"error": "the working directory holds a module of the same name"})
                return True
            pid = self.fork_job(request, conn)
            _send(conn, {"pid": pid} if pid else {"error": "the job's process did not start"})
        except (OSError, ValueError, KeyError, TypeError):
            pass  # the submit gave up or sent nonsense: it starts its runner the plain way
        return True

    def fork_job(self, request: dict[str, Any], conn: socket.socket) -> int | None:
        """Fork the job's runner; its pid once it leads its own session (so a cancel that comes right
        after the answer reaches its group), or None."""
        if threading.active_count() != 1:  # never fork with a thread of ours running: it would not exist
            return None  # in the child, and any lock it held would stay held there
        log_fd = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        job_dir, cwd = str(request["job_dir"]), str(request["cwd"])
        args = [str(a) for a in request["args"]]
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the job's runner: never returns
            try:
                os.close(read_end)
                self.listener.close()
                conn.close()
                os.setsid()
                for fd in (1, 2):
                    os.dup2(log_fd, fd)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.close(devnull)
                os.write(write_end, b"1")
                os.close(write_end)
                _run_job(job_dir, args, cwd)
            finally:
                os._exit(70)
        os.close(write_end)
        os.close(log_fd)
        try:
            started = os.read(read_end, 1) == b"1"
        finally:
            os.close(read_end)
        return pid if started else None


def _run_job(job_dir: str, args: list[str], cwd: str) -> None:
    """In the forked child: what `python -m snowbatch.backends.local.runner job_dir *args` run in `cwd`
    would do."""
    import importlib
    import logging
    import signal

    os.chdir(cwd)
    sys.path.insert(0, cwd)
    importlib.invalidate_caches()  # directory listings cached before the fork may be out of date

    from snowbatch.backends.local import runner

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the runner installs its own before anything else
    signal.signal(signal.SIGINT, signal.default_int_handler)
    root = logging.getLogger()
    for handler in root.handlers[:]:  # logging.basicConfig in the runner then writes to the job's log
        root.removeHandler(handler)
    if "numpy" in sys.modules:  # a fresh process seeds numpy's global generator from the OS; so does a job
        sys.modules["numpy"].random.seed()
    sys.argv = [runner.__file__, job_dir, *args]
    runner.main()


def _reap() -> None:
    """Collect the jobs that ended, so none lingers as a zombie (a zombie counts as ended everywhere)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    key = sys.argv[1]
    idle = float(sys.argv[2]) if len(sys.argv) > 2 else IDLE_SECONDS
    os._exit(_Server(key, idle).run())


if __name__ == "__main__":
    main()
