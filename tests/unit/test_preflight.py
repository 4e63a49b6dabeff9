"""Preflight: every problem found before anything is spent, each with its fix."""

from typing import Any

from snowbatch.core.plan_facts import PlanFacts
from snowbatch.core.preflight import run_preflight
from snowbatch.core.records import (
    ColumnInfo,
    FileListing,
    PoolInfo,
    RelationInfo,
    StageFile,
    StageInfo,
    VersionDetail,
)
from snowbatch.core.requests import BatchJobRequest
from snowbatch.core.signatures import functions_from_model_spec

SPEC = {
    "signatures": {
        "predict": {
            "inputs": [{"name": "AGE", "type": "INT64"}, {"name": "INCOME", "type": "DOUBLE"}],
            "outputs": [{"name": "output_feature_0", "type": "INT64"}],
        },
        "transcribe": {
            "inputs": [{"name": "audio", "type": "BYTES"}],
            "outputs": [{"name": "text", "type": "STRING"}],
            "params": [{"name": "language", "dtype": "STRING", "default_value": "en"}],
        },
    }
}
FUNCS = {f.target_method: f for f in functions_from_model_spec(SPEC)}
GOOD_COLUMNS = [
    ColumnInfo(name="ID", sql_type="NUMBER(38,0)"),
    ColumnInfo(name="AGE", sql_type="NUMBER(38,0)"),
    ColumnInfo(name="INCOME", sql_type="FLOAT"),
]
SSE = StageInfo(name="ML.PUBLIC.OUT", encryption="SNOWFLAKE_SSE")
POOL = PoolInfo(name="CPU_POOL", state="IDLE", instance_family="CPU_X64_S", vcpu=3, max_nodes=2)


def request(**kw: Any) -> BatchJobRequest:
    base: dict[str, Any] = {
        "model": "ML.PUBLIC.M",
        "input": {"kind": "table", "table": "ML.PUBLIC.T"},
        "output_stage": "@ML.PUBLIC.OUT/run/",
        "compute_pool": "CPU_POOL",
    }
    return BatchJobRequest(**{**base, **kw})


def facts(method: str = "predict", **kw: Any) -> PlanFacts:
    base: dict[str, Any] = {
        "backend": "local",
        "model": "ML.PUBLIC.M",
        "function": FUNCS[method],
        "job_name": "J1",
        "detail": VersionDetail(
            model="ML.PUBLIC.M",
            version="V1",
            functions=list(FUNCS.values()),
            runnable_in=["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"],
            model_type="sklearn",
        ),
        "relation": RelationInfo(source="ML.PUBLIC.T", columns=GOOD_COLUMNS, row_count=10),
        "stage": SSE,
        "pool": POOL,
    }
    return PlanFacts(**{**base, **kw})


def statuses(pre: Any) -> dict[str, str]:
    return {c.name: c.status for c in pre.checks}


def test_a_good_tabular_request_passes_and_summarises_everything() -> None:
    pre = run_preflight(request(), facts())
    assert pre.ok
    assert pre.spec.function_name == "PREDICT" and pre.spec.job_output_location == "@ML.PUBLIC.OUT/run/J1/"
    for part in ("ML.PUBLIC.M", "V1", "PREDICT", "ML.PUBLIC.T", "10 rows", "CPU_POOL", "ERROR", "J1"):
        assert part in pre.summary
    assert "passed through unchanged: ID" in next(c.message for c in pre.checks if c.name == "input_columns")


def test_a_missing_column_fails_with_the_fix() -> None:
    pre = run_preflight(
        request(), facts(relation=RelationInfo(source="T", columns=GOOD_COLUMNS[:2], row_count=5))
    )
    check = next(c for c in pre.checks if c.name == "input_columns")
    assert not pre.ok and check.status == "fail" and "INCOME" in check.message and check.fix


def test_a_wrong_type_fails() -> None:
    cols = [ColumnInfo(name="AGE", sql_type="VARCHAR"), ColumnInfo(name="INCOME", sql_type="FLOAT")]
    pre = run_preflight(request(), facts(relation=RelationInfo(source="T", columns=cols, row_count=5)))
    assert statuses(pre)["input_types"] == "fail"
    assert "AGE is VARCHAR" in next(c.message for c in pre.checks if c.name == "input_types")


