"""Mutation testing of the safety-critical code: `python -m tests.mutation` (docs/testing.md).

Each mutant (tests/mutation/operators.py) of each target module (tests/mutation/targets.py) is written
into a private copy of the repository, and the target's tests run against it there (`pytest -x`, with
PYTHONPATH on the copy, so job runner processes load the mutant too). A mutant is killed when a test
fails (or the run times out), survived when every test passes. The working tree is never touched.

    python -m tests.mutation                      # every target, 2 workers, without listed equivalents
    python -m tests.mutation --module names --list   # the mutants of matching modules, not run
    python -m tests.mutation --module gate --match L245   # only mutants whose key contains L245
    python -m tests.mutation --all                # also the mutants listed as equivalent
    python -m tests.mutation --plant server/snowbatch/core/names.py 'old text' 'new text' \\
        tests/unit/test_names.py                  # one hand-planted bug, the given tests

Not collected by pytest (no test_ file) and run by no test: it takes minutes of both cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from queue import Empty, Queue
from typing import TypeVar

from tests.mutation.equivalent import EQUIVALENT
from tests.mutation.operators import Mutant, mutants_of
from tests.mutation.report import Outcome, report
from tests.mutation.targets import TARGETS, Target

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".cache", ".hypothesis", ".mypy_cache", ".ruff_cache", ".pytest_cache", "mutants"
)
FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)


class Copy:
    """A private copy of the repository that one worker mutates and runs pytest in."""

    def __init__(self, workdir: Path, index: int, prebuilt: Path) -> None:
        self.root = workdir / f"copy{index}"
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(ROOT, self.root, ignore=IGNORED, symlinks=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
        self.env.update(
            PYTHONPATH=str(self.root / "server"),
            PYTHONDONTWRITEBYTECODE="1",  # a mutant's bytecode must never be cached for the next one
            SNOWBATCH_TEST_PREBUILT=str(prebuilt),
            # every mutant is other code: a warm runner (backends/local/warm.py) would be refused as stale
            # and started again for each, so jobs start as plain processes here
            SNOWBATCH_WARM_RUNNER="0",
        )
        self.server: subprocess.Popen[str] | None = None

    def start(self, tests: list[str], modules: list[str]) -> None:
        """The fork server (tests/mutation/forkserver.py), with every test file collected once."""
        env = {**self.env, "SNOWBATCH_MUTATION_MODULES": ",".join(modules)}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.mutation.forkserver", *tests],
            cwd=self.root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.server.stdout is not None
        ready = self.server.stdout.readline()
        if not ready.startswith('{"ready"'):
            sys.exit(f"the fork server in {self.root} did not start: {ready!r}")

    def ask(self, request: dict[str, object]) -> dict[str, object]:
        assert self.server is not None and self.server.stdin and self.server.stdout
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        line = self.server.stdout.readline()
        if not line:
            sys.exit(f"the fork server in {self.root} died")
        return dict(json.loads(line))

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(30)

    def pytest(self, tests: tuple[str, ...], timeout: float) -> tuple[str, float, str]:
        """In a fresh interpreter: (passed | failed | timeout | error, seconds, output)."""
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", *tests]
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return "timeout", time.monotonic() - start, out
        seconds = time.monotonic() - start
        status = {0: "passed", 1: "failed"}.get(proc.returncode, "error")
        return status, seconds, out

    def run_fresh(self, mutant: Mutant, tests: tuple[str, ...], timeout: float) -> tuple[str, float, str]:
        path = self.root / mutant.path
        original = path.read_bytes()
        stat = path.stat()
        try:
            path.write_bytes(mutant.apply(original))
            return self.pytest(tests, timeout)
        finally:
            path.write_bytes(original)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the cached bytecode is valid again

    def run_mutant(self, mutant: Mutant, tests: tuple[str, ...], timeout: float) -> Outcome:
        status, seconds, out = "unpatched", 0.0, ""
        if self.server is not None:
            source = mutant.apply((self.root / mutant.path).read_bytes()).decode()
            answer = self.ask(
                {
                    "path": mutant.path,
                    "function": mutant.function,
                    "source": source,
                    "tests": list(tests),
                    "timeout": timeout,
                }
            )
            status, seconds, out = str(answer["status"]), float(answer["seconds"]), str(answer["output"])  # type: ignore[arg-type]
        if status == "unpatched":  # not inside a function: only a fresh interpreter runs it
            status, seconds, out = self.run_fresh(mutant, tests, timeout)
        verdict = {"passed": "survived", "failed": "killed"}.get(status, status)
        found = FAILED.search(out)
        return Outcome(
            mutant.key,
            mutant.name,
            mutant.path,
            mutant.function,
            mutant.kind,
            mutant.description,
            verdict,
            round(seconds, 1),
            found.group(1) if found else "",
        )


def select(args: argparse.Namespace) -> list[Target]:
    chosen = list(TARGETS)
    if args.module:
        chosen = [t for t in chosen if any(m in t.module for m in args.module)]
    return chosen


def generate(targets: list[Target], match: str | None) -> list[tuple[Target, Mutant]]:
    out = []
    for t in targets:
        functions = set(t.functions) if t.functions is not None else None
        for m in mutants_of(t.module, (ROOT / t.module).read_bytes(), functions):
            if match is None or match in m.key:
                out.append((t, m))
    return out


def stale_equivalents(targets: list[Target], jobs: list[tuple[Target, Mutant]]) -> list[str]:
    """Listed equivalents of these modules that match no mutant any more (the code changed: read again)."""
    names = {m.name for _, m in jobs}
    prefixes = tuple(t.module.removeprefix("server/snowbatch/") + ":" for t in targets)
    return sorted(n for n in EQUIVALENT if n.startswith(prefixes) and n not in names)


def on_copies(copies: list[Copy], items: list[T], handle: Callable[[Copy, T], None]) -> None:
    """Hand the items out to the copies (one thread each, the next item to whichever is free) until none
    is left."""
    queue: Queue[T] = Queue()
    for item in items:
        queue.put(item)

    def worker(copy: Copy) -> None:
        while True:
            try:
                item = queue.get_nowait()
            except Empty:
                return
            handle(copy, item)

    threads = [threading.Thread(target=worker, args=(c,)) for c in copies]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def work(copies: list[Copy], jobs: list[tuple[Target, Mutant]], timeouts: dict[str, float]) -> list[Outcome]:
    results: list[Outcome | None] = [None] * len(jobs)
    lock = threading.Lock()
    done = Counter[str]()

    def run(copy: Copy, job: tuple[int, tuple[Target, Mutant]]) -> None:
        i, (t, m) = job
        outcome = copy.run_mutant(m, t.tests, timeouts[t.module])
        results[i] = outcome
        with lock:
            done[outcome.status] += 1
            n = sum(done.values())
            mark = "" if outcome.status in ("killed",) else f"  <-- {outcome.status.upper()}"
            print(f"[{n}/{len(jobs)}] {outcome.seconds:5.1f}s {m.path} {m.description}{mark}", flush=True)

    on_copies(copies, list(enumerate(jobs)), run)
    return [r for r in results if r is not None]


def baseline(copies: list[Copy], targets: list[Target], fork: bool) -> dict[str, float]:
    """Every target's tests pass unmutated (else the run stops); their time sets each timeout.

    Each distinct set of test files runs once (several targets share one), spread over the copies.
    """
    tests = list(dict.fromkeys(t for target in targets for t in target.tests))
    modules = list(dict.fromkeys(t.module for t in targets))
    print("baseline: the unmutated tests of each target (this also builds the shared test accounts)")
    if fork:
        for copy in copies:
            copy.start(tests, modules)
    module_of = {t.tests: t.module for t in reversed(targets)}  # a module the fork server can read back
    seconds: dict[tuple[str, ...], float] = {}
    failures: list[str] = []

    def run(copy: Copy, files: tuple[str, ...]) -> None:
        if fork:
            request = {"path": module_of[files], "source": None, "tests": list(files), "timeout": 900}
            answer = copy.ask(request)
            status, took, out = str(answer["status"]), float(answer["seconds"]), str(answer["output"])  # type: ignore[arg-type]
        else:
            status, took, out = copy.pytest(files, timeout=900)
        print(f"  {status:7} {took:5.1f}s {' '.join(Path(f).name for f in files)}", flush=True)
        seconds[files] = took
        if status != "passed":
            failures.append(f"{' '.join(files)} fail unmutated:\n{out[-4000:]}")

    on_copies(copies, list(module_of), run)
    if failures:
        sys.exit("\n".join(failures))
    return {t.module: max(30.0, 3 * seconds[t.tests] + 20) for t in targets}


def plant(args: argparse.Namespace, workdir: Path) -> None:
    path, old, new = args.plant
    copy = Copy(workdir, 0, workdir / "prebuilt")
    source = (ROOT / path).read_bytes()
    if source.count(old.encode()) != 1:
        sys.exit(f"{old!r} must occur exactly once in {path} (found {source.count(old.encode())})")
    mutant = Mutant(path, "?", 0, source.index(old.encode()), source.index(old.encode()) + len(old.encode()),
                    new, "planted", f"{old!r} -> {new!r}")  # fmt: skip
    outcome = copy.run_mutant(mutant, tuple(args.tests), timeout=args.timeout)
    print(f"{outcome.status.upper()}: {mutant.description} in {path} ({outcome.seconds}s) {outcome.by}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n")[0])
    parser.add_argument("--module", action="append", help="only targets whose path contains this")
    parser.add_argument("--match", help="only mutants whose key contains this")
    parser.add_argument("--rerun", type=Path, help="only the mutants that survived in this --json file")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--jobs", type=int, default=2, help="copies run at once (default 2)")
    parser.add_argument("--all", action="store_true", help="also the mutants listed as equivalent")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/snowbatch-mutation"))
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--no-fork", action="store_true", help="a fresh interpreter per mutant (slower)")
    parser.add_argument("--plant", nargs=3, metavar=("FILE", "OLD", "NEW"), help="one hand-planted bug")
    parser.add_argument("--timeout", type=float, default=300.0, help="--plant: seconds before giving up")
    parser.add_argument("tests", nargs="*", help="--plant: the tests to run")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.plant:
        plant(args, args.workdir)
        return
    targets = select(args)
    jobs = generate(targets, args.match)
    stale = [] if args.match else stale_equivalents(targets, jobs)
    skipped = Counter[str]()
    if not args.all:
        skipped.update(m.path for _, m in jobs if m.name in EQUIVALENT)
        jobs = [(t, m) for t, m in jobs if m.name not in EQUIVALENT]
    if args.rerun:
        skipped.clear()
        survived = {o["key"] for o in json.loads(args.rerun.read_text()) if o["status"] == "survived"}
        jobs = [(t, m) for t, m in jobs if m.key in survived]
    if args.list:
        for _, m in jobs:
            print(f"{m.path} {m.function}: {m.description} [{m.kind}]")
        print(Counter(t.module for t, _ in jobs))
        return
    started = time.monotonic()
    copies = [Copy(args.workdir, i, args.workdir / "prebuilt") for i in range(max(1, args.jobs))]
    timeouts = baseline(copies, [t for t in targets if any(t is j for j, _ in jobs)], not args.no_fork)
    try:
        outcomes = work(copies, jobs, timeouts)
    finally:
        for copy in copies:
            copy.stop()
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    print(report(outcomes, skipped, stale, time.monotonic() - started))


if __name__ == "__main__":
    main()
