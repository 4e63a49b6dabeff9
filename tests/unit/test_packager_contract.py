"""The private snowflake-ml packager calls the local backend relies on (backends/local/packaged.py),
checked against the installed, pinned release: if an upgrade changes them, this fails loudly instead of
the local account breaking quietly."""

# No `from __future__ import annotations`: snowflake-ml reads predict's annotations at runtime.
import inspect
from pathlib import Path

import pandas as pd
from snowflake.ml.model import custom_model
from snowflake.ml.model._packager.model_packager import ModelPackager

from snowbatch.backends.local.packaged import load_packaged, save_packaged


class Doubler(custom_model.CustomModel):
    @custom_model.inference_api
    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"Y": X["X"] * 2})


def test_the_packager_still_takes_the_arguments_we_pass() -> None:
    save = inspect.signature(ModelPackager.save).parameters
    assert {"name", "model", "sample_input_data", "signatures", "options", "metadata"} <= set(save)
    assert "as_custom_model" in inspect.signature(ModelPackager.load).parameters


def test_a_saved_model_loads_back_and_answers_as_it_did(tmp_path: Path) -> None:
    sample = pd.DataFrame({"X": [1.0, 2.0]})
    save_packaged(
        tmp_path / "v1", name="doubler", model=Doubler(custom_model.ModelContext()), sample_input=sample
    )
    assert (tmp_path / "v1" / "model.yaml").is_file()
    loaded = load_packaged(tmp_path / "v1")
    assert loaded.predict(pd.DataFrame({"X": [3.0]}))["Y"].tolist() == [6.0]