def test_columns_matching_only_case_insensitively_warn() -> None:
    cols = [ColumnInfo(name="age", sql_type="NUMBER(38,0)"), ColumnInfo(name="INCOME", sql_type="FLOAT")]
    pre = run_preflight(request(), facts(relation=RelationInfo(source="T", columns=cols, row_count=5)))
    assert pre.ok and statuses(pre)["input_case"] == "warn"


def test_a_client_side_encrypted_stage_fails() -> None:
    pre = run_preflight(request(), facts(stage=StageInfo(name="ML.PUBLIC.OLD", encryption="SNOWFLAKE_FULL")))
    assert statuses(pre)["output_stage"] == "fail"
    assert "create_stage" in next(c.fix for c in pre.checks if c.name == "output_stage")  # type: ignore[operator]


def test_a_missing_stage_fails() -> None:
    pre = run_preflight(request(), facts(stage=None, stage_error="Stage ML.PUBLIC.OUT does not exist."))
    assert statuses(pre)["output_stage"] == "fail"


def test_a_non_empty_location_fails_in_error_mode_and_warns_in_overwrite_mode() -> None:
    assert (
        statuses(run_preflight(request(), facts(output_occupants=["RUN_1", "RUN_2", "RUN_3"])))[
            "output_location"
        ]
        == "fail"
    )
    assert (
        statuses(
            run_preflight(request(mode="overwrite"), facts(output_occupants=["RUN_1", "RUN_2", "RUN_3"]))
        )["output_location"]
        == "warn"
    )


def test_a_suspended_pool_without_auto_resume_fails_and_points_to_resume() -> None:
    pool = POOL.model_copy(update={"state": "SUSPENDED", "auto_resume": False})
    pre = run_preflight(request(), facts(pool=pool))
    assert statuses(pre)["pool_state"] == "fail"
    assert "resume_compute_pool" in (next(c.fix for c in pre.checks if c.name == "pool_state") or "")


def test_an_unknown_pool_fails() -> None:
    assert statuses(run_preflight(request(), facts(pool=None)))["compute_pool"] == "fail"


def test_gpu_requests_on_a_cpu_model_fail() -> None:
    pre = run_preflight(request(scaling={"gpu_requests": "1"}), facts())
    assert statuses(pre)["gpu_requests"] == "fail"


def test_replicas_beyond_the_pool_warn() -> None:
    assert statuses(run_preflight(request(scaling={"replicas": 5}), facts()))["replicas"] == "warn"


def test_files_get_the_encoding_the_signature_needs() -> None:
    listing = FileListing(
        location="@ML.PUBLIC.MEDIA/",
        count=2,
        total_bytes=20,
        extensions={".wav": 2},
        files=[
            StageFile(path="@ML.PUBLIC.MEDIA/a.wav", size=10),
            StageFile(path="@ML.PUBLIC.MEDIA/b.wav", size=10),
        ],
    )
    req = request(input={"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/"}, params={"language": "en"})
    pre = run_preflight(req, facts("transcribe", relation=None, files=listing))
    assert pre.ok, pre.checks
    assert pre.spec.column_handling == {"AUDIO": "RAW_BYTES"}
    assert pre.spec.input.files == ["@ML.PUBLIC.MEDIA/a.wav", "@ML.PUBLIC.MEDIA/b.wav"]


def test_a_base64_encoding_for_a_bytes_input_fails() -> None:
    listing = FileListing(
        location="@S/",
        count=1,
        total_bytes=1,
        extensions={".wav": 1},
        files=[StageFile(path="@ML.PUBLIC.MEDIA/a.wav", size=1)],
    )
    req = request(input={"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/", "encoding": "BASE64"})
    pre = run_preflight(req, facts("transcribe", relation=None, files=listing))
    assert statuses(pre)["encoding_AUDIO"] == "fail"


def test_no_matching_files_fail() -> None:
    listing = FileListing(location="@S/", count=0, total_bytes=0, extensions={}, files=[])
    req = request(input={"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/"})
    assert statuses(run_preflight(req, facts("transcribe", relation=None, files=listing)))["files"] == "fail"


def test_unknown_params_fail() -> None:
    pre = run_preflight(request(params={"temperature": 0.1}), facts())
    assert statuses(pre)["params"] == "fail"


def test_an_empty_input_fails() -> None:
    pre = run_preflight(
        request(), facts(relation=RelationInfo(source="T", columns=GOOD_COLUMNS, row_count=0))
    )
    assert statuses(pre)["row_count"] == "fail"
