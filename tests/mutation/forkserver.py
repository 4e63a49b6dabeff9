"""One worker of the mutation run: imports everything once, then forks a pytest run per mutant.

Started by `python -m tests.mutation` as `python -m tests.mutation.forkserver <test files...>` inside a
private copy of the repository. It collects the given tests once (so the heavy imports — MCP, Snowpark,
snowflake-ml, pandas — and every test module are loaded), then answers one JSON request per line on
stdin: `{"path": <module file>, "source": <mutated text>, "tests": [...], "timeout": s}`.

For each request the mutated file is written into the copy (job runner processes started by the tests
import it from there) and a forked child swaps the mutated functions' code into the already imported
module — in place, so every reference any other module holds sees the mutant — and runs pytest on the
tests. The answer is one JSON line: `{"status": "passed|failed|timeout|error|unpatched", "seconds": …,
"output": …}`. `unpatched` means the mutant is not inside a function whose code can be swapped (a class
or module-level statement): the caller then runs it in a fresh interpreter instead.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import signal
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path.cwd()
MODULES = "SNOWBATCH_MUTATION_MODULES"  # the module files under test, comma-separated


def _functions(value: Any) -> list[types.FunctionType]:
    """The plain functions behind a module attribute (through wrappers, properties and classes)."""
    if isinstance(value, types.FunctionType):
        inner = getattr(value, "__wrapped__", None)
        return [value, *(_functions(inner) if inner is not None else [])]
    if isinstance(value, (staticmethod, classmethod)):
        return _functions(value.__func__)
    if isinstance(value, property):
        return [f for g in (value.fget, value.fset, value.fdel) if g is not None for f in _functions(g)]
    if isinstance(value, functools.partial):
        return _functions(value.func)
    wrapped = getattr(value, "__wrapped__", None)
    if wrapped is not None and not isinstance(value, type):
        return _functions(wrapped)
    return []


def _members(value: Any) -> dict[str, list[types.FunctionType]]:
    """qualname -> functions, for a module attribute and (for a class) everything defined in it."""
    out: dict[str, list[types.FunctionType]] = {}
    if isinstance(value, type):
        for attr in vars(value).values():
            for name, fns in _members(attr).items():
                out.setdefault(name, []).extend(fns)
        return out
    for fn in _functions(value):
        out.setdefault(fn.__qualname__, []).append(fn)
    return out


def swap_in(module: types.ModuleType, source: str, path: str, function: str) -> bool:
    """Give every function of `module` the code of its mutated twin; False if the mutant's own function
    (its qualified name's outermost function) could not be swapped."""
    fresh: dict[str, Any] = {"__name__": module.__name__, "__file__": module.__file__}
    fresh["__package__"] = module.__package__
    exec(compile(source, path, "exec"), fresh)
    old: dict[str, list[types.FunctionType]] = {}
    new: dict[str, list[types.FunctionType]] = {}
    for name, value in vars(module).items():
        if getattr(value, "__module__", module.__name__) == module.__name__:
            for qual, fns in _members(value).items():
                old.setdefault(qual, []).extend(fns)
            for qual, fns in _members(fresh.get(name)).items():
                new.setdefault(qual, []).extend(fns)
    swapped: set[str] = set()
    for qual, fns in old.items():
        twins = new.get(qual, [])
        for before, after in zip(fns, twins, strict=False):
            if before.__code__ == after.__code__ and before.__defaults__ == after.__defaults__:
                continue
            try:
                before.__code__ = after.__code__
            except ValueError:  # another number of closure cells
                return False
            before.__defaults__, before.__kwdefaults__ = after.__defaults__, after.__kwdefaults__
            swapped.add(qual)
    parts = function.split(".")
    return any(".".join(parts[:i]) in swapped for i in range(1, len(parts) + 1))


def module_name(path: str) -> str:
    return path.removeprefix("server/").removesuffix(".py").replace("/", ".")


def run_child(request: dict[str, Any], out_file: str) -> None:
    """In the forked child: swap the mutant in, run pytest, exit with its code (never returns)."""
    os.setpgid(0, 0)
    fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    code = 3
    try:
        import pytest

        if request.get("source") is not None:
            module = sys.modules.get(module_name(request["path"]))
            if module is not None and not swap_in(
                module, request["source"], str(ROOT / request["path"]), request["function"]
            ):
                os._exit(99)
        code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--no-header", *request["tests"]]))
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve_one(request: dict[str, Any]) -> dict[str, Any]:
    target = ROOT / request["path"]
    original = target.read_bytes()
    stat = target.stat()
    out_file = tempfile.mktemp(prefix="mutant-", suffix=".log")
    started = time.monotonic()
    try:
        if request.get("source") is not None:
            target.write_text(request["source"])
        pid = os.fork()
        if pid == 0:
            run_child(request, out_file)
        status = "timeout"
        deadline = started + float(request["timeout"])
        while time.monotonic() < deadline:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                exit_code = os.waitstatus_to_exitcode(code)
                status = {0: "passed", 1: "failed", 99: "unpatched"}.get(exit_code, "error")
                break
            time.sleep(0.02)
        else:
            with_pg = os.getpgid(pid) if _alive(pid) else None
            if with_pg is not None:
                os.killpg(with_pg, signal.SIGKILL)
            os.waitpid(pid, 0)
    finally:
        target.write_bytes(original)
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    output = Path(out_file).read_text(errors="replace") if os.path.exists(out_file) else ""
    Path(out_file).unlink(missing_ok=True)
    return {"status": status, "seconds": round(time.monotonic() - started, 2), "output": output[-6000:]}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main() -> None:
    import pytest

    protocol = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # collection's output is not the protocol
    pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[1:]])
    for path in os.environ.get(MODULES, "").split(","):  # even those collection did not import
        if path:
            importlib.import_module(module_name(path))
    print(json.dumps({"ready": True}), file=protocol, flush=True)
    for line in sys.stdin:
        print(json.dumps(serve_one(json.loads(line))), file=protocol, flush=True)


if __name__ == "__main__":
    main()
