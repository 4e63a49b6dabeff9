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


def test_the_packager_still_names_a_models_flavour_and_whether_it_needs_sample_rows() -> None:
    """`snowbatch local log-model` asks the packager's own handler lookup (backends/local/packaged.py)."""
    from sklearn.linear_model import LinearRegression

    from snowbatch.backends.local.packaged import packager_flavour

    fitted = LinearRegression().fit(pd.DataFrame({"X": [1.0, 2.0]}), [2.0, 4.0])
    assert packager_flavour(fitted) == ("sklearn", False)
    assert packager_flavour(Doubler(custom_model.ModelContext())) == ("custom", False)
    assert packager_flavour(object()) is None


def test_code_paths_ship_the_persons_module_and_come_back_on_sys_path(tmp_path: Path) -> None:
    import sys

    module = tmp_path / "src" / "shipped_helper_module.py"
    module.parent.mkdir()
    module.write_text("FACTOR = 3\n")
    save_packaged(
        tmp_path / "v1",
        name="doubler",
        model=Doubler(custom_model.ModelContext()),
        sample_input=pd.DataFrame({"X": [1.0]}),
        code_paths=[str(module)],
    )
    assert (tmp_path / "v1" / "code" / "shipped_helper_module.py").is_file()
    load_packaged(tmp_path / "v1")
    assert str(tmp_path / "v1" / "code") in sys.path
    sys.path.remove(str(tmp_path / "v1" / "code"))


def test_a_packages_metadata_still_says_its_model_type_and_environment(tmp_path: Path) -> None:
    """The Keras backend is read from these before the handler imports keras (packaged._keras_backend_of)."""
    save_packaged(
        tmp_path / "v1",
        name="doubler",
        model=Doubler(custom_model.ModelContext()),
        sample_input=pd.DataFrame({"X": [1.0]}),
    )
    meta = ModelPackager(str(tmp_path / "v1")).load(meta_only=True)
    assert meta.model_type == "custom"
    assert isinstance(meta.env.conda_dependencies, list) and isinstance(meta.env.pip_requirements, list)
