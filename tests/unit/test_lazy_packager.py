"""The job runner loads a package without snowflake.ml.model's registry client (packaged.prepare_loader),
and code that does use that client still gets it, whole.

In a fresh interpreter (the test process has imported the package the usual way): after prepare_loader a
saved model loads and answers, the registry client is not imported, its submodules import as usual, and
the names the package's own `__init__` defines are there on first use.
"""

# No `from __future__ import annotations`: snowflake-ml reads predict's annotations at runtime.
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
from snowflake.ml.model import custom_model

from snowbatch.backends.local.packaged import save_packaged

SERVER = Path(__file__).resolve().parents[2] / "server"


class Doubler(custom_model.CustomModel):
    @custom_model.inference_api
    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"Y": X["X"] * 2})


def test_a_model_loads_without_the_registry_client_which_is_still_there_on_first_use(tmp_path: Path) -> None:
    save_packaged(
        tmp_path / "v1",
        name="doubler",
        model=Doubler(custom_model.ModelContext()),
        sample_input=pd.DataFrame({"X": [1.0, 2.0]}),
    )
    script = textwrap.dedent(f"""
        import sys
        import pandas as pd
        from snowbatch.backends.local.packaged import load_packaged, prepare_loader
        CLIENT = "snowflake.ml.model._client.model.model_impl"
        prepare_loader()
        model = load_packaged({str(tmp_path / "v1")!r})
        assert model.predict(pd.DataFrame({{"X": [3.0]}}))["Y"].tolist() == [6.0]
        from snowflake.ml.model import custom_model, model_signature  # submodules, as usual
        assert CLIENT not in sys.modules
        from snowflake.ml.model import Model, ModelVersion  # the package's own names: its __init__ runs
        assert CLIENT in sys.modules and Model.__module__ == CLIENT
        import snowflake.ml.model as package
        assert package.CodePath.__name__ == "CodePath" and not hasattr(package, "no_such_name")
        print("ok")
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(SERVER), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert done.stdout.strip() == "ok", done.stderr[-3000:]
