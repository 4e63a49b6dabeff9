"""Engine settings checked before paying (core.engine_checks): a vLLM job's engine_args against the pool's
instance family and the job's own messages, each failure with its fix; the summary says the engine's
settings in words and the prompt of a chat job."""

from __future__ import annotations

from typing import Any

import pytest

from snowbatch.core.engine_args import parse_engine_args, parse_media_limit
from snowbatch.core.engine_checks import check_engine, describe_engine, media_parts
from snowbatch.core.names import ObjectName
from snowbatch.core.plan_facts import Check, PlanFacts
from snowbatch.core.plan_summary import summarize
from snowbatch.core.pools import FAMILIES
from snowbatch.core.preflight import run_preflight
from snowbatch.core.records import ColumnInfo, PoolInfo, RelationInfo, StageInfo, VersionDetail
from snowbatch.core.requests import BatchJobRequest, BatchJobSpec, ResolvedInput
from snowbatch.core.signatures import functions_from_model_spec

SPEC = {
    "signatures": {
        "predict": {
            "inputs": [{"name": "TEXT", "type": "STRING"}],
            "outputs": [{"name": "output_feature_0", "type": "STRING"}],
        }
    }
}
(FUNCTION,) = functions_from_model_spec(SPEC)
CHAT_FILES = {"kind": "chat", "stage_location": "@ML.PUBLIC.MEDIA/images/", "prompt": "Describe it"}


def pool(family: str, name: str = "GPU_POOL") -> PoolInfo:
    gpus = FAMILIES[family].gpus if family in FAMILIES else 0
    return PoolInfo(name=name, state="IDLE", instance_family=family, gpus=gpus)


def request(*args: str, engine: str | None = "vllm", **kw: Any) -> BatchJobRequest:
    base: dict[str, Any] = {
        "model": "ML.PUBLIC.M",
        "input": {"kind": "table", "table": "ML.PUBLIC.T"},
        "output_stage": "@ML.PUBLIC.OUT/run/",
        "compute_pool": "GPU_POOL",
        "engine": engine,
        "engine_args": list(args),
    }
    return BatchJobRequest(**{**base, **kw})


def facts(family: str = "GPU_NV_S") -> PlanFacts:
    return PlanFacts(
        backend="local",
        model="ML.PUBLIC.M",
        owner=ObjectName.parse("ML.PUBLIC.M", what="model"),
        function=FUNCTION,
        job_name="J1",
        detail=VersionDetail(model="ML.PUBLIC.M", version="V1", functions=[FUNCTION], model_type="custom"),
        relation=RelationInfo(
            source="ML.PUBLIC.T", columns=[ColumnInfo(name="TEXT", sql_type="TEXT")], row_count=3
        ),
        stage=StageInfo(name="ML.PUBLIC.OUT", encryption="SNOWFLAKE_SSE"),
        pool=pool(family),
    )


def engine_checks(*args: str, family: str = "GPU_NV_S", **kw: Any) -> dict[str, Check]:
    found = check_engine(request(*args, **kw), facts(family))
    named: dict[str, Check] = {}
    for c in found:  # the first of a name, so a later warning does not hide a failure
        named.setdefault(c.name, c)
    return named


# --- reading engine_args as vLLM does ------------------------------------------------------------------


def test_both_flag_forms_aliases_and_underscores_are_read_and_unknown_flags_pass_untouched() -> None:
    parsed = parse_engine_args(
        [
            "--tensor-parallel-size=2",
            "--max_model_len",
            "8192",
            "--enforce-eager",
            "--swap-space",
            "4",
            "--gpu-memory-utilization 0.8",
            "-pp",
            "1",
        ]
    )
    assert parsed.values == {
        "--tensor-parallel-size": "2",
        "--max-model-len": "8192",
        "--gpu-memory-utilization": "0.8",
        "--pipeline-parallel-size": "1",
    }
    assert parsed.others == ("--enforce-eager", "--swap-space", "4")  # as given, in order
    assert parse_engine_args(["-tp=4", "--tensor-parallel-size", "1"]).values == {
        "--tensor-parallel-size": "1"
    }


