"""What `snowbatch local log-model` logs: a model read from a file or made by an importable object, checked
against snowflake-ml's packager, with what the packager needs besides it.

File and object sources differ only in how the object is had; from there one path decides the flavour
(the packager's own handler lookup), the sample rows, the options and the person's code to ship.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snowbatch.backends.local.frameworks import missing_framework
from snowbatch.backends.local.model_files import read_model_file
from snowbatch.backends.local.packaged import packager_flavour
from snowbatch.core.errors import InvalidRequest

SUPPORTED = (
    "scikit-learn, XGBoost, LightGBM, CatBoost, PyTorch/TorchScript, Keras 3, sentence-transformers, "
    "Hugging Face pipelines, or a snowflake.ml.model.custom_model.CustomModel"
)


@dataclass
class ModelToLog:
    model: Any
    flavour: str  # the packager's handler type: sklearn, xgboost, pytorch, huggingface_pipeline, …
    sample_input: Any | None
    options: dict[str, Any] = field(default_factory=dict)
    code_paths: list[str] = field(default_factory=list)  # the person's own modules the model needs


@contextmanager
def _working_dir_importable() -> Iterator[None]:
    """The current folder importable while a model is read, as in `python -m` or a notebook: the
    `snowbatch` script's sys.path does not have it, and a person's model code usually lives there."""
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)


def _resolve(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise InvalidRequest(
            f"--object {reference!r} is not of the form module:attribute.",
            "Pass e.g. --object mypkg.models:build_model (a function, a CustomModel class or a model).",
        )
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise missing_framework(exc.name or module_name, f"--object {reference}") from exc
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise InvalidRequest(
                f"{module_name} has no attribute {attribute!r}.",
                f"Check the name after the colon (module {module_name} was found).",
            )
        target = getattr(target, part)
    return target


def model_from_object(reference: str) -> Any:
    """The model `pkg.module:attr` names: a function is called with no arguments, a CustomModel class
    is made with an empty ModelContext (one with models or artifacts needs a function), anything else is
    the model itself."""
    from snowflake.ml.model import custom_model

    with _working_dir_importable():
        target: Any = _resolve(reference)
        is_custom_class = inspect.isclass(target) and issubclass(target, custom_model.CustomModel)
        try:
            if is_custom_class:
                return target(custom_model.ModelContext())
            if inspect.isfunction(target) or inspect.ismethod(target):
                return target()
        except ModuleNotFoundError as exc:
            raise missing_framework(exc.name or "a module", f"--object {reference}") from exc
        except Exception as exc:  # the person's code failed: say so, without a traceback
            raise InvalidRequest(
                f"--object {reference} failed when called: {type(exc).__name__}: {exc}"[:800],
                "Point --object at a function that takes no arguments and returns the model.",
            ) from exc
    return target


def model_from_file(path: Path) -> Any:
    with _working_dir_importable():
        return read_model_file(path)


def _working_dir_code(model: Any) -> list[str]:
    """The person's own packages or modules (found in the current folder) that the model's classes live
    in: the packager pickles a class by reference, so a job's runner must import it. Shipped as
    Registry.log_model's `code_paths` are, into the package's code/ folder."""
    classes = {type(model)}
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):  # its layers may be the person's classes
        classes |= {type(m) for m in model.modules()}
    cwd = Path.cwd().resolve()
    shipped: set[str] = set()
    for cls in classes:
        top = sys.modules.get(cls.__module__.split(".")[0])
        if top is None or top.__name__ == "__main__":
            continue  # cloudpickle pickles __main__'s classes by value
        where = getattr(top, "__file__", None) or next(iter(getattr(top, "__path__", [])), None)
        if where is None:
            continue
        path = Path(where).resolve()
        path = path.parent if path.name == "__init__.py" else path
        if path.parent == cwd:
            shipped.add(str(path))
    return sorted(shipped)


def _as_model_dtype(model: Any, sample: Any) -> Any:
    """Sample rows in the float width of a torch module's weights. The handler turns the frame into one
    tensor of the signature's type (model_handlers/pytorch.py, torchscript.py `convert_as_custom_model`),
    and CSV or Parquet sample rows are float64 where a module's weights are float32 — a job would then
    fail with a dtype mismatch. The signature stays FLOAT (Snowflake's FLOAT is double either way)."""
    import torch

    weights = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
    if weights != torch.float32:
        return sample
    wide = [c for c in sample.columns if str(sample[c].dtype) == "float64"]
    return sample.astype({c: "float32" for c in wide}) if wide else sample


def model_to_log(model: Any, sample_input: Any | None, *, target_methods: Sequence[str] = ()) -> ModelToLog:
    """Check that the packager takes `model` and gather what saving it needs."""
    found = packager_flavour(model)
    if found is None:
        of = model if inspect.isclass(model) else type(model)
        kind = f"{'the class' if of is model else 'a'} {of.__module__}.{of.__qualname__}"
        raise InvalidRequest(
            f"The model is {kind}, which snowflake-ml's packager does not take.",
            f"Log one of: {SUPPORTED} (wrap anything else in a CustomModel).",
        )
    flavour, infers_signatures = found
    options: dict[str, Any] = {"target_methods": list(target_methods)} if target_methods else {}
    if flavour == "huggingface_pipeline":
        # The handler infers the signature from the pipeline's task and ignores sample rows with a
        # warning (model_handlers/huggingface/_handler.py `save_model`).
        sample_input = None
    elif sample_input is None and not infers_signatures:
        raise InvalidRequest(
            f"The {flavour} model's signatures are inferred from sample rows, and none were given.",
            "Pass --sample-input FILE (CSV or Parquet) with a few rows of the model's input columns.",
        )
    elif flavour in ("pytorch", "torchscript") and sample_input is not None:
        sample_input = _as_model_dtype(model, sample_input)
    return ModelToLog(model, flavour, sample_input, options, _working_dir_code(model))
