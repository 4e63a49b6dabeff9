"""Identifier safety: no tool argument that names a Snowflake object or a stage location can change the
SQL the server sends.

Property (hypothesis), for every such argument of every tool, on the SQL-level fake Snowflake account
(gated tools run with auto_approve, so their statements are issued too): every statement parses as
exactly one statement with no comment; the hostile text never appears outside a quoted identifier or a
literal; when the name reached SQL, its quoted form (or its literal, or a bind parameter) is what
carries it; and a refused name is refused with an error that names the problem and the next step.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.hardening.conftest import call_tool_sync, fake_snowflake_server
from tests.hardening.sqlcheck import (
    Malformed,
    assert_safe_statement,
    snowflake_quoted,
    statement_count,
    tokenize,
)

from snowbatch.core.errors import SnowbatchError
from snowbatch.core.names import Identifier, ObjectName, StageLocation, sql_string

# --- hostile text ---------------------------------------------------------------------------------
PAYLOADS = [
    'x"; DROP TABLE ML.PUBLIC.CUSTOMERS; --',
    "x'; DROP TABLE ML.PUBLIC.CUSTOMERS; --",
    "a\\'; DROP DATABASE ML; --",
    "ends with backslash\\",
    '\\"',
    "/* comment */ X",
    "X -- comment",
    "X // comment",
    "$$ dollar $$",
    "semi;colon",
    "it's",
    'say "hi"',
    '""',
    "''",
    "a.b.c.d",
    "..",
    "../../etc/passwd",
    "%_%",
    "IDENTIFIER('X')",
    "Snöwflake ❄ 雪",
    "\u202eRTL override",
    "zero\u200bwidth",
    "tab\there",
    "new\nline",
    "nul\x00byte",
    "A" * 255,
    "B" * 256,
    "é" * 300,
    " ",
    "UNION SELECT 1",
]
ALPHABET = list("aZ_9$ .\"';-/*\\%@()=,é雪❄\u200b")
hostile = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(alphabet=ALPHABET, min_size=1, max_size=24),
)
NAME_FORMS = ("raw", "quoted", "qualified")


def as_name(text: str, form: str) -> str:
    if form == "raw":
        return text
    quoted = snowflake_quoted(text)
    return quoted if form == "quoted" else f"ML.PUBLIC.{quoted}"


def as_location(stage: str, path: str, quoted_stage: bool) -> str:
    name = snowflake_quoted(stage) if quoted_stage else "BATCH_OUT"
    return f"@ML.PUBLIC.{name}/{path}"


# --- what each argument should look like in SQL once parsed ---------------------------------------
def object_sql(text: str) -> list[str]:
    return [ObjectName.parse(text).qualified(Identifier("ML"), Identifier("PUBLIC")).sql]


def identifier_sql(text: str) -> list[str]:
    name = Identifier.parse(text)
    return [name.sql, sql_string(name.name)]  # quoted, or as the literal of SHOW … LIKE


def location_sql(text: str) -> list[str]:
    loc = StageLocation.parse(text).qualified(Identifier("ML"), Identifier("PUBLIC"))
    return [loc.sql, loc.as_directory().sql, loc.stage.sql]


def literal_sql(text: str) -> list[str]:
    return [sql_string(text)]


def job_sql(text: str) -> list[str]:
    return object_sql(text)  # carried by a bind parameter: IDENTIFIER(?)


@dataclass
class Case:
    tool: str
    arg: str
    build: Callable[[str], dict[str, Any]]
    rendered: Callable[[str], list[str]] | None  # the forms the name may take in SQL (None: not SQL)
    kind: str = "name"  # name | location | text
    gated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return self.id

    @property
    def id(self) -> str:
        return f"{self.tool}.{self.arg}"


TABLE_INPUT = {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"}
PLAN = {
    "model": "ML.PUBLIC.CHURN_CLASSIFIER",
    "function": "PREDICT",
    "input": TABLE_INPUT,
    "output_stage": "@ML.PUBLIC.BATCH_OUT/hardening/",
    "compute_pool": "CPU_POOL",
    "include_code": False,
}


def plan(**changes: Any) -> dict[str, Any]:
    return {**PLAN, **changes}


CASES = [
    Case("list_models", "database", lambda n: {"database": n, "schema": "PUBLIC"}, identifier_sql),
    Case("list_models", "schema", lambda n: {"database": "ML", "schema": n}, identifier_sql),
    Case("list_models", "like", lambda n: {"like": n}, literal_sql, kind="text"),
    Case("list_stages", "database", lambda n: {"database": n, "schema": "PUBLIC"}, identifier_sql),
    Case("list_stages", "schema", lambda n: {"database": "ML", "schema": n}, identifier_sql),
    Case("list_model_versions", "model", lambda n: {"model": n}, object_sql),
    Case("show_model_functions", "model", lambda n: {"model": n}, object_sql),
    Case(
        "show_model_functions",
        "version",
        lambda n: {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "version": n},
        identifier_sql,
    ),
    Case("list_compute_pools", "model", lambda n: {"model": n}, object_sql),
    Case(
        "list_compute_pools",
        "version",
        lambda n: {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "version": n},
        identifier_sql,
    ),
    Case(
        "list_compute_pools",
        "function",
        lambda n: {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": n},
        None,
        kind="text",
    ),
    Case("describe_input", "table", lambda n: {"table": n}, object_sql),
    Case("describe_input", "model", lambda n: {"table": "ML.PUBLIC.CUSTOMERS", "model": n}, object_sql),
    Case(
        "describe_input",
        "version",
        lambda n: {"table": "ML.PUBLIC.CUSTOMERS", "model": "ML.PUBLIC.CHURN_CLASSIFIER", "version": n},
        identifier_sql,
    ),
    Case(
        "describe_input",
        "function",
        lambda n: {"table": "ML.PUBLIC.CUSTOMERS", "model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": n},
        None,
        kind="text",
    ),
    Case("describe_input", "stage_location", lambda n: {"stage_location": n}, location_sql, kind="location"),
    Case(
        "describe_input",
        "pattern",
        lambda n: {"stage_location": "@ML.PUBLIC.BATCH_OUT/", "pattern": n},
        literal_sql,
        kind="text",
    ),
    Case(
        "list_stage_files", "stage_location", lambda n: {"stage_location": n}, location_sql, kind="location"
    ),
    Case(
        "list_stage_files",
        "pattern",
        lambda n: {"stage_location": "@ML.PUBLIC.BATCH_OUT/", "pattern": n},
        literal_sql,
        kind="text",
    ),
    Case("create_stage", "stage", lambda n: {"stage": n}, object_sql, gated=True),
    Case(
        "create_stage",
        "comment",
        lambda n: {"stage": "ML.PUBLIC.HARDENING_STAGE", "comment": n},
        literal_sql,
        kind="text",
        gated=True,
    ),
    Case(
        "create_compute_pool",
        "name",
        lambda n: {"name": n, "instance_family": "CPU_X64_XS"},
        None,
        gated=True,
    ),
    Case(
        "create_compute_pool",
        "instance_family",
        lambda n: {"name": "HARDENING_POOL", "instance_family": n},
        None,
        kind="text",
        gated=True,
    ),
    Case("resume_compute_pool", "name", lambda n: {"name": n}, None, gated=True),
    Case("plan_batch_job", "model", lambda n: plan(model=n), object_sql),
    Case("plan_batch_job", "version", lambda n: plan(version=n), identifier_sql),
    Case("plan_batch_job", "function", lambda n: plan(function=n), None, kind="text"),
    Case("plan_batch_job", "input.table", lambda n: plan(input={"kind": "table", "table": n}), object_sql),
    Case(
        "plan_batch_job",
        "input.columns",
        lambda n: plan(input={"kind": "table", "table": "ML.PUBLIC.CUSTOMERS", "columns": [n]}),
        None,
        kind="text",
    ),
    Case(
        "plan_batch_job",
        "input.stage_location",
        lambda n: plan(input={"kind": "files", "stage_location": n}),
        location_sql,
        kind="location",
    ),
    Case("plan_batch_job", "output_stage", lambda n: plan(output_stage=n), location_sql, kind="location"),
    Case("plan_batch_job", "compute_pool", lambda n: plan(compute_pool=n), None),
    Case("plan_batch_job", "job_name", lambda n: plan(job_name=n), None),
    Case(
        "plan_batch_job",
        "column_handling",
        lambda n: plan(column_handling={n: "RAW_BYTES"}),
        None,
        kind="text",
    ),
    Case("wait_for_job", "job_id", lambda n: {"job_id": n, "timeout_seconds": 0}, job_sql),
    Case("wait_for_job", "job_id", lambda n: {"job_id": n, "timeout_seconds": 1}, job_sql),
    Case("get_job_logs", "job_id", lambda n: {"job_id": n}, job_sql),
    Case("cancel_job", "job_id", lambda n: {"job_id": n}, job_sql, gated=True),
    Case("delete_job", "job_id", lambda n: {"job_id": n}, job_sql, gated=True),
    Case("inspect_output", "job_id", lambda n: {"job_id": n}, job_sql),
    Case("inspect_output", "location", lambda n: {"location": n}, location_sql, kind="location"),
    Case("preview_results", "job_id", lambda n: {"job_id": n}, job_sql),
    Case("preview_results", "location", lambda n: {"location": n}, location_sql, kind="location"),
    Case(
        "save_results_to_table",
        "table",
        lambda n: {"table": n, "location": "@ML.PUBLIC.BATCH_OUT/done/"},
        object_sql,
        gated=True,
    ),
    Case(
        "save_results_to_table",
        "location",
        lambda n: {"table": "ML.PUBLIC.HARDENING_T", "location": n},
        location_sql,
        kind="location",
        gated=True,
    ),
    Case(
        "save_results_to_table",
        "job_id",
        lambda n: {"table": "ML.PUBLIC.HARDENING_T", "job_id": n},
        job_sql,
        gated=True,
    ),
    Case("submit_batch_job", "plan_id", lambda n: {"plan_id": n}, None, kind="text", gated=True),
    Case("preview_in_warehouse", "model", lambda n: {"model": n, "table": "ML.PUBLIC.CUSTOMERS"}, object_sql),
    Case(
        "preview_in_warehouse",
        "table",
        lambda n: {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": "PREDICT", "table": n},
        object_sql,
    ),
    Case(
        "preview_in_warehouse",
        "version",
        lambda n: {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "version": n, "table": "ML.PUBLIC.CUSTOMERS"},
        identifier_sql,
    ),
    Case(
        "preview_in_warehouse",
        "function",
        lambda n: {"model": "ML.PUBLIC.CHURN_CLASSIFIER", "function": n, "table": "ML.PUBLIC.CUSTOMERS"},
        None,
        kind="text",
    ),
    Case(
        "run_in_warehouse",
        "model",
        lambda n: {"model": n, "table": "ML.PUBLIC.CUSTOMERS", "output_table": "ML.PUBLIC.HARDENING_W"},
        object_sql,
        gated=True,
    ),
    Case(
        "run_in_warehouse",
        "table",
        lambda n: {
            "model": "ML.PUBLIC.CHURN_CLASSIFIER",
            "function": "PREDICT",
            "table": n,
            "output_table": "ML.PUBLIC.HARDENING_W",
        },
        object_sql,
        gated=True,
    ),
    Case(
        "run_in_warehouse",
        "version",
        lambda n: {
            "model": "ML.PUBLIC.CHURN_CLASSIFIER",
            "version": n,
            "table": "ML.PUBLIC.CUSTOMERS",
            "output_table": "ML.PUBLIC.HARDENING_W",
        },
        identifier_sql,
        gated=True,
    ),
    Case(
        "run_in_warehouse",
        "function",
        lambda n: {
            "model": "ML.PUBLIC.CHURN_CLASSIFIER",
            "function": n,
            "table": "ML.PUBLIC.CUSTOMERS",
            "output_table": "ML.PUBLIC.HARDENING_W",
        },
        None,
        kind="text",
        gated=True,
    ),
    Case(
        "run_in_warehouse",
        "output_table",
        lambda n: {
            "model": "ML.PUBLIC.CHURN_CLASSIFIER",
            "function": "PREDICT",
            "table": "ML.PUBLIC.CUSTOMERS",
            "output_table": n,
        },
        object_sql,
        gated=True,
    ),
]


@dataclass(repr=False)
class Fake:
    backend: Any
    server: Any
    tools: set[str]

    def __repr__(self) -> str:
        return "Fake(snowflake)"


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Fake:
    backend, server = fake_snowflake_server(tmp_path_factory.mktemp("identifiers"), auto_approve=True)
    account = backend.fake_account
    # a finished job's output, so save_results_to_table has something real to load
    stage = account.stage_for(("ML", "PUBLIC", "BATCH_OUT"))
    done = stage.folder / "done"
    done.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    pd.DataFrame({"X": [1.0, 2.0]}).to_parquet(done / "data_0.parquet")
    (done / "_SUCCESS").write_bytes(b"")

    import anyio
    from mcp import Client

    async def names() -> set[str]:
        async with Client(server) as client:
            return {t.name for t in (await client.list_tools()).tools}

    return Fake(backend, server, anyio.run(names))


def state_of(account: Any) -> tuple[Any, ...]:
    return (sorted(account.stages), sorted(account.pools), sorted(account.tables), sorted(account.jobs))


def check_outcome(case: Case, raw: str, fake: Fake) -> None:
    backend, server, tools = fake.backend, fake.server, fake.tools
    if case.tool not in tools:
        pytest.skip(f"{case.tool} is not registered on this server")
    account = backend.fake_account
    account.clear_statements()
    account.unknown.clear()
    before = state_of(account)
    outcome = call_tool_sync(server, case.tool, case.build(raw))

    # 1. every statement is one statement, comment-free, the hostile text only inside quotes
    hostile_texts = [raw]
    with contextlib.suppress(SnowbatchError):
        hostile_texts += [p.name for p in ObjectName.parse(raw).parts()]
    for stmt in account.statements:
        assert_safe_statement(stmt.sql, hostile=hostile_texts)
    # a statement the fake cannot read is a failure when the hostile text is in it (it broke the SQL);
    # others belong to features the fake does not model yet
    broken = [s.sql for s in account.unknown if any(h in s.sql for h in hostile_texts if len(h) >= 3)]
    assert not broken, f"the fake could not read: {broken}"
    if account.unknown and outcome.is_error:
        pytest.skip(f"the fake does not model {account.unknown[0].sql!r} yet ({case.tool})")
    if account.statements:
        REACHED_SQL.add(case.id)

    # 2. the name reached SQL only in its quoted / literal / bound form
    if case.rendered is not None and account.statements:
        try:
            forms = case.rendered(raw)
        except SnowbatchError:
            forms = []
        carried = " ".join(s.sql + " " + " ".join(map(str, s.params or ())) for s in account.statements)
        mentioned = any(h in carried for h in hostile_texts if len(h) >= 3)
        if forms and mentioned:
            assert any(f in carried for f in forms), (forms, account.sql_log())

    # 3. a refusal says what is wrong and what to do; nothing is left behind by a refusal
    if outcome.is_error:
        assert "Next step" in outcome.text or "next step" in outcome.text.lower(), outcome.text
        assert "Traceback" not in outcome.text
        assert state_of(account) == before, f"{case.id} failed yet changed the account"
    elif not case.gated:
        assert state_of(account) == before, f"read-only {case.id} changed the account"


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "name"], ids=lambda c: c.id)
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile, form=st.sampled_from(NAME_FORMS))
def test_a_hostile_name_cannot_change_a_statement(case: Case, text: str, form: str, fake: Fake) -> None:
    check_outcome(case, as_name(text, form), fake)


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "location"], ids=lambda c: c.id)
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stage=hostile, path=hostile, quoted_stage=st.booleans())
def test_a_hostile_stage_location_cannot_change_a_statement(
    case: Case, stage: str, path: str, quoted_stage: bool, fake: Fake
) -> None:
    check_outcome(case, as_location(stage, path, quoted_stage), fake)


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "text"], ids=lambda c: c.id)
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile)
def test_hostile_text_in_patterns_comments_and_names_stays_in_its_literal(
    case: Case, text: str, fake: Fake
) -> None:
    check_outcome(case, text, fake)


def test_every_tool_argument_that_names_an_object_is_covered(fake: Fake) -> None:
    """A new tool argument naming an object or a location must join CASES (or this fails)."""
    import anyio
    from mcp import Client

    server = fake.server

    async def schemas() -> dict[str, dict[str, Any]]:
        async with Client(server) as client:
            return {
                t.name: (t.input_schema or {}).get("properties", {})
                for t in (await client.list_tools()).tools
            }

    covered = {(c.tool, c.arg.split(".")[0]) for c in CASES}
    naming = re.compile(
        r"^(model|table|stage|stage_location|location|output_stage|output_table|database|"
        r"schema|name|job_id|job_name|compute_pool|version|function)$"
    )
    missing = [
        (tool, arg)
        for tool, props in anyio.run(schemas).items()
        for arg in props
        if naming.match(arg) and (tool, arg) not in covered
    ]
    assert not missing, f"name arguments without an identifier-safety case: {missing}"


REACHED_SQL: set[str] = set()


def test_hostile_names_did_reach_sql_for_the_tools_that_issue_it() -> None:
    """Guards the property above against vacuity: runs after it (file order), over the same session."""
    expected = {
        c.id
        for c in CASES
        if c.rendered is not None and c.tool not in ("run_in_warehouse", "preview_in_warehouse")
    }
    if not REACHED_SQL:
        pytest.skip("run together with the property tests")
    assert expected - REACHED_SQL <= {
        "inspect_output.job_id",
        "preview_results.job_id",
        "save_results_to_table.job_id",
    }, expected - REACHED_SQL


# --- the hostile names exist: the whole job flow, including snowflake-ml's own SQL --------------------
HOSTILE_OBJECTS = ['it\'s "odd"', "semi;colon -- x", "back\\slash", "Snöwflake ❄"]


@pytest.mark.parametrize("name", HOSTILE_OBJECTS)
def test_objects_with_hostile_names_go_through_the_whole_flow_safely(name: str, tmp_path: Path) -> None:
    """Model, table and stage all carry the hostile name and exist; plan, submit (snowflake-ml's
    run_batch issues its own statements), status, logs, inspect, preview and save all run."""
    import pandas as pd
    from tests.fakes.seed import packaged_models
    from tests.fakes.state import FakeModel, FakeVersion

    backend, server = fake_snowflake_server(tmp_path, auto_approve=True)
    account = backend.fake_account
    folder, spec, methods, _ = packaged_models()["CHURN_CLASSIFIER"]
    account.add_model(("ML", "PUBLIC", name), FakeModel(name))
    account.add_version(("ML", "PUBLIC", name), FakeVersion("V1", spec, "sklearn", methods, model_dir=folder))
    customers = pd.DataFrame(account.db.execute('SELECT * FROM "ML"."PUBLIC"."CUSTOMERS" LIMIT 20').fetchdf())
    from tests.fakes.stagefiles import sql_types

    account.add_table(("ML", "PUBLIC", name), customers, sql_types(customers))
    account.add_stage(("ML", "PUBLIC", name))
    q = snowflake_quoted(name)
    account.clear_statements()
    steps: list[tuple[str, dict[str, Any]]] = [
        ("show_model_functions", {"model": f"ML.PUBLIC.{q}"}),
        ("describe_input", {"table": f"ML.PUBLIC.{q}", "model": f"ML.PUBLIC.{q}", "function": "PREDICT"}),
        ("list_stage_files", {"stage_location": f"@ML.PUBLIC.{q}/"}),
    ]
    for tool, args in steps:
        out = call_tool_sync(server, tool, args)
        assert not out.is_error, (tool, out.text)
    planned = call_tool_sync(
        server,
        "plan_batch_job",
        plan(
            model=f"ML.PUBLIC.{q}",
            input={"kind": "table", "table": f"ML.PUBLIC.{q}"},
            output_stage=f"@ML.PUBLIC.{q}/run/",
        ),
    )
    assert not planned.is_error and planned.structured and planned.structured["ok"], planned.text
    submitted = call_tool_sync(server, "submit_batch_job", {"plan_id": planned.structured["plan_id"]})
    if "'" in name or "\\" in name:
        # snowflake-ml writes the output location into a YAML literal it escapes only for quotes
        assert submitted.is_error and "Next step" in submitted.text, submitted.text
    else:
        assert not submitted.is_error, submitted.text
        job = submitted.structured["result"]["job_id"]  # type: ignore[index]
        for tool, args in [
            ("wait_for_job", {"job_id": job, "timeout_seconds": 30}),  # submission runs in the background
            ("wait_for_job", {"job_id": job, "timeout_seconds": 0}),
            ("get_job_logs", {"job_id": job}),
            ("inspect_output", {"job_id": job}),
            ("preview_results", {"job_id": job}),
            (
                "save_results_to_table",
                {"table": f"ML.PUBLIC.{snowflake_quoted(name + ' out')}", "job_id": job},
            ),
        ]:
            out = call_tool_sync(server, tool, args)
            assert not out.is_error, (tool, out.text)
    hostile = [name, name + " out"]
    for stmt in account.statements:
        assert_safe_statement(stmt.sql, hostile=hostile)
    assert not account.unknown


# --- the tokenizer itself ------------------------------------------------------------------------------
def test_the_statement_reader_follows_snowflakes_literal_rules() -> None:
    assert statement_count("SELECT 1") == 1
    assert statement_count("SELECT 1;") == 1
    assert statement_count("SELECT 'a;b'") == 1
    assert statement_count('SELECT "a;b"') == 1
    assert statement_count("SELECT 1; DROP TABLE T") == 2
    # backslash escapes a quote inside a literal: the old rendering of a path ending in \ broke out
    assert statement_count("LIST '@\"S\"/a\\''; DROP TABLE T; --'") == 2
    with pytest.raises(Malformed):
        tokenize("LIST '@\"S\"/a\\'")
    kinds = [t.kind for t in tokenize("SELECT 1 -- x\n/* y */ // z")]
    assert kinds.count("comment") == 3