def test_a_checked_flag_without_its_value_fails_with_the_fix() -> None:
    assert parse_engine_args(["--max-model-len", "--enforce-eager"]).missing == ("--max-model-len",)
    check = engine_checks("--max-model-len", "--enforce-eager")["engine_max_model_len"]
    assert check.status == "fail" and "without a value" in check.message
    assert check.fix and "--max-model-len=<value>" in check.fix


def test_only_vllm_jobs_are_checked_whatever_the_case_of_its_name() -> None:
    bad = ("--tensor-parallel-size=two", "--gpu-memory-utilization=7")
    assert check_engine(request(*bad, engine="python_generic"), facts()) == []
    assert check_engine(request(*bad, engine=None), facts()) == []
    shouting = request(*bad).model_copy(update={"engine": "VLLM"})
    assert {c.status for c in check_engine(shouting, facts())} == {"fail"}


# --- tensor parallel against the family's GPUs ------------------------------------------------------------


def test_tensor_parallel_above_the_familys_gpus_fails_naming_the_family_and_a_bigger_one() -> None:
    check = engine_checks("--tensor-parallel-size=2")["engine_parallel"]
    assert check.status == "fail"
    assert "GPU_NV_S with 1 GPU per node" in check.message and "needs 2 GPUs" in check.message
    # the same cloud's smallest family with enough GPUs (AWS: GPU_NV_M, 4 × A10G), or a smaller size
    assert check.fix and "GPU_NV_M (4 × A10G 24 GB)" in check.fix and "at most 1" in check.fix
    azure = engine_checks("--tensor-parallel-size=2", family="GPU_NV_SM")["engine_parallel"]
    assert azure.fix and azure.fix.index("GPU_NV_2M") < azure.fix.index("GPU_NV_3M")


def test_tensor_times_pipeline_parallel_is_what_must_fit() -> None:
    assert engine_checks("-tp=2", "-pp=2", family="GPU_NV_M")["engine_parallel"].status == "pass"
    check = engine_checks("-tp=4", "-pp=2", family="GPU_NV_M")["engine_parallel"]
    assert check.status == "fail" and "needs 8 GPUs" in check.message and "GPU_NV_L" in (check.fix or "")
    assert "one node (UNVERIFIED" in check.message  # vLLM's pipeline stages may be nodes


def test_a_size_no_family_has_says_so() -> None:
    check = engine_checks("--tensor-parallel-size=16", family="GPU_NV_L")["engine_parallel"]
    assert check.status == "fail" and "no family in the table has 16 GPUs" in (check.fix or "")


def test_tensor_parallel_that_fits_passes() -> None:
    check = engine_checks("--tensor-parallel-size", "4", family="GPU_NV_M")["engine_parallel"]
    assert check.status == "pass" and "4 of the 4 GPUs of GPU_NV_M" in check.message


@pytest.mark.parametrize("value", ["two", "0", "1.5", "-1"])
def test_a_malformed_parallel_size_fails_with_the_fix(value: str) -> None:
    check = engine_checks(f"--tensor-parallel-size={value}")["engine_parallel"]
    assert check.status == "fail"
    assert check.fix and "--tensor-parallel-size=1" in check.fix


def test_an_unknown_gpu_family_warns_that_it_could_not_be_checked() -> None:
    check = engine_checks("--tensor-parallel-size=2", family="GPU_L40S_G1_16")["engine_parallel"]
    assert check.status == "warn" and "could not be checked" in check.message
    assert "SHOW COMPUTE POOL INSTANCE FAMILIES" in (check.fix or "")


def test_a_pool_without_gpus_is_left_to_the_pool_check() -> None:
    """check_pool already refuses a vLLM job on a CPU pool (core.compute): no second failure here."""
    assert "engine_parallel" not in engine_checks("--tensor-parallel-size=2", family="CPU_X64_S")


