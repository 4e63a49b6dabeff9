"""Shared helpers for the job-control tests (no tests here).

A small local account is built once per test session and copied per test: the output stage
@ML.PUBLIC.BATCH_OUT, the compute pool CPU_POOL and ML.PUBLIC.SLEEPY, a custom model (Y = 2 * X) whose
`predict` prints one log line per batch, waits while the file named in HOLD does not exist (so a test
decides exactly when a batch may finish, without timing guesses) and then sleeps DELAY seconds.
"""

# No `from __future__ import annotations`: snowflake-ml reads Sleepy.predict's annotations at runtime.
import contextlib
import functools
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from mcp import Client
from snowflake.ml.model import custom_model

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.jobstate import JobFiles
from snowbatch.core.names import Identifier, ObjectName, StageLocation
from snowbatch.core.records import JobInfo
from snowbatch.core.requests import BatchJobSpec, ResolvedInput, SaveMode
from tests.prebuilt import prebuilt

SLEEPY = "ML.PUBLIC.SLEEPY"
STAGE = "@ML.PUBLIC.BATCH_OUT"
T = TypeVar("T")


class Sleepy(custom_model.CustomModel):
    @custom_model.inference_api
    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        import time as _time
        from pathlib import Path as _Path

        print(f"scoring a batch of {len(X)} rows from X={X['X'].iloc[0]:g}", flush=True)
        holds = [_Path(h) for h in X["HOLD"] if h]
        deadline = _time.monotonic() + 120  # never outlive a failed test by long
        while any(not h.exists() for h in holds) and _time.monotonic() < deadline:
            _time.sleep(0.02)
        _time.sleep(float(X["DELAY"].max()))
        return pd.DataFrame({"Y": X["X"] * 2})


def _build_template(home: Path) -> None:
    """The account: the output stage (SSE), CPU_POOL and SLEEPY."""
    backend = LocalBackend(home)
    # Admin-level create (as `snowbatch local put --create-stage`): the account has no database yet,
    # and the tool-facing create_stage, like Snowflake, needs one.
    backend.stages.create(ObjectName.parse(STAGE.lstrip("@")), comment="job-control tests")
    backend.create_compute_pool(
        Identifier("CPU_POOL"),
        instance_family="CPU_X64_S",
        min_nodes=1,
        max_nodes=1,
        auto_suspend_secs=3600,
    )
    backend.registry.log_model(
        ObjectName.parse(SLEEPY),
        Identifier("V1"),
        Sleepy(custom_model.ModelContext()),
        sample_input=pd.DataFrame({"X": [1.0, 2.0], "DELAY": [0.0, 0.0], "HOLD": ["", ""]}),
    )


@functools.cache
def _template_home() -> Path:
    """The account, built once per session (tests/prebuilt.py)."""
    return prebuilt("jobs", _build_template)


def new_home(tmp_path: Path) -> Path:
    """A private copy of the seeded account for one test."""
    home = tmp_path / "home"
    shutil.copytree(_template_home(), home)
    return home


def rows(n: int, delay: float = 0.0, *, hold: Path | None = None, hold_from: int = 0) -> list[dict[str, Any]]:
    """SLEEPY input: rows from `hold_from` on wait for the file `hold` to exist."""
    return [
        {"X": float(i), "DELAY": delay, "HOLD": str(hold) if hold and i >= hold_from else ""}
        for i in range(n)
    ]


def job_spec(
    *,
    base: str = "runs/",
    n: int = 8,
    delay: float = 0.0,
    batch_rows: int = 4,
    workers: int = 1,
    mode: SaveMode = "error",
    job_name: str | None = None,
    hold: Path | None = None,
    hold_from: int = 0,
) -> BatchJobSpec:
    """A SLEEPY job on `n` rows in batches of `batch_rows`, writing to @ML.PUBLIC.BATCH_OUT/<base>."""
    data = rows(n, delay, hold=hold, hold_from=hold_from)
    return BatchJobSpec(
        model=SLEEPY,
        version="V1",
        function_name="PREDICT",
        target_method="predict",
        input=ResolvedInput(kind="rows", rows=data, row_count=n),
        output_stage=f"{STAGE}/{base}",
        compute_pool="CPU_POOL",
        mode=mode,
        job_name=job_name or f"JOB_{uuid.uuid4().hex[:10].upper()}",
        max_batch_rows=batch_rows,
        num_workers=workers,
    )


