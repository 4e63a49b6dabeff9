"""Sample models and data shared by the demo, the local account and the fake Snowflake account.

The names are fixed so tests, evals and docs can talk about the same objects: database ML, schema
PUBLIC, table CUSTOMERS, models CHURN_CLASSIFIER (several functions) and PRICE_REGRESSOR (one).
Heavy libraries are imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

DATABASE = "ML"
SCHEMA = "PUBLIC"
CUSTOMERS_TABLE = "CUSTOMERS"
CHURN_MODEL = "CHURN_CLASSIFIER"
PRICE_MODEL = "PRICE_REGRESSOR"
OUTPUT_STAGE = "BATCH_OUT"
LEGACY_STAGE = "LEGACY_STAGE"
CHURN_FEATURES = ["TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"]
PRICE_FEATURES = ["TENURE_MONTHS", "SUPPORT_CALLS", "CONTRACT_MONTHS"]


def customers_frame(rows: int, *, seed: int = 7) -> pd.DataFrame:
    """Synthetic telco customers with a churn label that depends on the features (so models learn)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, rows)
    contract = rng.choice(np.array([1, 12, 24]), rows, p=[0.5, 0.3, 0.2])
    calls = rng.poisson(1.5, rows)
    charges = np.round(20 + 0.9 * contract + rng.normal(45, 15, rows).clip(0, None), 2)
    logit = -1.0 - 0.04 * tenure - 0.05 * contract + 0.6 * calls + 0.02 * (charges - 60)
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "CUSTOMER_ID": np.arange(1, rows + 1, dtype="int64"),
            "TENURE_MONTHS": tenure.astype("int64"),
            "MONTHLY_CHARGES": charges.astype("float64"),
            "SUPPORT_CALLS": calls.astype("int64"),
            "CONTRACT_MONTHS": contract.astype("int64"),
            "CHURNED": churned.astype("int64"),
        }
    )


def churn_classifier(training: pd.DataFrame) -> Any:
    """A logistic-regression churn model: predict, predict_proba, predict_log_proba, decision_function."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=500).fit(training[CHURN_FEATURES], training["CHURNED"])


def price_regressor(training: pd.DataFrame) -> Any:
    """A linear model of the monthly charge: one function, predict."""
    from sklearn.linear_model import LinearRegression

    return LinearRegression().fit(training[PRICE_FEATURES], training["MONTHLY_CHARGES"])


def sample_models(training: pd.DataFrame) -> dict[str, tuple[Any, pd.DataFrame, str]]:
    """name -> (model, sample input, comment) for every tabular sample model."""
    return {
        CHURN_MODEL: (
            churn_classifier(training),
            training[CHURN_FEATURES].head(20),
            "Churn propensity (scikit-learn logistic regression; sample model).",
        ),
        PRICE_MODEL: (
            price_regressor(training),
            training[PRICE_FEATURES].head(20),
            "Monthly charge estimate (scikit-learn linear regression; sample model).",
        ),
    }