def test_fewer_requested_gpus_than_the_parallel_size_warns() -> None:
    found = check_engine(
        request("--tensor-parallel-size=4", scaling={"gpu_requests": "1"}), facts("GPU_NV_M")
    )
    warn = next(c for c in found if c.status == "warn")
    assert "gpu_requests is 1" in warn.message and "UNVERIFIED" in warn.message
    assert warn.fix and 'gpu_requests to "4"' in warn.fix


# --- GPU memory and context length --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "1.5", "-0.2", "ninety", "90%", "nan"])
def test_gpu_memory_utilization_outside_zero_to_one_fails(value: str) -> None:
    check = engine_checks(f"--gpu-memory-utilization={value}")["engine_gpu_memory"]
    assert check.status == "fail" and check.fix and "0.9" in check.fix


def test_gpu_memory_utilization_within_bounds_passes_with_the_familys_gib() -> None:
    check = engine_checks("--gpu-memory-utilization=0.5")["engine_gpu_memory"]
    assert check.status == "pass" and "12.0 of 24 GiB per GPU on GPU_NV_S" in check.message
    assert engine_checks("--gpu-memory-utilization=1")["engine_gpu_memory"].status == "pass"


def test_max_model_len_is_read_and_its_fit_is_said_to_be_unchecked() -> None:
    check = engine_checks("--max-model-len=8192", family="GPU_NV_M")["engine_max_model_len"]
    assert check.status == "pass" and "8,192 tokens" in check.message
    assert "4 × 24 GiB on GPU_NV_M" in check.message and "not checked" in check.message


@pytest.mark.parametrize(
    ("value", "status"), [("eight", "fail"), ("0", "fail"), ("8k", "warn"), ("auto", "warn")]
)
def test_max_model_len_malformed_fails_and_version_dependent_forms_warn(value: str, status: str) -> None:
    check = engine_checks(f"--max-model-len={value}")["engine_max_model_len"]
    assert check.status == status and "--max-model-len=8192" in (check.fix or "")


# --- media per prompt ---------------------------------------------------------------------------------


def test_media_limits_are_read_in_both_vllm_syntaxes() -> None:
    assert parse_media_limit('{"image": 2, "video": 0}') == {"image": 2, "video": 0}
    assert parse_media_limit("image=2,video=0") == {"image": 2, "video": 0}
    assert parse_media_limit('{"video": {"count": 1, "num_frames": 32}}') == {"video": 1}
    for bad in (
        "image:2",
        '{"image": "two"}',
        '{"image": -1}',
        '{"image": true}',
        "[1]",
        "image=2,",
        "image",
        "",
    ):
        assert parse_media_limit(bad) is None, bad


def test_a_chat_from_files_sends_one_media_part_per_message() -> None:
    assert media_parts("image", "Describe it", "Be brief") == 1
    assert media_parts("video", None, None) == 1


@pytest.mark.parametrize(
    ("limit", "media", "status"),
    [
        ('{"image": 0}', "image", "fail"),
        ("image=0", "image", "fail"),
        ('{"image": 1}', "image", "pass"),
        ("image=4,video=0", "image", "pass"),
        ("image=4,video=0", "video", "fail"),
        ('{"video": {"count": 0}}', "video", "fail"),
        ('{"audio": 0}', "image", "pass"),  # no image limit: vLLM's default (1 or 999) covers one part
        ("image:1", "image", "fail"),
    ],
)
def test_the_media_limit_must_allow_the_parts_each_message_carries(
    limit: str, media: str, status: str
) -> None:
    check = engine_checks(f"--limit-mm-per-prompt={limit}", input={**CHAT_FILES, "media": media})[
        "engine_media_limit"
    ]
    assert check.status == status
    if status == "fail":
        assert check.fix and f'{{"{media}": 1}}' in check.fix and f"{media}=1" in check.fix


