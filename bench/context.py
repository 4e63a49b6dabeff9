"""Context economy: tool calls and bytes of tool output from request to verified results.

The tabular flow runs three ways on the same fixtures (snowbatch.samples: ML.PUBLIC.CUSTOMERS and
CHURN_CLASSIFIER):

- through snowbatch on the local backend, over stdio, as an assistant's client would (the job really runs);
- through snowbatch on the Snowflake backend over the SQL-level fake account (tests/fakes), in process;
- through raw SQL on the same fake account, as an assistant with only a SQL tool would do it: one call
  per statement, each answer as compact JSON rows (what a SQL tool such as the official server's query
  tool hands back), the job submitted by one `run_batch()` call whose printed job id is its output.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Row, Section, ratio
from bench.flows import FUNCTION, MODEL, TABLE, FlowResult, run_flow
from snowbatch import samples

SEED_ROWS = 3000  # the fake account's CUSTOMERS (tests/fakes/seed.py); the local account gets the same
BYTES_PER_TOKEN = 3.75  # English prose and JSON for Claude-class tokenizers: an estimate, not a count
TOOLS_LIST_TARGET = 12 * 1024
BUDGET_TARGET_TOKENS = 8000
SKILLS_READ = ("batch-inference", "batch-inference-jobs")  # what a tabular job loads


async def tools_list_bytes() -> int:
    """The whole tools/list result an assistant receives (the tools and the result's own fields) as
    compact JSON, over the protocol most clients speak today (legacy mode)."""
    from mcp import Client

    from snowbatch.server import build_server
    from snowbatch.settings import Settings

    with tempfile.TemporaryDirectory(prefix="snowbatch-bench-tools-") as tmp:
        async with Client(build_server(Settings(backend="local", home=Path(tmp))), mode="legacy") as client:
            result = await client.list_tools()
    return len(
        json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":"))
    )


def skills_bytes() -> int:
    root = Path(__file__).resolve().parents[1] / "skills"
    return sum(len((root / name / "SKILL.md").read_bytes()) for name in SKILLS_READ)


def seed_local(home: Path, rows: int = SEED_ROWS) -> None:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.backends.local.seed import seed_local_account

    seed_local_account(LocalBackend(home), rows=rows)


async def local_flows(names: list[str]) -> dict[str, FlowResult]:
    from mcp import Client, StdioServerParameters

    out: dict[str, FlowResult] = {}
    with tempfile.TemporaryDirectory(prefix="snowbatch-bench-context-") as tmp:
        home = Path(tmp) / "home"
        seed_local(home)
        env = {**os.environ, "SNOWBATCH_HOME": str(home), "SNOWBATCH_BACKEND": "local"}
        params = StdioServerParameters(command=sys.executable, args=["-m", "snowbatch", "serve"], env=env)
        for name in names:  # one server session per flow, as one conversation each
            async with Client(params) as client:
                out[name] = await run_flow(client, name)
    return out


def _fake_backend(tmp: Path) -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fakes lives in the repo
    from tests.fakes import make_fake_snowflake_backend

    return make_fake_snowflake_backend(tmp)


async def fake_flows(names: list[str]) -> dict[str, FlowResult]:
    from mcp import Client

    from snowbatch.server import build_server
    from snowbatch.settings import Settings

    out: dict[str, FlowResult] = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix="snowbatch-bench-fake-") as tmp:
            backend = _fake_backend(Path(tmp))
            settings = Settings.model_validate({"backend": "snowflake", "home": Path(tmp) / "home"})
            async with Client(build_server(settings, backend=backend)) as client:
                out[name] = await run_flow(client, name)
    return out


# --- raw SQL on the same fake account ---------------------------------------------------------------
def _json_rows(rows: list[Any]) -> str:
    return json.dumps([r.as_dict() for r in rows], default=str, separators=(",", ":"))


def raw_sql_flow() -> FlowResult:
    """The same request done with SQL statements (and one run_batch() call) on the fake account."""
    started = time.perf_counter()
    calls: list[tuple[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="snowbatch-bench-rawsql-") as tmp:
        backend = _fake_backend(Path(tmp))
        acct = backend.fake_account
        session = acct.session()

        def sql(
            label: str,
            text: str,
            params: list[Any] | None = None,
            statement_params: dict[str, Any] | None = None,
        ) -> list[Any]:
            rows = session.sql(text, params=params).collect(statement_params=statement_params)
            calls.append((label, len(_json_rows(rows).encode())))
            return rows

        db, sc = samples.DATABASE, samples.SCHEMA
        sql(
            "SELECT CURRENT_*()",
            "SELECT CURRENT_ACCOUNT(), CURRENT_USER(), CURRENT_ROLE(), "
            "CURRENT_WAREHOUSE(), CURRENT_DATABASE(), CURRENT_SCHEMA()",
        )
        sql("SHOW MODELS", f"SHOW MODELS LIKE '{samples.CHURN_MODEL}' IN SCHEMA {db}.{sc}")
        versions = sql(
            "SHOW VERSIONS (model_spec)",
            f"SHOW VERSIONS IN MODEL {MODEL}",
            statement_params={"SHOW_MODEL_DETAILS_IN_SHOW_VERSIONS_IN_MODEL": True},
        )
        version = next(r["name"] for r in versions if str(r["is_default_version"]).lower() == "true")
        sql("SHOW FUNCTIONS", f"SHOW FUNCTIONS IN MODEL {MODEL} VERSION {version}")
        sql("DESCRIBE TABLE", f"DESCRIBE TABLE {TABLE}")
        sql("SHOW STAGES", f"SHOW STAGES IN SCHEMA {db}.{sc}")
        sql("SHOW COMPUTE POOLS", "SHOW COMPUTE POOLS")

        # the job: the assistant writes and runs run_batch() code; its output is the printed job id
        from snowbatch.core.requests import BatchJobSpec, ResolvedInput

        run_dir = f"churn/{int(time.time())}/"
        job_name = f"{db}.{sc}.BENCH_RAW_SQL_JOB"
        spec = BatchJobSpec(
            model=MODEL,
            version=version,
            function_name=FUNCTION,
            target_method=FUNCTION.lower(),
            input=ResolvedInput(kind="table", table=TABLE, columns=["CUSTOMER_ID", *samples.CHURN_FEATURES]),
            output_stage=f"@{db}.{sc}.{samples.OUTPUT_STAGE}/{run_dir}",
            compute_pool="CPU_POOL",
            mode="error",
            job_name=job_name,
        )
        job = backend.submit_job(spec)
        assert backend._jobs.submitter.join(job.job_id, 120), "the submission did not land"  # background
        calls.append(("run_batch() in Python", len(f"{job.job_id}\n".encode())))
        sql("DESCRIBE SERVICE", "DESCRIBE SERVICE IDENTIFIER(?)", params=[job_name])
        listing = sql("LIST output", f"LIST @{db}.{sc}.{samples.OUTPUT_STAGE}/{run_dir}")
        if not any(str(r["name"]).endswith("/_SUCCESS") for r in listing):
            raise RuntimeError("raw SQL flow: no _SUCCESS in the job's output")
        # SELECT … FROM @stage (FILE_FORMAT => parquet) LIMIT 5: the fake does not run stage queries, so
        # the same five rows are read from the stage's Parquet and sized as the SQL tool would return them.
        from tests.fakes import stagefiles

        stage = acct.stage_for((db, sc, samples.OUTPUT_STAGE))
        frame = stagefiles.read_parquet(stage, run_dir)
        preview = frame.head(5).to_dict(orient="records")
        calls.append(
            (
                "SELECT … FROM @stage LIMIT 5",
                len(json.dumps(preview, default=str, separators=(",", ":")).encode()),
            )
        )
        rows = len(frame)
    return FlowResult(
        name="raw SQL",
        calls=len(calls),
        bytes=sum(b for _, b in calls),
        per_tool=calls,
        rows=rows,
        verified=True,
        seconds=time.perf_counter() - started,
    )


async def run() -> Section:
    section = Section("context")
    local = await local_flows(["skill", "earlier"])
    fake = await fake_flows(["skill", "earlier"])
    raw = raw_sql_flow()
    for backend, flows in (("local", local), ("snowflake (fake)", fake)):
        for name, res in flows.items():
            target_calls = 8 if name == "skill" else None
            target_bytes = 12 * 1024 if name == "skill" else None
            base = raw if backend.startswith("snowflake") else None
            section.rows.append(
                Row(
                    "context",
                    f"tabular flow, {name} — {backend}: tool calls",
                    res.calls,
                    "calls",
                    base.calls if base else None,
                    "raw SQL" if base else "",
                    ratio(res.calls, base.calls) if base else None,
                    target_calls,
                    "<=",
                    target_on="value",
                    note=" → ".join(_compress([t for t, _ in res.per_tool])),
                )
            )
            section.rows.append(
                Row(
                    "context",
                    f"tabular flow, {name} — {backend}: bytes of tool output",
                    res.bytes,
                    "B",
                    base.bytes if base else None,
                    "raw SQL" if base else "",
                    ratio(res.bytes, base.bytes) if base else None,
                    target_bytes,
                    "<=",
                    target_on="value",
                    note=f"{res.rows:,} rows verified; largest: "
                    + ", ".join(f"{t} {b:,}" for t, b in sorted(res.per_tool, key=lambda x: -x[1])[:3]),
                )
            )
    section.rows.append(
        Row(
            "context",
            "tabular flow through raw SQL (fake account): calls / bytes",
            raw.calls,
            "calls",
            note=f"{raw.bytes:,} B; largest: "
            + ", ".join(f"{t} {b:,}" for t, b in sorted(raw.per_tool, key=lambda x: -x[1])[:3]),
        )
    )
    listed, skills = await tools_list_bytes(), skills_bytes()
    results = local["skill"].bytes
    total = listed + skills + results
    section.rows.append(
        Row("context", "tools/list (compact JSON)", listed, "B", target=TOOLS_LIST_TARGET, compare="<=",
            target_on="value", note=f"{listed:,} B")
    )  # fmt: skip
    section.rows.append(
        Row(
            "context",
            "budget of a tabular job: tools/list + skills read + tool results",
            round(total / BYTES_PER_TOKEN),
            "tokens",
            target=BUDGET_TARGET_TOKENS,
            compare="<=",
            target_on="value",
            note=f"{total:,} B = tools/list {listed:,} + skills ({' + '.join(SKILLS_READ)}) {skills:,} + "
            f"results {results:,}; tokens estimated at {BYTES_PER_TOKEN} bytes each",
        )
    )
    section.details = {"local": local, "fake": fake, "raw": raw}
    return section


def _compress(tools: list[str]) -> list[str]:
    """submit_batch_job, submit_batch_job → submit_batch_job ×2."""
    out: list[str] = []
    for t in tools:
        if out and out[-1].split(" ×")[0] == t:
            n = int(out[-1].split(" ×")[1]) + 1 if " ×" in out[-1] else 2
            out[-1] = f"{t} ×{n}"
        else:
            out.append(t)
    return out
