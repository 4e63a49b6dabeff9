"""Files and chat requests on the Snowflake backend (SQL-level fake): planned by the same code as on the
local backend, they become one `run_batch` call with `InputSpec(column_handling, params)` and
`InferenceSpec(engine_options=EngineOptions(...))` — checked in the specification the real
snowflake-ml-python client sends with EXECUTE INFERENCE JOB SERVICE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from snowbatch.core.requests import BatchJobRequest
from snowbatch.planning import make_plan
from snowbatch.samples import models as sm
from tests.fakes import make_fake_snowflake_backend
from tests.fakes.seed import seed_media

DB, SC = "ML", "PUBLIC"
MEDIA_FILES = {
    "images/a.png": b"\x89PNG\r\n\x1a\nfake",
    "images/b.jpg": b"\xff\xd8\xff\xe0fake",
    "audio/s.wav": b"RIFF\x00\x00\x00\x00WAVEfake",
}


@pytest.fixture
def backend(tmp_path: Path) -> Any:
    backend = make_fake_snowflake_backend(tmp_path)
    acct = backend.fake_account
    acct.job_behaviour = "pending"  # the spec is what is under test, not a fake run of it
    seed_media(acct, MEDIA_FILES)
    return backend


def submit(backend: Any, **request: Any) -> tuple[Any, dict[str, Any], list[str]]:
    base = {"output_stage": "@ML.PUBLIC.BATCH_OUT/media/", "compute_pool": "CPU_POOL"}
    plan = make_plan(backend, BatchJobRequest(**{**base, **request}), snowml_version=None)
    assert plan.ok, [c for c in plan.checks if c.status == "fail"]
    backend.fake_account.clear_statements()
    job = backend.submit_job(plan.spec)
    assert backend._jobs.submitter.join(job.job_id, 30)
    name = tuple(job.job_id.split("."))
    fake_job = backend.fake_account.jobs[name]
    return plan, yaml.safe_load(fake_job.spec_yaml), backend.fake_account.sql_log()


def unloaded_rows(backend: Any, log: list[str]) -> list[dict[str, Any]]:
    """The input frame run_batch unloaded to the stage before the job (COPY INTO … parquet)."""
    import pandas as pd

    copy = next(s for s in log if s.startswith("COPY INTO"))
    target = copy.split("'", 2)[1]  # '@"ML"."PUBLIC"."BATCH_OUT"/media/_snowflake_temporary/<uuid>/'
    rel = target.split("/", 1)[1]
    folder = Path(backend.fake_account.stage_for((DB, SC, "BATCH_OUT")).folder) / rel
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.rglob("*.parquet"))]).to_dict("records")


def test_a_files_request_becomes_run_batch_with_column_handling_and_params(backend: Any) -> None:
    plan, spec, log = submit(
        backend,
        model=f"ML.PUBLIC.{sm.FILE_INSPECTOR}",
        input={"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/images/"},
        column_handling={"FILE": "RAW_BYTES"},
        scaling={"num_workers": 2, "max_batch_rows": 8},
    )
    assert {c.name: c.status for c in plan.checks}["input_stage"] == "pass"
    handling = spec["input"]["column_handling"]
    if isinstance(handling, str):  # the client may send it base64-encoded JSON
        import base64

        handling = json.loads(base64.b64decode(handling))
    # InputFormat.FULL_STAGE_PATH / FileEncoding.RAW_BYTES, as the real client serialises the enums
    assert handling == {"FILE": {"input_format": "full_stage_path", "convert_to": "raw_bytes"}}
    assert spec["inference"]["num_workers"] == 2 and spec["inference"]["max_batch_rows"] == 8
    assert log[-1].startswith("EXECUTE INFERENCE JOB SERVICE IN COMPUTE POOL CPU_POOL")
    assert "FUNCTION = 'inspect'" in log[-1]
    rows = unloaded_rows(backend, log)
    assert sorted(r["FILE"] for r in rows) == [
        "@ML.PUBLIC.MEDIA/images/a.png",
        "@ML.PUBLIC.MEDIA/images/b.jpg",
    ]


def test_a_chat_request_becomes_run_batch_with_params_and_engine_options(backend: Any) -> None:
    _plan, spec, log = submit(
        backend,
        model=f"ML.PUBLIC.{sm.IMAGE_CHAT_DEMO}",
        input={"kind": "chat", "table": None, "stage_location": "@ML.PUBLIC.MEDIA/images/", "prompt": "Hi"},
        params={"max_completion_tokens": 64, "temperature": 0.0},
        engine="vllm",
        engine_args=["--max-model-len=4096"],
        compute_pool="GPU_POOL",  # vLLM runs on GPUs only (core.compute): a CPU pool is refused
    )
    params = spec["input"]["params"]
    if isinstance(params, str):
        import base64

        params = json.loads(base64.b64decode(params))
    assert params == {"max_completion_tokens": 64, "temperature": 0.0}
    assert "column_handling" not in spec["input"] or not spec["input"]["column_handling"]
    engine = (
        spec["inference"]["engine_options"] if "engine_options" in spec["inference"] else spec["inference"]
    )
    assert str(engine.get("engine", "")).upper() == "VLLM"
    assert engine.get("engine_args_override") == ["--max-model-len=4096"]
    assert "FUNCTION = '__call__'" in log[-1]


def test_a_chat_built_from_files_unloads_one_messages_row_per_file(backend: Any) -> None:
    _plan, _spec, log = submit(
        backend,
        model=f"ML.PUBLIC.{sm.IMAGE_CHAT_DEMO}",
        input={"kind": "chat", "stage_location": "@ML.PUBLIC.MEDIA/images/", "prompt": "Hi"},
    )
    rows = unloaded_rows(backend, log)
    assert [list(r) for r in rows] == [["MESSAGES", "FILE_PATH"], ["MESSAGES", "FILE_PATH"]]
    urls = sorted(json.loads(r["MESSAGES"])[-1]["content"][-1]["image_url"]["url"] for r in rows)
    assert urls == ["@ML.PUBLIC.MEDIA/images/a.png", "@ML.PUBLIC.MEDIA/images/b.jpg"]
    # each row also carries its file's path as a plain column, so answers join back without JSON
    assert all(
        json.loads(r["MESSAGES"])[-1]["content"][-1]["image_url"]["url"] == r["FILE_PATH"] for r in rows
    )