def eventually(
    fetch: Callable[[], T], done: Callable[[T], bool], *, timeout: float = 60.0, every: float = 0.05
) -> T:
    """Poll `fetch` until `done(value)`; fail with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not there after {timeout}s: {value!r}")
        time.sleep(every)


def job_id(info: JobInfo | str) -> ObjectName:
    return ObjectName.parse(info if isinstance(info, str) else info.job_id)


def wait_terminal(backend: LocalBackend, job: JobInfo | str, timeout: float = 60.0) -> JobInfo:
    return eventually(lambda: backend.get_job(job_id(job)), lambda j: j.is_terminal, timeout=timeout)


def wait_rows_done(backend: LocalBackend, job: JobInfo | str, at_least: int = 1) -> JobInfo:
    return eventually(
        lambda: backend.get_job(job_id(job)),
        lambda j: j.is_terminal or (j.progress is not None and (j.progress.rows_done or 0) >= at_least),
    )


def job_files(home: Path, job: JobInfo | str) -> JobFiles:
    return JobFiles(home / "jobs" / job_id(job).name.name)


def output_dir(backend: LocalBackend, job: JobInfo) -> Path:
    assert job.output_location
    return backend.account.location_path(StageLocation.parse(job.output_location))


def base_dir(backend: LocalBackend, base: str) -> Path:
    return backend.account.location_path(StageLocation.parse(f"{STAGE}/{base}"))


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def kill_leftovers(pgid: int) -> None:
    """Test hygiene: never leave a job's processes behind, whatever a test did."""
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# --- through the MCP server ----------------------------------------------------------------------
async def call(
    client: Client, tool: str, args: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """A tool's structured result; a tool error fails the test with the error text."""
    result = await client.call_tool(tool, args or {}, **kwargs)
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert not result.is_error, f"{tool} failed: {text}"
    return result.structured_content or {}


async def call_error(client: Client, tool: str, args: dict[str, Any]) -> str:
    """The text of a tool error (fails the test when the call succeeds)."""
    result = await client.call_tool(tool, args)
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    return text


async def approved(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run a gated tool as an assistant does after the person said yes: ask, then call with the token."""
    first = await call(client, tool, args)
    assert first["status"] == "confirmation_required", first
    second = await call(client, tool, {**args, "confirmation_token": first["confirmation_token"]})
    assert second["status"] in ("done", "started"), second
    return second


async def submit_via_tools(
    client: Client,
    *,
    base: str = "runs/",
    n: int = 8,
    delay: float = 0.0,
    batch_rows: int = 4,
    workers: int = 1,
    mode: str = "error",
    hold: Path | None = None,
    hold_from: int = 0,
) -> str:
    """plan_batch_job + approved submit_batch_job of a SLEEPY job; the job id."""
    plan = await call(
        client,
        "plan_batch_job",
        {
            "model": SLEEPY,
            "input": {"kind": "rows", "rows": rows(n, delay, hold=hold, hold_from=hold_from)},
            "output_stage": f"{STAGE}/{base}",
            "compute_pool": "CPU_POOL",
            "mode": mode,
            "scaling": {"max_batch_rows": batch_rows, "num_workers": workers},
            "include_code": False,
        },
    )
    assert plan["ok"], plan["checks"]
    args = {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}  # the one yes
    submitted = await call(client, "submit_batch_job", args)
    assert submitted["status"] == "started", submitted
    return str(submitted["result"]["job_id"])


def reap_jobs(home: Path) -> None:
    """Kill every process group of every job under `home` (test teardown)."""
    root = home / "jobs"
    for job_dir in root.iterdir() if root.is_dir() else []:
        try:
            state = JobFiles(job_dir).read_state()
        except (OSError, ValueError):
            continue
        if state.get("pgid"):
            kill_leftovers(int(state["pgid"]))
