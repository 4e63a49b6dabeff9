"""A warm runner (backends/local/warm.py) forks job runners that behave as plain ones, and never serves
stale code.

Each test gets its own warm runner: a variable only this test sets makes the environment, and so the
fingerprint, its own. What must hold: a forked job scores every batch (over workers too) and writes
_SUCCESS; it leads its own process group, so cancel stops it as before and the warm runner stays; a
submit that finds no warm runner starts its job the plain way and one for the next jobs; a warm runner
whose fingerprint no longer matches the disk is not asked and exits; a forked runner whose server is gone,
or whose job names another process, leaves the job alone; an idle warm runner exits.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from snowbatch.backends.local import warm
from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.processes import job_env, pid_alive, proc_stat
from snowbatch.core.names import Identifier, ObjectName
from tests.integration.test_job_support import (
    SLEEPY,
    eventually,
    group_members,
    job_files,
    job_id,
    job_spec,
    output_dir,
    wait_rows_done,
    wait_terminal,
)

pytestmark = pytest.mark.skipif(not warm.enabled({}), reason="the warm runner is Linux-only")


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every warm runner this test starts (directly or through a submit), ended by pid at teardown; the
    environment made this test's own, so no other test's or person's warm runner is asked."""
    monkeypatch.setenv("SNOWBATCH_TEST_WARM_RUNNER", uuid.uuid4().hex)
    monkeypatch.delenv(warm.SWITCH, raising=False)
    procs: list[subprocess.Popen[bytes]] = []
    real = warm.spawn

    def recorded(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        procs.append(real(*args, **kwargs))
        return procs[-1]

    monkeypatch.setattr(warm, "spawn", recorded)
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()


def _listening(key: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(warm._address(key))
        except OSError:
            return False
    return True


def start_warm_runner(spawned: list[subprocess.Popen[bytes]], idle: float = warm.IDLE_SECONDS) -> int:
    """A warm runner for what a submit from this process would use, once it accepts jobs: its pid."""
    for _ in range(5):  # it exits at once when a source changed meanwhile (someone editing the tree)
        key = warm.fingerprint(job_env())
        proc = warm.spawn(key, job_env(), os.getcwd(), idle)
        up = functools.partial(lambda k, p: _listening(k) or p.poll() is not None, key, proc)
        eventually(up, bool, timeout=120)
        if proc.poll() is None:
            break
    assert proc.poll() is None, "the warm runner exited instead of listening"
    spawned.clear()  # the caller's own: a submit that spawns another is what tests look for
    spawned.append(proc)
    return proc.pid


def parent_of(pid: int) -> int:
    stat = proc_stat(pid)
    assert stat is not None, f"process {pid} is gone"
    return int(stat[1])


def assert_forked_by(server: int, pid: int) -> None:
    """The job's runner is the warm runner's child — unless the code on disk changed since it started
    (someone editing this tree), when a submit rightly does not ask it."""
    if not _listening(warm.fingerprint(job_env())):
        pytest.skip("a source file changed during the test: the warm runner was rightly not asked")
    assert parent_of(pid) == server


def test_a_job_forked_by_the_warm_runner_scores_every_batch_over_workers_and_writes_success(
    home: Path, tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    server = start_warm_runner(spawned)
    backend = LocalBackend(home)
    hold = tmp_path / "go"
    job = backend.submit_job(job_spec(base="warm/", n=10, batch_rows=2, workers=2, hold=hold))
    state = job_files(home, job).read_state()
    pid = int(state["pid"])
    assert_forked_by(server, pid)  # forked, not a new interpreter
    assert int(state["pgid"]) == pid and proc_stat(pid)[3] == str(pid)  # type: ignore[index]  (own session)
    assert len(spawned) == 1  # the submit found it: it started no other
    hold.touch()
    done = wait_terminal(backend, job)
    assert done.status == "DONE", done
    assert done.progress is not None and done.progress.rows_done == 10
    out = output_dir(backend, done)
    assert (out / "_SUCCESS").exists() and len(list(out.glob("data_*.parquet"))) == 5
    log = job_files(home, job).log_file.read_text()
    assert "over 2 worker(s)" in log and "job done: 10 rows" in log and "scoring a batch" in log


def test_a_forked_job_is_its_own_process_group_so_cancel_stops_it_and_the_warm_runner_stays(
    home: Path, tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    server = start_warm_runner(spawned)
    backend = LocalBackend(home)
    job = backend.submit_job(
        job_spec(base="warm-cancel/", n=8, batch_rows=2, hold=tmp_path / "never", hold_from=2)
    )
    wait_rows_done(backend, job, at_least=2)  # the first batch is in place, the second waits forever
    pgid = int(job_files(home, job).read_state()["pgid"])
    assert_forked_by(server, pgid)
    cancelled = backend.cancel_job(job_id(job))
    assert cancelled.status == "CANCELLED", cancelled
    assert group_members(pgid) == []
    assert not (output_dir(backend, cancelled) / "_SUCCESS").exists()
    assert pid_alive(server)  # a job's cancel never reaches the warm runner
    again = backend.submit_job(job_spec(base="warm-after/", n=2))
    assert_forked_by(server, int(job_files(home, again).read_state()["pid"]))
    assert wait_terminal(backend, again).status == "DONE"


def test_without_a_warm_runner_jobs_start_as_plain_processes_and_the_second_starts_one_for_the_next(
    home: Path, tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    backend = LocalBackend(home)
    hold = tmp_path / "go"  # the jobs wait for it, so their processes are there to be looked at
    first = backend.submit_job(job_spec(base="cold/", n=2, hold=hold))
    assert spawned == []  # a one-off (a test's, a CLI call's environment) leaves no process behind
    second = backend.submit_job(job_spec(base="cold-again/", n=2, hold=hold))
    assert len(spawned) == 1  # used again within the idle time: worth one
    for job in (first, second):
        assert parent_of(int(job_files(home, job).read_state()["pid"])) == os.getpid()  # plain starts
    hold.touch()
    for job in (first, second):
        assert wait_terminal(backend, job).status == "DONE"
    eventually(lambda: _listening(warm.fingerprint(job_env())), bool, timeout=120)
    third = backend.submit_job(job_spec(base="warm-next/", n=2))
    assert_forked_by(spawned[0].pid, int(job_files(home, third).read_state()["pid"]))
    assert wait_terminal(backend, third).status == "DONE"


def test_a_working_directory_holding_a_module_the_warm_runner_imported_gets_a_plain_start(
    home: Path, tmp_path: Path, spawned: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_warm_runner(spawned)
    (tmp_path / "pandas.py").write_text("")  # `python -m` there would import this pandas, not the real one
    monkeypatch.chdir(tmp_path)
    backend = LocalBackend(home)
    job = backend.submit_job(job_spec(base="shadowed/", n=1))
    assert parent_of(int(job_files(home, job).read_state()["pid"])) == os.getpid() != server
    wait_terminal(backend, job)  # (it fails: that empty pandas is what a plain start imports there)


def test_with_the_switch_off_no_warm_runner_is_asked_or_started(
    home: Path, spawned: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_warm_runner(spawned)
    monkeypatch.setenv(warm.SWITCH, "0")  # not part of the fingerprint: the same warm runner is up
    backend = LocalBackend(home)
    job = backend.submit_job(job_spec(base="off/", n=1, hold=Path("/nonexistent/never")))
    assert parent_of(int(job_files(home, job).read_state()["pid"])) == os.getpid() != server
    assert len(spawned) == 1
    backend.cancel_job(job_id(job))


def test_a_stale_warm_runner_is_not_used_and_exits(
    home: Path, tmp_path: Path, spawned: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    packages = tmp_path / "site"
    packages.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(packages))  # a folder of packages this test can change
    old = start_warm_runner(spawned)
    (packages / "upgraded.py").write_text("")  # as an install or upgrade changes site-packages
    backend = LocalBackend(home)
    job = backend.submit_job(job_spec(base="stale/", n=2))
    assert parent_of(int(job_files(home, job).read_state()["pid"])) == os.getpid() != old
    assert len(spawned) == 1  # and, the account's first miss for the new fingerprint, started none
    assert wait_terminal(backend, job).status == "DONE"
    eventually(lambda: spawned[0].poll() is not None, bool, timeout=warm.CHECK_SECONDS + 30)


def test_a_stale_warm_runner_asked_anyway_answers_stale_and_exits(
    tmp_path: Path, spawned: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    packages = tmp_path / "site"
    packages.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(packages))
    start_warm_runner(spawned)
    key = warm.fingerprint(job_env())
    (packages / "upgraded.py").write_text("")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:  # a submit that raced the change
        sock.settimeout(10)
        sock.connect(warm._address(key))
        warm._send(sock, {"key": key, "job_dir": str(tmp_path / "j"), "log": str(tmp_path / "l"), "args": []})
        assert warm._receive(sock) == {"error": "stale"}
    assert spawned[0].wait(timeout=30) == 0
    assert not (tmp_path / "j").exists()


def test_a_forked_runner_whose_server_is_gone_or_whose_job_names_another_process_leaves_it_alone(
    home: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    start_warm_runner(spawned)
    backend = LocalBackend(home)
    model = str(backend.registry.version_path(ObjectName.parse(SLEEPY), Identifier("V1")))
    orphan = home / "jobs" / "ORPHANED"
    orphan.mkdir(parents=True)
    # its server is "pid 1 started at another time": gone, before any job record
    gone = warm.start(orphan, orphan / "log.txt", [model, "1", "0"], job_env())
    taken = home / "jobs" / "TAKEN"
    taken.mkdir()
    (taken / "state.json").write_text(json.dumps({"status": "PENDING", "pid": 1}))
    (taken / "job.json").write_text(json.dumps({"job_id": "ML.PUBLIC.TAKEN"}))
    me = [model, str(os.getpid()), warm_start_stamp()]
    other = warm.start(taken, taken / "log.txt", me, job_env())
    assert gone and other
    eventually(lambda: not pid_alive(gone) and not pid_alive(other), bool, timeout=60)
    assert sorted(p.name for p in orphan.iterdir()) == ["log.txt"]  # no state written
    assert json.loads((taken / "state.json").read_text()) == {"status": "PENDING", "pid": 1}


def warm_start_stamp() -> str:
    stat = proc_stat(os.getpid())
    assert stat is not None
    return stat[19]


def test_an_idle_warm_runner_exits(spawned: list[subprocess.Popen[bytes]]) -> None:
    start_warm_runner(spawned, idle=1.0)
    assert spawned[0].wait(timeout=30) == 0
