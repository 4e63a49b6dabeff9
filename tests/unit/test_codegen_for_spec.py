"""A planned job (`BatchJobSpec`) becomes the code that submits the same job: the template follows the
input kind, and every setting of the spec shows up in the code."""

from __future__ import annotations

from typing import Any

import pytest

from snowbatch.core.codegen import spec_parameters
from snowbatch.core.errors import InvalidRequest
from snowbatch.core.requests import BatchJobSpec, ResolvedInput
from snowbatch.templates import render_for_spec


def spec(input_: ResolvedInput, **overrides: Any) -> BatchJobSpec:
    fields: dict[str, Any] = {
        "model": "ML.PUBLIC.CHURN",
        "version": "V1",
        "function_name": "PREDICT",
        "target_method": "predict",
        "input": input_,
        "output_stage": "@ML.PUBLIC.OUT/scores/",
        "compute_pool": "CPU_POOL",
        "mode": "error",
        "job_name": "BATCH_20240101_ABC",
    }
    return BatchJobSpec(**{**fields, **overrides})


TABLE = ResolvedInput(kind="table", table="ML.PUBLIC.CUSTOMERS", columns=["AGE", "PLAN"])


def test_a_table_job_with_defaults_is_the_basic_tabular_template() -> None:
    template, params = spec_parameters(spec(TABLE))
    assert template == "run_batch_tabular"
    assert params["input_table"] == "ML.PUBLIC.CUSTOMERS" and params["columns"] == ["AGE", "PLAN"]
    code = render_for_spec(spec(TABLE), "2.6.0").code
    assert 'session.table("ML.PUBLIC.CUSTOMERS")' in code and 'select("AGE", "PLAN")' in code
    assert 'JOB_NAME = "BATCH_20240101_ABC"' in code and 'function_name="PREDICT"' in code
    assert 'mv = model.version("V1")' in code and "mode=SaveMode.ERROR" in code


@pytest.mark.parametrize(
    "scaling",
    [{"replicas": 3}, {"num_workers": 4}, {"max_batch_rows": 100}, {"gpu_requests": "1"}, {"engine": "vllm"}],
)
def test_any_scaling_setting_selects_the_scaled_template(scaling: dict[str, Any]) -> None:
    template, params = spec_parameters(spec(TABLE, **scaling))
    assert template == "run_batch_scaled"
    assert all(params[k] == v for k, v in scaling.items())


def test_scaling_reaches_the_code_in_each_api_generation() -> None:
    job = spec(TABLE, replicas=2, num_workers=3, cpu_requests="4", mode="overwrite")
    old = render_for_spec(job, "1.38.0").code
    assert "replicas=2," in old and "num_workers=3," in old and 'cpu_requests="4",' in old
    assert "mode=SaveMode.OVERWRITE" in old
    new = render_for_spec(job, "2.6.0").code
    assert "resources_spec=ResourcesSpec(" in new and "\n    replicas=2,\n" in new


def test_inline_rows_become_a_dataframe() -> None:
    rows = ResolvedInput(kind="rows", rows=[{"AGE": 40, "PLAN": "gold"}], columns=["AGE", "PLAN"])
    job = spec(rows, params={"threshold": 0.3})
    assert spec_parameters(job)[0] == "run_batch_tabular"
    code = render_for_spec(job, "2.6.0").code
    assert '[40, "gold"],' in code and 'schema=["AGE", "PLAN"]' in code
    assert 'params={"threshold": 0.3}' in code


def test_a_case_sensitive_function_keeps_its_quotes() -> None:
    _, params = spec_parameters(spec(TABLE, function_name="predictProba"))
    assert params["function_name"] == '"predictProba"'
    assert (
        """function_name='"predictProba"'"""
        in render_for_spec(spec(TABLE, function_name="predictProba"), "2.6.0").code
    )


FILES = ResolvedInput(
    kind="files",
    files=["@ML.PUBLIC.MEDIA/a.jpg", "@ML.PUBLIC.MEDIA/b.jpg"],
    file_column="IMAGES",
    columns=["IMAGES"],
)


def test_a_files_job_lists_its_exact_files_with_their_encoding() -> None:
    job = spec(FILES, column_handling={"IMAGES": "RAW_BYTES"}, gpu_requests="1", compute_pool="GPU_POOL")
    template, params = spec_parameters(job)
    assert template == "run_batch_files" and params["encoding"] == "RAW_BYTES"
    code = render_for_spec(job, "1.54.0").code
    assert '"@ML.PUBLIC.MEDIA/a.jpg",' in code and 'schema=["IMAGES"]' in code
    assert (
        '"IMAGES": {"input_format": InputFormat.FULL_STAGE_PATH, "convert_to": FileEncoding.RAW_BYTES}'
    ) in code
    assert 'gpu_requests="1",' in code


def test_a_files_job_without_an_encoding_is_refused_with_the_fix() -> None:
    with pytest.raises(InvalidRequest) as caught:
        spec_parameters(spec(FILES))
    assert "column_handling" in caught.value.next_step


def test_a_chat_job_from_files_builds_messages_around_the_prompt() -> None:
    chat = ResolvedInput(
        kind="chat",
        files=["@ML.PUBLIC.MEDIA/a.mp3"],
        columns=["MESSAGES"],
        chat_template={"prompt": "Summarise.", "system": "Be short.", "media": "audio"},
    )
    job = spec(
        chat,
        params={"temperature": 0.1},
        engine="vllm",
        engine_args=["--max-model-len=4096"],
        gpu_requests="1",
        compute_pool="GPU_POOL",
    )
    template, params = spec_parameters(job)
    assert template == "run_batch_chat" and params["media"] == "audio"
    code = render_for_spec(job, "2.6.0").code
    assert 'PROMPT = "Summarise."' in code and '"type": "input_audio"' in code
    assert 'params={"temperature": 0.1}' in code and "engine=InferenceEngine.VLLM," in code


def test_a_chat_job_from_a_messages_table_reads_it() -> None:
    chat = ResolvedInput(kind="chat", chat_table="ML.PUBLIC.CONVERSATIONS", columns=["MESSAGES"])
    code = render_for_spec(spec(chat), "1.28.0").code
    assert 'session.table("ML.PUBLIC.CONVERSATIONS").select("MESSAGES")' in code
    assert "job_spec=JobSpec(" in code


def test_the_code_targets_the_release_asked_for() -> None:
    assert render_for_spec(spec(TABLE), "1.33.0").target_version == "1.33.0"


def test_a_files_job_planned_from_a_stage_listing_re_lists_the_stage_instead_of_carrying_every_path() -> None:
    many = [f"@ML.PUBLIC.MEDIA/clips/{i:05d}.wav" for i in range(5000)]
    listed = ResolvedInput(
        kind="files",
        files=many,
        file_column="AUDIO",
        columns=["AUDIO"],
        stage_location="@ML.PUBLIC.MEDIA/clips/",
        pattern=r".*\.wav",
        limit=None,
    )
    job = spec(listed, column_handling={"AUDIO": "RAW_BYTES"})
    template, params = spec_parameters(job)
    code = render_for_spec(job, "2.6.0").code
    assert template == "run_batch_files"
    assert params["file_stage"] == "@ML.PUBLIC.MEDIA/clips/" and "files" not in params
    assert "list_stage_files" in code and "00042.wav" not in code
    assert len(code) < 6000
