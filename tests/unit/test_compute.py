"""One truth about compute: GPU required, recommended or pointless, and warehouse or not, with the reason."""

from __future__ import annotations

import pytest

from snowbatch.core.compute import compute_for
from snowbatch.core.records import VersionDetail
from snowbatch.core.signatures import FeatureInfo, FunctionInfo

TABULAR = FunctionInfo(
    name="PREDICT", target_method="predict", inputs=[FeatureInfo(name="X", dtype="DOUBLE")], outputs=[]
)
FILES = FunctionInfo(
    name="PREDICT", target_method="predict", inputs=[FeatureInfo(name="AUDIO", dtype="BYTES")], outputs=[]
)
CHAT = FunctionInfo(
    name="__CALL__",
    target_method="__call__",
    inputs=[
        FeatureInfo(
            name="messages",
            dtype="GROUP",
            fields=[FeatureInfo(name="role", dtype="STRING"), FeatureInfo(name="content", dtype="STRING")],
        )
    ],
    outputs=[],
)
BOTH = ["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"]


def version(model_type: str, function: FunctionInfo, **facts: object) -> VersionDetail:
    return VersionDetail(
        model="ML.PUBLIC.M",
        version="V1",
        model_type=model_type,
        runnable_in=facts.pop("runnable_in", BOTH),  # type: ignore[arg-type]
        functions=[function],
        **facts,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("detail", "engine", "gpu", "because"),
    [
        (version("sklearn", TABULAR), None, "pointless", "no CUDA runtime"),
        (version("xgboost", TABULAR, gpu_runtime=True), None, "pointless", "gains little"),
        (version("pytorch", FILES, gpu_runtime=True), None, "recommended", "CUDA runtime"),
        (version("pytorch", FILES), None, "pointless", "would sit idle"),
        (version("custom", CHAT), None, "pointless", "would sit idle"),
        (version("custom", CHAT), "vllm", "required", "vLLM"),
        (version("huggingface_pipeline", CHAT, gpu_runtime=True), None, "required", "vLLM"),
        (version("pytorch", FILES, needs_gpu=True, gpu_runtime=True), None, "required", "GPU runtime only"),
    ],
)
def test_the_gpu_answer_follows_the_models_own_packaging(
    detail: VersionDetail, engine: str | None, gpu: str, because: str
) -> None:
    compute = compute_for(detail, detail.functions[0], engine)
    assert (compute.gpu, because in compute.gpu_reason) == (gpu, True), compute.gpu_reason


@pytest.mark.parametrize(
    ("detail", "because"),
    [
        (version("custom", FILES), "files or chat"),
        (version("custom", CHAT), "files or chat"),
        (version("sklearn", TABULAR, runnable_in=["SNOWPARK_CONTAINER_SERVICES"]), "only in SNOWPARK"),
        (version("pytorch", TABULAR, needs_gpu=True), "needs a GPU"),
    ],
)
def test_files_chat_spcs_only_and_gpu_only_models_are_never_offered_the_warehouse(
    detail: VersionDetail, because: str
) -> None:
    compute = compute_for(detail)
    assert not compute.warehouse and because in compute.warehouse_reason


def test_a_tabular_cpu_model_runs_in_a_warehouse() -> None:
    assert compute_for(version("sklearn", TABULAR)).warehouse


def test_without_a_chosen_function_the_most_demanding_function_decides() -> None:
    detail = version("pytorch", TABULAR, gpu_runtime=True)
    detail = detail.model_copy(update={"functions": [TABULAR, CHAT], "model_type": "huggingface_pipeline"})
    assert compute_for(detail).gpu == "required"
    assert compute_for(detail, TABULAR).gpu == "recommended"
