"""Names round-trip: whatever name a tool returns, passed back verbatim to any tool, means the same object.

Property (hypothesis), on both backends: a model, a version, a table (with a column of the same name) and
a stage are created with an arbitrary legal name — lower-case, spaced, unicode, containing quotes or
dots. Discovery returns each name (list_models, list_model_versions, describe_input, list_stages); each
returned name, passed back, reaches the same object; a plan built only from returned names is ok, and
its summary and output location use those same names. Inline row keys that need quoting resolve to the
signature's columns, and a lower-case job name is one folder everywhere.
"""

from __future__ import annotations

import ast
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.hardening.conftest import call_tool_sync, fake_snowflake_server, local_server

from snowbatch.core.names import Identifier, ObjectName, StageLocation

ALPHABET = list("abcXYZ _-.'\"é❄雪9$")
NAMES = st.text(alphabet=ALPHABET, min_size=1, max_size=10).filter(lambda s: s.strip() == s and s.strip())
INPUTS = ["CUSTOMER_ID", "TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"]


@dataclass
class World:
    kind: str
    server: Any
    add: Callable[[str], None]  # creates model, version, table (with a column of that name) and stage
    lock: threading.Lock


def qualified(name: str) -> str:
    return str(ObjectName(Identifier(name), Identifier("PUBLIC"), Identifier("ML")))


def customers(name: str, source: pd.DataFrame) -> pd.DataFrame:
    frame = source[INPUTS].head(5).copy()
    frame[name] = "x"
    return frame


def local_world(root: Path) -> World:
    from snowbatch import samples
    from snowbatch.backends.local.account import write_json_atomic
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.backends.local.registry import MODEL_META
    from snowbatch.backends.local.seed import seed_local_account

    home = root / "home"
    backend = LocalBackend(home)
    seed_local_account(backend, rows=50)
    source = samples.customers_frame(50)
    churn = backend.account.model_dir(ObjectName.parse("ML.PUBLIC.CHURN_CLASSIFIER"))

    def add(name: str) -> None:
        model = ObjectName.parse(qualified(name))
        target = backend.account.model_dir(model)
        if target.exists():
            return
        shutil.copytree(churn / "V1", backend.account.version_dir(model, Identifier(name)))
        write_json_atomic(target / MODEL_META, {"default_version": name, "comment": None})
        backend.tables.write(model, customers(name, source), mode="error")
        backend.stages.create(model, encryption="SNOWFLAKE_SSE", comment="round trip")

    return World("local", local_server(home), add, threading.Lock())


def snowflake_world(root: Path) -> World:
    from tests.fakes.seed import packaged_models
    from tests.fakes.stagefiles import sql_types
    from tests.fakes.state import FakeModel, FakeVersion

    backend, server = fake_snowflake_server(root)
    account = backend.fake_account
    folder, spec, methods, _ = packaged_models()["CHURN_CLASSIFIER"]
    source = account.db.execute('SELECT * FROM "ML"."PUBLIC"."CUSTOMERS" LIMIT 5').fetchdf()

    def add(name: str) -> None:
        key = ("ML", "PUBLIC", name)
        if key in account.models:
            return
        account.add_model(key, FakeModel(name))
        account.add_version(key, FakeVersion(name, spec, "sklearn", methods, model_dir=folder))
        frame = customers(name, source)
        account.add_table(key, frame, sql_types(frame))
        account.add_stage(key)

    return World("snowflake", server, add, threading.Lock())


