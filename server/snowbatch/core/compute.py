"""One truth about compute: for a model version and function, whether a GPU is required, recommended or
pointless, and whether a warehouse can run it — each with its evidence. Every tool that speaks of it
(show_model_functions, list_compute_pools' recommendation, the plan's checks and summary) says this.

The evidence is the model's own packaging (snowflake-ml's model spec; docs/research/files-multimodal.md
§6): a version packaged only for GPU cannot run on CPU. A CUDA version means a GPU-capable image, not a
GPU requirement: snowflake-ml's deep-learning handlers (pytorch, tensorflow, keras, torchscript,
sentence_transformers, huggingface) set one by default, so for them a GPU is recommended; xgboost and
catboost get one by default too, but tabular inference gains little. Without a CUDA runtime a GPU would
sit idle, and run_batch refuses gpu_requests. vLLM runs on GPUs only, so a vLLM chat job requires one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from snowbatch.core.records import WAREHOUSE, VersionDetail, runs_on
from snowbatch.core.signatures import FunctionInfo

GpuNeed = Literal["required", "recommended", "pointless"]
# model types whose work is neural-network inference: a GPU speeds them up when their runtime has CUDA
DEEP_LEARNING = frozenset(
    {"huggingface_pipeline", "pytorch", "tensorflow", "keras", "sentence_transformers", "torchscript"}
)


@dataclass(frozen=True)
class Compute:
    gpu: GpuNeed
    gpu_reason: str
    warehouse: bool
    warehouse_reason: str

    @property
    def wants_gpu(self) -> bool:
        return self.gpu != "pointless"


def _gpu(detail: VersionDetail, function: FunctionInfo | None, engine: str | None) -> tuple[GpuNeed, str]:
    kind = function.input_kind if function else "tabular"
    model = detail.model_type or "custom"
    if detail.needs_gpu:
        return "required", "the version is packaged for a GPU runtime only (no CPU environment)"
    if (engine or "").upper() == "VLLM":
        return "required", "the vLLM engine runs on GPUs only"
    if kind == "chat" and model == "huggingface_pipeline":
        return (
            "required",
            "a Hugging Face chat LLM is served by vLLM in a batch job, and vLLM runs on GPUs only",
        )
    if detail.gpu_runtime and (model in DEEP_LEARNING or model == "custom"):
        return (
            "recommended",
            f"{model} model logged with a CUDA runtime: a GPU runs it much faster; CPU also works",
        )
    if detail.gpu_runtime:
        return (
            "pointless",
            f"{model} on {kind} input gains little from a GPU (its CUDA runtime is the default)",
        )
    return "pointless", f"{model}, no CUDA runtime: a GPU would sit idle"


def _warehouse(detail: VersionDetail, function: FunctionInfo | None, gpu: GpuNeed) -> tuple[bool, str]:
    kinds = {function.input_kind} if function else {f.input_kind for f in detail.functions}
    if gpu == "required":
        return False, "it needs a GPU, and warehouses have none"
    if not runs_on(detail.runnable_in, WAREHOUSE):
        places = ", ".join(detail.runnable_in)
        return False, f"logged to run only in {places}"
    if kinds & {"files", "chat"}:
        return False, "its input is files or chat messages, which only a batch job reads"
    return True, "runs in a warehouse (run(), SQL, dbt, Dynamic Tables) or as a batch job"


def compute_for(
    detail: VersionDetail, function: FunctionInfo | None = None, engine: str | None = None
) -> Compute:
    """The compute answer for a version (and one of its functions, when chosen; else its functions
    together: a warehouse must be able to run every one)."""
    gpu, why = _gpu(detail, function, engine)
    if function is None and detail.functions:
        needs = [_gpu(detail, f, engine) for f in detail.functions]
        gpu, why = max(needs, key=lambda n: ("pointless", "recommended", "required").index(n[0]))
    warehouse, where = _warehouse(detail, function, gpu)
    return Compute(gpu=gpu, gpu_reason=why, warehouse=warehouse, warehouse_reason=where)
