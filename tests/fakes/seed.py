"""The standard fake account: the shared samples (snowbatch.samples) as Snowflake would hold them.

Database ML, schema PUBLIC; table CUSTOMERS; models CHURN_CLASSIFIER (V1, four sklearn functions) and
PRICE_REGRESSOR (V1 and V2, one function, V2 default); stages BATCH_OUT (SNOWFLAKE_SSE) and
LEGACY_STAGE (SNOWFLAKE_FULL); pools CPU_POOL (CPU_X64_S, IDLE) and GPU_POOL (GPU_NV_S, SUSPENDED).
Models are packaged once per process with snowflake-ml's real ModelPackager, so `model_spec` is real.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from snowbatch import samples
from tests.fakes.account import FakeAccount
from tests.fakes.stagefiles import sql_types
from tests.fakes.state import FakeModel, FakePool, FakeVersion

CUSTOMER_ROWS = 3000  # as the local account is seeded (tests/conftest.py)


@cache
def packaged_models() -> dict[str, tuple[Path, str, list[str], str]]:
    """name -> (model dir, model.yaml text, methods, comment); saved once per test process."""
    from snowflake.ml.model._packager.model_packager import ModelPackager

    root = Path(tempfile.mkdtemp(prefix="snowbatch-fake-models-"))
    out = {}
    for name, (model, sample, comment) in samples.sample_models(
        samples.customers_frame(CUSTOMER_ROWS)
    ).items():
        folder = root / name
        meta = ModelPackager(str(folder)).save(name=name, model=model, sample_input_data=sample, options={})
        out[name] = (folder, (folder / "model.yaml").read_text(), sorted(meta.signatures), comment)
    return out


def seed_standard(account: FakeAccount) -> FakeAccount:
    db, sc = samples.DATABASE, samples.SCHEMA
    account.add_database(db, sc)
    customers = samples.customers_frame(CUSTOMER_ROWS)
    account.add_table((db, sc, samples.CUSTOMERS_TABLE), customers, sql_types(customers))
    models = packaged_models()
    for name, versions, default in (
        (samples.CHURN_MODEL, ["V1"], "V1"),
        (samples.PRICE_MODEL, ["V1", "V2"], "V2"),
    ):
        folder, spec, methods, comment = models[name]
        account.add_model((db, sc, name), FakeModel(name, comment=comment))
        for v in versions:
            account.add_version(
                (db, sc, name),
                FakeVersion(v, spec, "sklearn", methods, model_dir=folder, comment=f"{name} {v}"),
                default=v == default,
            )
    account.add_stage((db, sc, samples.OUTPUT_STAGE), encryption="SNOWFLAKE_SSE", comment="batch results")
    account.add_stage((db, sc, samples.LEGACY_STAGE), encryption="SNOWFLAKE_FULL")
    account.add_pool(FakePool("CPU_POOL", "CPU_X64_S", state="IDLE", max_nodes=2, active_nodes=1))
    account.add_pool(FakePool("GPU_POOL", "GPU_NV_S", state="SUSPENDED"))
    return account


def standard_account(root: Path) -> FakeAccount:
    return seed_standard(FakeAccount(root))
