"""A custom model whose inputs are named as only quoted SQL names can be: spaces, mixed case, a quote.

No `from __future__ import annotations`: snowflake-ml reads predict's annotations at runtime."""

import pandas as pd
from snowflake.ml.model import custom_model

ODD_INPUTS = ["tenure months", "Mixed", "PLAIN", 'a"quote']


class OddColumns(custom_model.CustomModel):
    @custom_model.inference_api
    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"TOTAL": X[ODD_INPUTS].sum(axis=1)})
