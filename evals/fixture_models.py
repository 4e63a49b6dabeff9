"""Models the evals log into the local account beside the samples.

No `from __future__ import annotations`: snowflake-ml reads predict's annotations at run time. The
class is pickled by value when logged, so the job runner does not need to import this module.
"""

import pandas as pd
from snowflake.ml.model import custom_model


class SlowScorer(custom_model.CustomModel):
    """Y = 2 * X, one batch at a time; a row whose HOLD names a file waits until that file exists
    (at most 60 s), so a job can be cancelled mid-run without any guess about timing."""

    @custom_model.inference_api
    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        import time as _time
        from pathlib import Path as _Path

        print(f"scoring a batch of {len(X)} rows", flush=True)
        holds = [_Path(h) for h in X["HOLD"] if h]
        deadline = _time.monotonic() + 60
        while any(not h.exists() for h in holds) and _time.monotonic() < deadline:
            _time.sleep(0.05)
        return pd.DataFrame({"Y": X["X"] * 2})


def slow_scorer() -> tuple[SlowScorer, pd.DataFrame]:
    sample = pd.DataFrame({"X": [1.0, 2.0], "HOLD": ["", ""]})
    return SlowScorer(custom_model.ModelContext()), sample
