"""Read a model from a file (or a model folder) into the object snowflake-ml's packager takes.

The format is told by the file's first bytes where it has a signature of its own, else by its suffix. Each
reader returns the object the packager's handler for that framework accepts
(snowflake-ml 2.6 `model/_packager/model_handlers/<framework>.py`, `can_handle`): an estimator where the
native file says which estimator it was saved from, else the framework's booster. Reading a pickle, a
full torch module or a Keras file with custom objects runs code from the file: these are trusted inputs.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snowbatch.backends.local.frameworks import choose_keras_backend, import_framework, missing_framework
from snowbatch.core.errors import InvalidRequest


@dataclass(frozen=True)
class ModelFileFormat:
    what: str  # for messages: "an XGBoost model file"
    framework: str  # the module its reader needs
    matches: Callable[[Path, bytes], bool]  # (path, its first bytes) → is it this format
    read: Callable[[Path], Any]


def _first_bytes(path: Path) -> bytes:
    if path.is_dir():
        return b""
    with open(path, "rb") as fh:
        return fh.read(64)


def _is_torchscript_archive(path: Path) -> bool:
    """torch.jit.save writes the compiled code into the archive; torch.save of a module does not."""
    with zipfile.ZipFile(path) as archive:
        return any("/code/__torch__/" in n or n.endswith("/constants.pkl") for n in archive.namelist())


def _is_torch_file(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".pt", ".pth") and zipfile.is_zipfile(path)


def _read_pickle(path: Path) -> Any:
    import joblib  # reads plain pickles too

    try:
        return joblib.load(path)
    except ModuleNotFoundError as exc:  # the pickle refers to a framework or module not installed here
        raise missing_framework(exc.name or "a module", path.name) from exc
    except Exception as exc:
        raise InvalidRequest(
            f"{path.name} could not be loaded as a pickle/joblib file ({exc}).",
            "Save the model with joblib.dump(model, path) or pickle, or in its framework's own format.",
        ) from exc


def _read_torch(path: Path) -> Any:
    torch = import_framework("torch", f"{path.name} (a PyTorch file)")
    if _is_torchscript_archive(path):
        return torch.jit.load(str(path), map_location="cpu")
    loaded = torch.load(str(path), map_location="cpu", weights_only=False)
    if not isinstance(loaded, torch.nn.Module):
        raise InvalidRequest(
            f"{path.name} holds a {type(loaded).__name__} (weights or a checkpoint), not a network.",
            "Save the whole module (torch.save(model, path), or torch.jit.script(model).save(path)), or "
            "pass --object pkg.module:build where build() makes the network and loads the weights.",
        )
    return loaded


def _read_keras(path: Path) -> Any:
    choose_keras_backend()
    keras = import_framework("keras", f"{path.name} (a Keras file)")
    return keras.saving.load_model(str(path))


def _read_xgboost(path: Path) -> Any:
    """The scikit-learn wrapper's save_model records which estimator it was (`scikit_learn` attribute);
    a file saved from a Booster has none and loads as one."""
    xgboost = import_framework("xgboost", f"{path.name} (an XGBoost model file)")
    booster = xgboost.Booster()
    booster.load_model(str(path))
    kind = json.loads(booster.attr("scikit_learn") or "{}").get("_estimator_type")
    estimator = {
        "classifier": xgboost.XGBClassifier,
        "regressor": xgboost.XGBRegressor,
        "ranker": xgboost.XGBRanker,
    }.get(kind)
    if estimator is None:
        return booster
    model = estimator()
    model.load_model(str(path))
    return model


def _read_lightgbm(path: Path) -> Any:
    """A LightGBM text model loads as a Booster (its `predict` is the one function the handler finds)."""
    lightgbm = import_framework("lightgbm", f"{path.name} (a LightGBM model file)")
    return lightgbm.Booster(model_file=str(path))


def _read_catboost(path: Path) -> Any:
    """The file keeps its loss function, which says the estimator: a classifier has predict_proba too."""
    catboost = import_framework("catboost", f"{path.name} (a CatBoost model file)")
    from catboost.core import is_classification_objective, is_ranking_metric

    probe = catboost.CatBoost()
    probe.load_model(str(path))
    loss = str(probe.get_all_params().get("loss_function", ""))
    if is_classification_objective(loss):
        model = catboost.CatBoostClassifier()
    elif is_ranking_metric(loss):
        model = catboost.CatBoostRanker()
    else:
        model = catboost.CatBoostRegressor()
    model.load_model(str(path))
    return model


def _read_sentence_transformer(path: Path) -> Any:
    # Offline: a folder holds every file; never reach for a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    st = import_framework("sentence_transformers", f"{path.name} (a sentence-transformers folder)")
    return st.SentenceTransformer(str(path), device="cpu")


FORMATS = [
    ModelFileFormat(
        "a sentence-transformers folder",
        "sentence_transformers",
        lambda p, head: p.is_dir() and (p / "modules.json").is_file(),
        _read_sentence_transformer,
    ),
    ModelFileFormat("a PyTorch / TorchScript file", "torch", _is_torch_file, _read_torch),
    ModelFileFormat(
        "a Keras file",
        "keras",
        lambda p, head: p.suffix.lower() == ".keras" and zipfile.is_zipfile(p),
        _read_keras,
    ),
    ModelFileFormat(
        "an XGBoost model file",
        "xgboost",
        lambda p, head: p.suffix.lower() in (".json", ".ubj") and b"learner" in head,
        _read_xgboost,
    ),
    ModelFileFormat(
        "a LightGBM model file",
        "lightgbm",
        lambda p, head: head.startswith(b"tree\nversion="),
        _read_lightgbm,
    ),
    ModelFileFormat(
        "a CatBoost model file", "catboost", lambda p, head: head.startswith(b"CBM1"), _read_catboost
    ),
    ModelFileFormat(
        "a pickle/joblib file",
        "joblib",
        # pickle protocol 2+ starts with 0x80; joblib's compressed files have other first bytes
        lambda p, head: p.suffix.lower() in (".pkl", ".pickle", ".joblib", ".sav") or head[:1] == b"\x80",
        _read_pickle,
    ),
]


def model_file_format(path: Path) -> ModelFileFormat:
    head = _first_bytes(path)
    for form in FORMATS:
        if form.matches(path, head):
            return form
    kinds = ", ".join(f.what for f in FORMATS)
    if path.is_dir():
        next_step = (
            "Pass a sentence-transformers folder (with modules.json), a model file, or --object "
            "pkg.module:build where build() returns the model (a Hugging Face pipeline, for one)."
        )
    else:
        next_step = f"Save the model as one of: {kinds}; or pass --object pkg.module:build."
    raise InvalidRequest(f"{path.name} is not a model file log-model can read.", next_step)


def read_model_file(path: Path) -> Any:
    """The model object in `path`, read by its format."""
    return model_file_format(path).read(path)