def test_the_media_limit_is_not_checked_for_messages_from_a_table_or_when_not_given() -> None:
    from_table = {"kind": "chat", "table": "ML.PUBLIC.MESSAGES"}
    assert "engine_media_limit" not in engine_checks('--limit-mm-per-prompt={"image": 0}', input=from_table)
    assert "engine_media_limit" not in engine_checks(input=CHAT_FILES)


# --- wired into the plan, and said in the summary -------------------------------------------------------


def test_a_failing_engine_setting_blocks_the_plan() -> None:
    pre = run_preflight(request("--tensor-parallel-size=2"), facts())
    assert not pre.ok and "GPU_NV_S with 1 GPU per node" in pre.summary
    assert run_preflight(request("--tensor-parallel-size=1"), facts()).ok


def test_the_engine_is_described_in_words() -> None:
    args = ["--tensor-parallel-size=1", "--max-model-len", "8192", "--gpu-memory-utilization=0.9"]
    assert describe_engine("vllm", args) == (
        "vLLM — tensor parallel 1, max model length 8192, GPU memory use 0.9"
    )
    assert describe_engine("vllm", ['--limit-mm-per-prompt={"image": 2}', "--enforce-eager"]) == (
        "vLLM — media per prompt image 2, other args --enforce-eager"
    )
    assert describe_engine("vllm", None) == "vLLM — the engine's defaults (no engine_args)"
    assert describe_engine("python_generic", None) == "python_generic"


def test_the_summary_shows_the_prompt_and_the_engine_settings() -> None:
    spec = BatchJobSpec(
        model="ML.PUBLIC.M",
        version="V1",
        function_name="__CALL__",
        target_method="__call__",
        input=ResolvedInput(
            kind="chat",
            files=["@ML.PUBLIC.MEDIA/a.png"],
            columns=["MESSAGES"],
            row_count=1,
            chat_template={"prompt": 'Say "what" you see', "system": "Be brief", "media": "image"},
        ),
        output_stage="@ML.PUBLIC.OUT/run/",
        compute_pool="GPU_POOL",
        mode="error",
        job_name="ML.PUBLIC.J1",
        engine="vllm",
        engine_args=["--tensor-parallel-size=1", "--max-model-len=8192"],
    )
    summary = summarize(spec, facts(), [])
    assert '  prompt   "Say \\"what\\" you see"' in summary
    assert '  system   "Be brief"' in summary
    assert "  engine   vLLM — tensor parallel 1, max model length 8192" in summary
    long = spec.model_copy(
        update={"input": spec.input.model_copy(update={"chat_template": {"prompt": "x" * 600}})}
    )
    assert "(600 characters in all)" in summarize(long, facts(), [])


def test_every_gpu_family_has_its_memory_per_gpu_and_cloud_from_the_docs_table() -> None:
    """docs/research/files-multimodal.md §1, from CREATE COMPUTE POOL's instance-family table."""
    expected = {
        "GPU_NV_S": (1, 24, "AWS"),
        "GPU_NV_M": (4, 24, "AWS"),
        "GPU_NV_L": (8, 40, "AWS"),
        "GPU_NV_XS": (1, 16, "Azure"),
        "GPU_NV_SM": (1, 24, "Azure"),
        "GPU_NV_2M": (2, 24, "Azure"),
        "GPU_NV_3M": (2, 80, "Azure"),
        "GPU_NV_SL": (4, 80, "Azure"),
        "GPU_GCP_NV_L4_1_24G": (1, 24, "GCP"),
        "GPU_GCP_NV_L4_4_24G": (4, 24, "GCP"),
        "GPU_GCP_NV_A100_8_40G": (8, 40, "GCP"),
    }
    gpu_families = {f.name: (f.gpus, f.gpu_memory_gib, f.cloud) for f in FAMILIES.values() if f.gpus}
    assert gpu_families == expected
    assert all(f.gpu_memory_gib is None for f in FAMILIES.values() if not f.gpus)
