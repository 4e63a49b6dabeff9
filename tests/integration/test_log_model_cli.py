"""`snowbatch local log-model`'s options, and its refusals of what it cannot log: each time one message that
says what is wrong and what to do next (for a missing framework, the command that installs it), exit code
2, no traceback. Scoring each flavour is tests/integration/test_model_flavours.py."""

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from snowbatch.cli.main import app

NAME = "ML.PUBLIC.REFUSED"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "project"
    where.mkdir()
    monkeypatch.chdir(where)
    pd.DataFrame({"A": [1.0, 2.0], "B": [0.5, 0.1], "C": [3.0, 1.0]}).to_csv(
        where / "sample.csv", index=False
    )
    return where


def refused(project: Path, *args: str) -> str:
    """Run log-model that must fail; the message, on one line."""
    result = CliRunner().invoke(
        app, ["local", "log-model", *args, "--name", NAME, "--home", str(project / "home")]
    )
    assert result.exit_code == 2, result.output
    assert "Next step:" in result.output and "Traceback" not in result.output, result.output
    return " ".join(result.output.split())


def test_a_file_that_is_no_model_names_the_formats_it_reads(project: Path) -> None:
    out = refused(project, "sample.csv", "--sample-input", "sample.csv")
    assert "sample.csv is not a model file log-model can read" in out
    assert "a CatBoost model file" in out and "--object pkg.module:build" in out


def test_a_file_and_an_object_together_or_neither_is_refused(project: Path) -> None:
    (project / "m.pkl").write_bytes(b"\x80\x04N.")
    assert "either a model file or --object" in refused(project, "m.pkl", "--object", "a:b")
    assert "either a model file or --object" in refused(project)


def test_an_object_path_is_checked_part_by_part(project: Path) -> None:
    (project / "my_models.py").write_text(
        "THING = object()\n\ndef broken():\n    raise ValueError('no data')\n"
    )
    assert "is not of the form module:attribute" in refused(project, "--object", "my_models")
    out = refused(project, "--object", "no_such_pkg.models:build")
    assert "needs the module no_such_pkg, which cannot be imported here" in out
    assert "has no attribute 'missing'" in refused(project, "--object", "my_models:missing")
    out = refused(project, "--object", "my_models:broken")
    assert "failed when called: ValueError: no data" in out and "takes no arguments" in out
    out = refused(project, "--object", "my_models:THING", "--sample-input", "sample.csv")
    assert "The model is a builtins.object, which snowflake-ml's packager does not take" in out
    assert "wrap anything else in a CustomModel" in out


def test_a_missing_framework_says_which_extra_installs_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("catboost", "xgboost"):
        monkeypatch.setitem(sys.modules, module, None)  # `import catboost` now fails as if not installed
    (project / "model.cbm").write_bytes(b"CBM1" + b"\0" * 60)
    out = refused(project, "model.cbm", "--sample-input", "sample.csv")
    assert "model.cbm (a CatBoost model file) needs catboost, which is not installed here" in out
    assert "pip install 'snowbatch[flavours]'" in out
    (project / "boosted.py").write_text(
        "def build():\n    import xgboost\n    return xgboost.XGBRegressor()\n"
    )
    out = refused(project, "--object", "boosted:build", "--sample-input", "sample.csv")
    assert "needs xgboost, which is not installed here" in out and "pip install 'snowbatch[flavours]'" in out


def test_a_model_that_needs_sample_rows_asks_for_them(project: Path) -> None:
    import joblib
    from sklearn.linear_model import LinearRegression

    frame = pd.read_csv(project / "sample.csv")
    joblib.dump(LinearRegression().fit(frame, [1.0, 2.0]), project / "model.joblib")
    out = refused(project, "model.joblib")
    assert "The sklearn model's signatures are inferred from sample rows" in out and "--sample-input" in out


def test_sample_rows_the_model_cannot_take_are_reported_as_the_packagers_refusal(project: Path) -> None:
    import joblib
    from sklearn.linear_model import LinearRegression

    frame = pd.read_csv(project / "sample.csv")
    joblib.dump(LinearRegression().fit(frame, [1.0, 2.0]), project / "model.joblib")
    pd.DataFrame({"X": [1.0], "Y": [2.0]}).to_csv(project / "other.csv", index=False)
    out = refused(project, "model.joblib", "--sample-input", "other.csv")
    assert "snowflake-ml's packager could not log the sklearn model" in out
    assert "sample rows have the model's input columns" in out


def test_torch_weights_alone_are_refused_with_how_to_save_the_network(project: Path) -> None:
    torch = pytest.importorskip("torch", reason="pip install 'snowbatch[models]'")
    torch.save(torch.nn.Linear(3, 1).state_dict(), project / "weights.pt")
    out = refused(project, "weights.pt", "--sample-input", "sample.csv")
    assert "weights.pt holds a OrderedDict (weights or a checkpoint), not a network" in out
    assert "torch.save(model, path)" in out and "--object" in out


def test_target_methods_choose_the_functions_logged(project: Path) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression

    frame = pd.read_csv(project / "sample.csv")
    joblib.dump(LogisticRegression().fit(frame, [0, 1]), project / "model.joblib")
    args = [
        "model.joblib",
        "--name",
        NAME,
        "--sample-input",
        "sample.csv",
        "--target-method",
        "predict_proba",
    ]
    result = CliRunner().invoke(app, ["local", "log-model", *args, "--home", str(project / "home")])
    assert result.exit_code == 0, result.output
    assert "(sklearn); functions: PREDICT_PROBA" in " ".join(result.output.split())
