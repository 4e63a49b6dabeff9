"""The standard fake account: the shared samples (snowbatch.samples) as Snowflake would hold them.

Database ML, schema PUBLIC; table CUSTOMERS; models CHURN_CLASSIFIER (V1, four sklearn functions) and
PRICE_REGRESSOR (V1 and V2, one function, V2 default); stages BATCH_OUT (SNOWFLAKE_SSE) and
LEGACY_STAGE (SNOWFLAKE_FULL); pools CPU_POOL (CPU_X64_S, IDLE) and GPU_POOL (GPU_NV_S, SUSPENDED).
Models are packaged once per process with snowflake-ml's real ModelPackager, so `model_spec` is real.

Schema ML.EDGE holds what real accounts have and the samples do not: a model created with a quoted
lower-case name ("price model") whose version "v1" was logged before `runnable_in` existed (NULL, D4)
and whose version V2SPEC carries a version 2.0 model spec (D6), a quoted stage with a space ("batch
out") and an external stage listed by cloud URL (D11).
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

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
                FakeVersion(
                    v,
                    spec,
                    "sklearn",
                    methods,
                    model_dir=folder,
                    comment=f"{name} {v}",
                    task="TABULAR_BINARY_CLASSIFICATION"
                    if "predict_proba" in methods
                    else "TABULAR_REGRESSION",
                ),
                default=v == default,
            )
    account.add_stage((db, sc, samples.OUTPUT_STAGE), encryption="SNOWFLAKE_SSE", comment="batch results")
    account.add_stage((db, sc, samples.LEGACY_STAGE), encryption="SNOWFLAKE_FULL")
    account.add_pool(FakePool("CPU_POOL", "CPU_X64_S", state="IDLE", max_nodes=2, active_nodes=1))
    account.add_pool(FakePool("GPU_POOL", "GPU_NV_S", state="SUSPENDED"))
    return account


def standard_account(root: Path) -> FakeAccount:
    return seed_edge(seed_standard(FakeAccount(root)))


EDGE = "EDGE"
EDGE_MODEL = "price model"  # created as "price model": SHOW lists it unquoted (D7)
EDGE_STAGE = "batch out"
EXTERNAL_STAGE = "EXT_MEDIA"


def as_v2_spec(legacy: dict[str, Any]) -> dict[str, Any]:
    """The same model in the version 2.0 layout snowflake-ml 2.6 reads (`model_extension_spec.py`)."""
    blobs = {
        name: {
            "model_type": blob.get("model_type"),
            "path": blob.get("path"),
            "options": blob.get("options") or {},
        }
        for name, blob in (legacy.get("models") or {}).items()
    }
    spec = {
        "version": "2.0",
        "model": {
            "type": "USER_MODEL",
            "framework": str(legacy["model_type"]).upper(),
            "task": legacy.get("task"),
            "details": {"models": blobs},
            "target_platforms": ["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"],
        },
        "serving": {
            "env": {"cpu": {"python_version": (legacy.get("env") or {}).get("python_version", "3.11")}},
            "functions": {
                m: {"type": "FUNCTION", "signature": sig} for m, sig in legacy["signatures"].items()
            },
        },
    }
    from snowflake.ml.model._client.model_spec.model_spec_parser import parse_model_spec

    parse_model_spec(spec)  # the library accepts it, or the fake would serve a spec no account has
    return spec


def seed_edge(account: FakeAccount) -> FakeAccount:
    """ML.EDGE: quoted lower-case names, a NULL runnable_in, a 2.0 spec, an external stage."""
    import yaml

    db = samples.DATABASE
    account.add_database(db, EDGE)
    folder, spec, methods, comment = packaged_models()[samples.PRICE_MODEL]
    model = FakeModel(EDGE_MODEL, comment=comment)
    account.add_model((db, EDGE, EDGE_MODEL), model)
    old = FakeVersion("v1", spec, "sklearn", methods, model_dir=folder, runnable_in=None)
    account.add_version((db, EDGE, EDGE_MODEL), old, default=True)
    v2 = yaml.safe_dump(as_v2_spec(yaml.safe_load(spec)))
    account.add_version(
        (db, EDGE, EDGE_MODEL), FakeVersion("V2SPEC", v2, "sklearn", methods, model_dir=folder)
    )
    customers = samples.customers_frame(50)
    account.add_table((db, EDGE, "Customers"), customers, sql_types(customers))
    account.add_stage((db, EDGE, EDGE_STAGE), encryption="SNOWFLAKE_SSE")
    ext = account.add_stage((db, EDGE, EXTERNAL_STAGE), encryption="EXTERNAL")
    ext.url = "s3://fake-bucket/media/"
    return account


MEDIA_FILES = {
    "images/red.png": b"\x89PNG\r\n\x1a\nfake-red",
    "images/blue.jpg": b"\xff\xd8\xff\xe0fake-blue",
}


@cache
def packaged_media_models() -> dict[str, tuple[Path, str, list[str]]]:
    """FILE_INSPECTOR and IMAGE_CHAT_DEMO saved once with snowflake-ml's packager (a real model_spec)."""
    from snowflake.ml.model._packager.model_packager import ModelPackager
    from snowflake.ml.model.custom_model import ModelContext

    from snowbatch.samples import models as sm
    from snowbatch.samples.models import chat_demo, file_inspectors

    root = Path(tempfile.mkdtemp(prefix="snowbatch-media-models-"))
    out = {}
    for name, model, sigs in (
        (
            sm.FILE_INSPECTOR,
            file_inspectors.FileInspector(ModelContext()),
            file_inspectors.signatures()["bytes"],
        ),
        (sm.IMAGE_CHAT_DEMO, chat_demo.ImageChatDemo(ModelContext()), chat_demo.signatures()),
    ):
        folder = root / name
        meta = ModelPackager(str(folder)).save(name=name.lower(), model=model, signatures=sigs, options={})
        out[name] = (folder, (folder / "model.yaml").read_text(), sorted(meta.signatures))
    return out


def seed_media(account: FakeAccount, files: dict[str, bytes] | None = None) -> FakeAccount:
    """ML.PUBLIC: the files and chat demo models and an SSE stage MEDIA holding `files`."""
    from snowbatch.samples import models as sm

    db, sc = samples.DATABASE, samples.SCHEMA
    for name, (folder, spec, methods) in packaged_media_models().items():
        account.add_model((db, sc, name), FakeModel(name, comment="demo model"))
        version = FakeVersion(
            "V1", spec, "custom", methods, model_dir=folder, runnable_in=["SNOWPARK_CONTAINER_SERVICES"]
        )
        account.add_version((db, sc, name), version, default=True)
    stage = account.add_stage((db, sc, sm.MEDIA_STAGE), encryption="SNOWFLAKE_SSE")
    for rel, data in (files or MEDIA_FILES).items():
        path = Path(stage.folder) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return account
