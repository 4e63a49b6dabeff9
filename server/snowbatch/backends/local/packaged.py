"""Models on the local account are saved and loaded with snowflake-ml's own packager — a private module
(`snowflake.ml.model._packager`), so every use of it is here, and tests/unit/test_packager_contract.py
fails loudly if the pinned release changes what is relied on."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_packaged(
    folder: Path,
    *,
    name: str,
    model: Any,
    sample_input: Any = None,
    signatures: Any = None,
    options: dict[str, Any] | None = None,
) -> None:
    """Write a model version's package into `folder` (model.yaml, the pickled model, its environment)."""
    from snowflake.ml.model._packager.model_packager import ModelPackager

    ModelPackager(str(folder)).save(
        name=name,
        model=model,
        sample_input_data=sample_input,
        signatures=signatures,
        options=options or {},
        metadata=None,
    )


def load_packaged(folder: str | Path) -> Any:
    """The packaged model as a snowflake-ml custom model (its methods are the registered functions)."""
    from snowflake.ml.model._packager.model_packager import ModelPackager

    packager = ModelPackager(str(folder))
    packager.load(as_custom_model=True)
    return packager.model


def packaged_class_labels(folder: str | Path) -> list[str] | None:
    """A classifier's `classes_`, in the order its predict_proba columns follow, or None.

    snowflake-ml writes no class labels into model.yaml (its metadata schema has no field for them); the
    pickled estimator is the only place they live (docs/research/sql-forms.md §4).
    """
    from snowflake.ml.model._packager.model_packager import ModelPackager

    packager = ModelPackager(str(folder))
    packager.load()
    classes = getattr(packager.model, "classes_", None)
    return None if classes is None else [str(c) for c in list(classes)]