@pytest.fixture(scope="module", params=["local", "snowflake"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp(f"round-trip-{request.param}")
    return local_world(root) if request.param == "local" else snowflake_world(root)


def ok(world: World, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    out = call_tool_sync(world.server, tool, args)
    assert not out.is_error, (tool, args, out.text)
    assert out.structured is not None
    return out.structured


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
def test_every_returned_name_passed_back_means_the_same_object(world: World, name: str) -> None:
    with world.lock:
        world.add(name)
    expected = qualified(name)
    models = ok(world, "list_models", {"database": "ML", "schema": "PUBLIC", "limit": 200})
    listed = [m["name"] for m in models["items"]]
    assert expected in listed, (expected, listed)
    fns = ok(world, "show_model_functions", {"model": expected})
    assert fns["model"] == expected and fns["version"] == str(Identifier(name))
    versions = ok(world, "list_model_versions", {"model": fns["model"]})
    shown = [v["version"] for v in versions["versions"]]
    assert fns["version"] in shown
    again = ok(world, "show_model_functions", {"model": fns["model"], "version": fns["version"]})
    assert again["version"] == fns["version"]

    table = ok(world, "describe_input", {"table": expected})
    assert table["source"] == expected
    columns = [c["name"] for c in table["columns"]]
    assert str(Identifier(name)) in columns  # the column's name as it reads back
    stages = ok(world, "list_stages", {"database": "ML", "schema": "PUBLIC"})
    assert expected in stages["usable_for_output"]
    ok(world, "list_stage_files", {"stage_location": f"@{expected}/"})

    plan = ok(
        world,
        "plan_batch_job",
        {
            "model": fns["model"],
            "version": fns["version"],
            "function": "PREDICT",
            "input": {"kind": "table", "table": table["source"], "columns": columns},
            "output_stage": f"@{expected}/out/",
            "compute_pool": "CPU_POOL",
            "job_name": "round_trip",
            "include_code": True,
        },
    )
    failing = [c for c in plan["checks"] if c["status"] == "fail"]
    assert plan["ok"], failing
    assert plan["output_location"] == f"@{expected}/out/ROUND_TRIP/"  # the job name, resolved once
    summary = plan["summary"]
    assert f"{expected} version {fns['version']}" in summary
    assert f"table {expected}" in summary and str(Identifier(name)) in summary
    assert "ROUND_TRIP" in plan["code"] and "round_trip" not in plan["code"]
    # the code names the same objects: the version and column as shown, the table as returned
    literals = {n.value for n in ast.walk(ast.parse(plan["code"])) if isinstance(n, ast.Constant)}
    assert {str(Identifier(name)), table["source"]} <= literals, sorted(map(str, literals))


def test_inline_rows_keyed_as_the_inputs_are_shown_reach_the_signatures_columns(tmp_path: Path) -> None:
    """A model whose inputs are named with spaces, mixed case and a quote: rows keyed exactly as
    show_model_functions shows the inputs plan with every check passing, and the job scores them."""
    from tests.hardening.odd_columns import ODD_INPUTS, OddColumns
    from tests.integration.helpers import approve_and_submit, wait_done

    from snowbatch.backends.local.backend import LocalBackend

    home = tmp_path / "home"
    backend = LocalBackend(home)
    backend.stages.create(ObjectName.parse("ML.PUBLIC.OUT"), encryption="SNOWFLAKE_SSE", comment="")
    backend.create_compute_pool(
        Identifier("CPU_POOL"), instance_family="CPU_X64_S", min_nodes=1, max_nodes=1, auto_suspend_secs=600
    )
    sample = pd.DataFrame({c: [1.0, 2.0] for c in ODD_INPUTS})
    backend.registry.log_model(
        ObjectName.parse("ML.PUBLIC.ODD"), Identifier("V1"), OddColumns(), sample_input=sample
    )
    server = local_server(home)
    fns = call_tool_sync(server, "show_model_functions", {"model": "ML.PUBLIC.ODD"}).structured or {}
    shown = [i.rsplit(":", 1)[0] for i in fns["functions"][0]["inputs"]]
    assert shown == ['"tenure months"', '"Mixed"', "PLAIN", '"a""quote"']
    rows = [{key: float(i + r) for i, key in enumerate(shown)} for r in range(3)]
    args = {
        "model": "ML.PUBLIC.ODD",
        "input": {"kind": "rows", "rows": rows},
        "output_stage": "@ML.PUBLIC.OUT/odd/",
        "compute_pool": "CPU_POOL",
        "include_code": False,
    }
    plan = call_tool_sync(server, "plan_batch_job", args).structured or {}
    assert plan["ok"] and all(c["status"] == "pass" for c in plan["checks"]), plan["checks"]

    async def run() -> list[float]:
        from mcp import Client

        async with Client(server) as client:
            job = await approve_and_submit(client, plan)
            assert (await wait_done(client, job))["status"] == "DONE"
        frame = pd.read_parquet(backend.account.location_path(StageLocation.parse(plan["output_location"])))
        return sorted(frame["TOTAL"].tolist())

    assert anyio.run(run) == [6.0, 10.0, 14.0]  # 0+1+2+3, 1+2+3+4, 2+3+4+5: every key reached its input
