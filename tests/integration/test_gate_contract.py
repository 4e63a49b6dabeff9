"""The gate's contract, for every gated tool the server lists (found from tools/list, not a hand list):

- a token binds every argument: a token issued for one set of arguments, presented with any one
  argument changed to another valid value, is refused and nothing happens;
- impossible requests are refused before any question: no token comes back and nothing changes.

Run over both backends: the fake Snowflake account's statement log, and the local account's files (the
running jobs' own folders left out), show whether anything was changed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mcp import Client
from snowflake.ml.model import custom_model

from snowbatch import samples
from snowbatch.backends.local.backend import LocalBackend
from snowbatch.core.names import Identifier, ObjectName
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.fakes import make_fake_snowflake_backend
from tests.fakes.state import FakePool
from tests.hardening.conftest import tree_snapshot
from tests.integration.helpers import TABLE_PLAN, call, wait_done
from tests.integration.test_job_support import SLEEPY, Sleepy

pytestmark = pytest.mark.anyio
MUTATING = re.compile(r"^\s*(CREATE|ALTER|DROP|EXECUTE|CALL|INSERT|REMOVE|PUT|COPY INTO\s+[^'@\s])", re.I)


class World:
    """An account with what every gated tool needs: two finished jobs, two running ones, two plans,
    two suspended pools; and a way to tell whether anything changed."""

    def __init__(self, kind: str, tmp_path: Path, local_home: Path) -> None:
        self.kind = kind
        self.values: dict[str, list[Any]] = {}
        self.release = tmp_path / "release"  # running local jobs wait for this file
        if kind == "snowflake":
            self.backend = make_fake_snowflake_backend(tmp_path)
            self.acct = self.backend.fake_account  # type: ignore[attr-defined]
            self.acct.add_pool(FakePool("SLEEPY_POOL", "CPU_X64_S", state="SUSPENDED", auto_resume=False))
            self.server = build_server(
                Settings(backend="snowflake", home=tmp_path / "home"), backend=self.backend
            )
            self.suspended = ["GPU_POOL", "SLEEPY_POOL"]
        else:
            self.home = local_home
            local = LocalBackend(local_home)
            local.registry.log_model(
                ObjectName.parse(SLEEPY), Identifier("V1"), Sleepy(custom_model.ModelContext()),
                sample_input=pd.DataFrame({"X": [1.0], "DELAY": [0.0], "HOLD": [""]}),
            )  # fmt: skip
            self.server = build_server(Settings(backend="local", home=local_home))
            local.pools.create(
                Identifier("SLEEPY_POOL"),
                instance_family="CPU_X64_S",
                initially_suspended=True,
                auto_resume=False,
            )
            self.suspended = ["ETL_POOL", "SLEEPY_POOL"]
            price = local.account.model_dir(ObjectName.parse("ML.PUBLIC.PRICE_REGRESSOR"))
            shutil.copytree(price, local.account.model_dir(ObjectName.parse('ML.PUBLIC."price model"')))

    def job_plan(self, folder: str, running: bool) -> dict[str, Any]:
        if self.kind == "snowflake":
            self.acct.job_behaviour = "pending" if running else "complete"
            return {**TABLE_PLAN, "output_stage": f"@ML.PUBLIC.BATCH_OUT/{folder}/"}
        rows = [{"X": 1.0, "DELAY": 0.0, "HOLD": str(self.release) if running else ""}]
        return {
            "model": SLEEPY,
            "input": {"kind": "rows", "rows": rows},
            "output_stage": f"@ML.PUBLIC.BATCH_OUT/{folder}/",
            "compute_pool": "CPU_POOL",
            "include_code": False,
        }

    async def prepare(self, client: Client) -> None:
        done, running, plans, outputs = [], [], [], []
        for i in range(4):
            plan = await call(client, "plan_batch_job", self.job_plan(f"w{i}", running=i >= 2))
            args = {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
            started = (await call(client, "submit_batch_job", args))["result"]
            job = started["job_id"]
            outputs.append(started["output_location"])
            if self.kind == "snowflake":
                assert self.backend._jobs.submitter.join(job, 30)
            elif i < 2:
                assert (await wait_done(client, job))["status"] == "DONE"
            (done if i < 2 else running).append(job)
        for i in range(2):
            plans.append((await call(client, "plan_batch_job", self.job_plan(f"p{i}", False)))["plan_id"])
        self.running = running
        self.values = {
            # valid values for each argument name, per tool where they differ
            "create_stage.stage": ["ML.PUBLIC.NEW_STAGE_A", "ML.PUBLIC.NEW_STAGE_B"],
            "create_stage.comment": [None, "for results"],
            "create_compute_pool.name": ["NEW_POOL_A", "NEW_POOL_B"],
            "create_compute_pool.instance_family": ["CPU_X64_S", "CPU_X64_M"],
            "create_compute_pool.min_nodes": [1, 2],
            "create_compute_pool.max_nodes": [2, 3],
            "create_compute_pool.auto_suspend_secs": [600, 300],
            "resume_compute_pool.name": self.suspended,
            "submit_batch_job.plan_id": plans,
            "cancel_job.job_id": running,
            "delete_job.job_id": done,
            "save_results_to_table.table": ["ML.PUBLIC.SAVED_A", "ML.PUBLIC.SAVED_B"],
            "save_results_to_table.job_id": done,
            "save_results_to_table.location": [None, outputs[1]],  # instead of job_id
            "save_results_to_table.mode": ["error", "append"],
            "run_in_warehouse.model": ["ML.PUBLIC.PRICE_REGRESSOR", None],  # set per backend below
            "run_in_warehouse.output_table": ["ML.PUBLIC.WH_A", "ML.PUBLIC.WH_B"],
            "run_in_warehouse.table": ["ML.PUBLIC.CUSTOMERS", "ML.PUBLIC.CUSTOMERS_COPY"],
            "run_in_warehouse.query": [None, "SELECT * FROM ML.PUBLIC.CUSTOMERS"],  # instead of table
            "run_in_warehouse.version": [None, "V1"],
            "run_in_warehouse.function": [None, "predict"],
            "run_in_warehouse.partition_column": [None, None],  # only for partitioned functions
            "run_in_warehouse.mode": ["error", "append"],
        }
        if self.kind == "snowflake":
            self.values["run_in_warehouse.model"][1] = 'ML.EDGE."price model"'
            self.values["run_in_warehouse.table"][1] = 'ML.EDGE."Customers"'
        else:
            self.values["run_in_warehouse.model"][1] = 'ML.PUBLIC."price model"'
            frame = samples.customers_frame(50).drop(columns=["CHURNED"])
            LocalBackend(self.home).tables.write(
                ObjectName.parse("ML.PUBLIC.CUSTOMERS_COPY"), frame, mode="error"
            )

    def base_args(self, tool: str, params: list[str]) -> dict[str, Any]:
        return {p: self.values[f"{tool}.{p}"][0] for p in params if self.values[f"{tool}.{p}"][0] is not None}

    def mark(self) -> Any:
        if self.kind == "snowflake":
            return len(self.acct.sql_log())
        busy = [f"jobs/{ObjectName.parse(j).name.name}" for j in self.running]
        return {k: v for k, v in tree_snapshot(self.home).items() if not any(k.startswith(b) for b in busy)}

    def changes_since(self, mark: Any) -> list[str]:
        if self.kind == "snowflake":
            return [s for s in self.acct.sql_log()[mark:] if MUTATING.match(s)]
        now = self.mark()
        return sorted(k for k in set(now) | set(mark) if now.get(k) != mark.get(k))

    def close(self) -> None:
        self.release.touch()  # let held local jobs finish


EXCLUSIVE = {("run_in_warehouse", "query"): "table", ("save_results_to_table", "location"): "job_id"}


async def gated_tools(client: Client) -> dict[str, list[str]]:
    """Every tool whose arguments include confirmation_token, with its other arguments."""
    tools = (await client.list_tools()).tools
    out = {}
    for t in tools:
        props = list((t.input_schema or {}).get("properties", {}))
        if "confirmation_token" in props:
            out[t.name] = [p for p in props if p != "confirmation_token"]
    return out


@pytest.fixture(params=["local", "snowflake"])
def world(request: pytest.FixtureRequest, tmp_path: Path, local_home: Path) -> Iterator[World]:
    made = World(request.param, tmp_path, local_home)
    yield made
    made.close()


async def test_a_token_binds_every_argument_of_every_gated_tool(world: World) -> None:
    checked: list[str] = []
    unvaried: list[str] = []
    async with Client(world.server) as client:
        await world.prepare(client)
        gated = await gated_tools(client)
        assert len(gated) >= 8, gated
        for tool, params in sorted(gated.items()):
            missing = [p for p in params if f"{tool}.{p}" not in world.values]
            assert not missing, f"{tool}: no valid values known for {missing}"
            args = world.base_args(tool, params)
            first = await client.call_tool(tool, args)
            assert not first.is_error, (tool, first.content)
            token = (first.structured_content or {})["confirmation_token"]
            for param in params:
                other = world.values[f"{tool}.{param}"][1]
                if other == args.get(param):
                    continue  # this argument has no second valid value in this world
                partner = EXCLUSIVE.get((tool, param))  # an argument this one replaces
                changed = {k: v for k, v in args.items() if k not in (param, partner)}
                if other is not None:
                    changed[param] = other
                refused = await client.call_tool(tool, changed)
                if refused.is_error:  # the change itself is refused before any token: not a binding question
                    unvaried.append(
                        f"{tool}.{param}: " + "".join(getattr(c, "text", "") for c in refused.content)[:150]
                    )
                    continue
                mark = world.mark()
                out = await client.call_tool(tool, {**changed, "confirmation_token": token})
                text = "".join(getattr(c, "text", "") for c in out.content)
                assert out.is_error and "different parameters" in text, (tool, param, text)
                assert world.changes_since(mark) == [], (tool, param)
                checked.append(f"{tool}.{param}")
    varied = {c.split(".")[0] for c in checked}
    assert varied == set(gated), set(gated) - varied  # every gated tool had at least one argument varied
    # every argument with a second value was varied (partition_column applies to partitioned functions only)
    assert len(checked) >= 22 and not unvaried, "\n".join([*checked, "UNVARIED:", *unvaried])


IMPOSSIBLE: dict[str, list[dict[str, Any]]] = {
    "create_stage": [{"stage": "ML.PUBLIC.LEGACY_STAGE"}],  # exists with client-side encryption
    "create_compute_pool": [
        {"name": "CPU_POOL", "instance_family": "CPU_X64_S"},  # exists
        {"name": "NEW_POOL", "instance_family": "CPU_X64_S", "min_nodes": 3, "max_nodes": 1},
        {"name": '"lower pool"', "instance_family": "CPU_X64_S"},  # quoted pool names are not supported
    ],
    "resume_compute_pool": [{"name": "CPU_POOL"}, {"name": "NO_SUCH_POOL"}],  # running; missing
    "submit_batch_job": [{"plan_id": "plan_never_issued"}],
    "cancel_job": [{"job_id": "done"}, {"job_id": "ML.PUBLIC.NO_SUCH_JOB"}],
    "delete_job": [{"job_id": "running"}],
    "save_results_to_table": [
        {"table": "ML.PUBLIC.CUSTOMERS", "job_id": "done"},  # exists, mode error
        {"table": "ML.PUBLIC.X", "job_id": "running"},  # no _SUCCESS yet
    ],
    "run_in_warehouse": [
        {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": "PREDICT", "table": "ML.PUBLIC.CUSTOMERS",
         "output_table": "ML.PUBLIC.CUSTOMERS"},  # exists, mode error
        {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": "PREDICT", "output_table": "ML.PUBLIC.X",
         "query": "SELECT TENURE_MONTHS FROM ML.PUBLIC.CUSTOMERS"},  # inputs missing
    ],
}  # fmt: skip


async def test_impossible_requests_get_no_token_and_change_nothing(world: World) -> None:
    async with Client(world.server) as client:
        await world.prepare(client)
        gated = await gated_tools(client)
        assert set(IMPOSSIBLE) == set(gated), set(gated) ^ set(IMPOSSIBLE)
        failed_plan = await call(client, "plan_batch_job", {**TABLE_PLAN, "compute_pool": "NO_SUCH_POOL"})
        cases = {
            **IMPOSSIBLE,
            "submit_batch_job": [*IMPOSSIBLE["submit_batch_job"], {"plan_id": failed_plan["plan_id"]}],
        }
        for tool, attempts in cases.items():
            for args in attempts:
                args = {
                    k: (
                        world.values["delete_job.job_id"][0]
                        if v == "done"
                        else world.values["cancel_job.job_id"][0]
                        if v == "running"
                        else v
                    )
                    for k, v in args.items()
                }
                mark = world.mark()
                out = await client.call_tool(tool, args)
                text = "".join(getattr(c, "text", "") for c in out.content)
                assert out.is_error, (tool, args, text)
                assert "confirmation_token" not in text and "Next step" in text, (tool, args, text)
                assert world.changes_since(mark) == [], (tool, args)
