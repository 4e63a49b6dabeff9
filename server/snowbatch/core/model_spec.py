"""The two layouts of a model version's spec: the packager's model.yaml and the version 2.0 layout.

Snowflake returns the spec as `model_spec` from SHOW VERSIONS IN MODEL. snowflake-ml-python
2.6 accepts two layouts (`snowflake/ml/model/_client/model_spec/model_spec_parser.py`):

- legacy (the packager's model.yaml): `signatures.<method>`, `model_type`, `task`, `runtimes`,
  `env.cuda_version`, `method_options.<method>.function_type`, `function_properties.<method>.PARTITIONED`;
- version "2.0" (`model_extension_spec.py`): `serving.functions.<method>.signature`, `.type`,
  `.properties.is_partition`; `model.framework` (upper case), `model.task`,
  `model.target_platforms`, `serving.env.<name>.cuda_version`.

Everything here reads a plain mapping, so both backends (and the fake) share one reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

V2 = "2.0"


def is_v2(spec: Mapping[str, Any]) -> bool:
    return str(spec.get("version")) == V2


def _serving(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    serving = spec.get("serving")
    return serving if isinstance(serving, Mapping) else {}


def _model(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    model = spec.get("model")
    return model if isinstance(model, Mapping) else {}


def _v2_functions(spec: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    functions = _serving(spec).get("functions")
    if not isinstance(functions, Mapping):
        return {}
    return {str(k): v for k, v in functions.items() if isinstance(v, Mapping)}


def method_signatures(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Python method name → its signature mapping (inputs, outputs, params)."""
    if is_v2(spec):
        return {m: f.get("signature") or {} for m, f in _v2_functions(spec).items()}
    raw = spec.get("signatures") or {}
    return {str(m): s for m, s in raw.items() if isinstance(s, Mapping)}


def function_shape(spec: Mapping[str, Any], method: str) -> tuple[str, bool]:
    """(FUNCTION | TABLE_FUNCTION, partitioned) of a method.

    snowflake-ml 2.6 (`model_ops.py`) treats only table functions as partitioned; for them a legacy spec
    without the PARTITIONED property counts as partitioned ("worse case it will be slow but not error
    out"), a 2.0 spec without `is_partition` as not partitioned.
    """
    if is_v2(spec):
        function = _v2_functions(spec).get(method) or {}
        table = "TABLE" in str(function.get("type") or "").upper()
        props = function.get("properties") or {}
        return ("TABLE_FUNCTION", bool(props.get("is_partition", False))) if table else ("FUNCTION", False)
    options = (spec.get("method_options") or {}).get(method) or {}
    props = (spec.get("function_properties") or {}).get(method) or {}
    flagged = props.get("PARTITIONED", props.get("partitioned"))
    # snowflake-ml's composer (`_model_composer/model_method/model_method.py`): `explain` and Prophet
    # methods default to TABLE_FUNCTION, partitioned methods must be one, a method option overrides.
    default = (
        "TABLE_FUNCTION" if method == "explain" or spec.get("model_type") == "prophet" or flagged else ""
    )
    if str(options.get("function_type") or default or "FUNCTION").upper() != "TABLE_FUNCTION":
        return "FUNCTION", False
    return "TABLE_FUNCTION", bool(True if flagged is None else flagged)


def model_type(spec: Mapping[str, Any]) -> str | None:
    if is_v2(spec):
        model = _model(spec)
        framework = model.get("framework")
        if not framework:
            blobs = (model.get("details") or {}).get("models") or {}
            framework = next((b.get("model_type") for b in blobs.values() if isinstance(b, Mapping)), None)
        return str(framework).lower() if framework else None  # 2.0 writes framework names upper-case
    value = spec.get("model_type")
    return str(value) if value else None


def task(spec: Mapping[str, Any]) -> str | None:
    value = _model(spec).get("task") if is_v2(spec) else spec.get("task")
    return str(value) if value else None


def _v2_environments(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    envs = _serving(spec).get("env") or {}
    return [e for e in envs.values() if isinstance(e, Mapping)] if isinstance(envs, Mapping) else []


def has_gpu_runtime(spec: Mapping[str, Any]) -> bool:
    """Logged with a GPU runtime (a CUDA version): a GPU pool can run it (snowflake-ml `supports_gpu`)."""
    if is_v2(spec):
        return any(e.get("cuda_version") for e in _v2_environments(spec))
    runtimes = {str(k).lower() for k in (spec.get("runtimes") or {})}
    return "gpu" in runtimes or bool((spec.get("env") or {}).get("cuda_version"))


def gpu_only(spec: Mapping[str, Any]) -> bool:
    """Packaged only for a GPU runtime: no CPU pool or warehouse can run it.

    Logging with a CUDA version adds a GPU runtime beside the CPU one; such a model still runs on CPU.
    For the 2.0 layout: every serving environment names a CUDA version (UNVERIFIED: no source says how
    a 2.0 spec marks a CPU runtime; this is the reading that never calls a CPU-capable model GPU-only).
    """
    if is_v2(spec):
        envs = _v2_environments(spec)
        return bool(envs) and all(e.get("cuda_version") for e in envs)
    runtimes = {str(k).lower() for k in (spec.get("runtimes") or {})}
    return "gpu" in runtimes and "cpu" not in runtimes


def target_platforms(spec: Mapping[str, Any]) -> list[str]:
    """Platforms the spec itself declares (2.0 `model.target_platforms`); empty when it says nothing."""
    if not is_v2(spec):
        return []
    return [str(p).strip().upper() for p in _model(spec).get("target_platforms") or []]
