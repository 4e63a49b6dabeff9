"""Models on the local account are saved and loaded with snowflake-ml's own packager — a private module
(`snowflake.ml.model._packager`), so every use of it is here, and tests/unit/test_packager_contract.py
fails loudly if the pinned release changes what is relied on."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from snowbatch.backends.local.frameworks import KERAS_BACKENDS, choose_keras_backend

_PACKAGE = "snowflake.ml.model"


class _LazyPackage(ModuleType):
    """`snowflake.ml.model` whose `__init__` runs on first use of a name it defines.

    That `__init__` imports the registry client (Model, ModelVersion: telemetry, the feature store,
    fsspec, aiohttp), which loading a package never uses: 0.2–0.3 s of a job runner's start
    (docs/benchmarks.md, peer). Its submodules (`custom_model`, `model_signature`, `_packager`, …) import
    as usual through `__path__`; any other name runs the real `__init__` in this module's namespace, so
    code that does use the registry client gets exactly what it would have.
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or _is_submodule(name):
            raise AttributeError(name)  # `from snowflake.ml.model import x` then imports the submodule
        if not self.__dict__.get("_snowbatch_initialised"):
            self.__dict__["_snowbatch_initialised"] = True
            spec = self.__spec__
            assert spec is not None and spec.loader is not None
            spec.loader.exec_module(self)
            if name in self.__dict__:
                return self.__dict__[name]
        raise AttributeError(f"module {_PACKAGE!r} has no attribute {name!r}")


def _is_submodule(name: str) -> bool:
    from importlib.util import find_spec

    return f"{_PACKAGE}.{name}" in sys.modules or find_spec(f"{_PACKAGE}.{name}") is not None


def prepare_loader() -> None:
    """Import what `load_packaged` needs, without `snowflake.ml.model`'s registry client: for the job
    runner only (the server, which also uses that client, imports the package as usual).

    A no-op when the package is already imported. Registering the packager's handlers here too means a
    warm runner (backends/local/warm.py) has them before it forks a job.
    """
    if _PACKAGE not in sys.modules:
        from importlib.util import find_spec, module_from_spec

        import snowflake.ml  # noqa: F401  (the parent package, as the import system would import it)

        spec = find_spec(_PACKAGE)
        if spec is not None and spec.loader is not None and spec.submodule_search_locations is not None:
            module = module_from_spec(spec)  # sets __path__, __file__ and __spec__; runs nothing
            module.__class__ = _LazyPackage
            sys.modules[_PACKAGE] = module
            vars(sys.modules["snowflake.ml"])["model"] = module
    from snowflake.ml.model._packager import model_handler
    from snowflake.ml.model._packager.model_packager import ModelPackager  # noqa: F401

    model_handler.load_handler("custom")  # its first call imports and registers every handler module


def packager_flavour(model: Any) -> tuple[str, bool] | None:
    """(handler type, whether it infers signatures without sample rows) of the handler the packager would
    save `model` with, or None when no handler takes it. ModelPackager.save asks the same
    `model_handler.find_handler`; `HANDLER_TYPE` and `IS_AUTO_SIGNATURE` are each handler's own
    (snowflake-ml 2.6 `model/_packager/model_handlers/_base.py`)."""
    from snowflake.ml.model._packager import model_handler

    handler = model_handler.find_handler(model)
    return None if handler is None else (str(handler.HANDLER_TYPE), bool(handler.IS_AUTO_SIGNATURE))


def save_packaged(
    folder: Path,
    *,
    name: str,
    model: Any,
    sample_input: Any = None,
    signatures: Any = None,
    options: dict[str, Any] | None = None,
    code_paths: list[str] | None = None,
) -> None:
    """Write a model version's package into `folder` (model.yaml, the pickled model, its environment).

    `code_paths` are copied into the package and put on sys.path when it loads, as Registry.log_model's
    `code_paths` (snowflake-ml 2.6 `model/_packager/model_meta/model_meta.py` `load_code_path`)."""
    from snowflake.ml.model._packager.model_packager import ModelPackager

    ModelPackager(str(folder)).save(
        name=name,
        model=model,
        sample_input_data=sample_input,
        signatures=signatures,
        options=options or {},
        metadata=None,
        code_paths=code_paths or None,
    )


def _keras_backend_of(meta: Any) -> str | None:
    """The backend a Keras model was saved with: the keras handler adds it to the environment as
    `tensorflow`, `pytorch`/`torch` or `jax` (snowflake-ml 2.6 `model_handlers/keras.py` `save_model`)."""
    for requirement in [*meta.env.conda_dependencies, *meta.env.pip_requirements]:
        name = re.split(r"[<>=!~\s\[]", str(requirement).split("::")[-1], maxsplit=1)[0].lower()
        name = "torch" if name == "pytorch" else name
        if name in KERAS_BACKENDS:
            return name
    return None


def _loaded(folder: str | Path, *, as_custom_model: bool) -> Any:
    from snowflake.ml.model._packager.model_packager import ModelPackager

    packager = ModelPackager(str(folder))
    meta = packager.load(meta_only=True)
    if meta.model_type == "keras":  # Keras picks its backend at import: before the handler imports it
        choose_keras_backend(_keras_backend_of(meta))
    packager.load(as_custom_model=as_custom_model)
    return packager.model


def load_packaged(folder: str | Path) -> Any:
    """The packaged model as a snowflake-ml custom model (its methods are the registered functions)."""
    return _loaded(folder, as_custom_model=True)


def packaged_class_labels(folder: str | Path) -> list[str] | None:
    """A classifier's `classes_`, in the order its predict_proba columns follow, or None.

    snowflake-ml writes no class labels into model.yaml (its metadata schema has no field for them); the
    pickled estimator is the only place they live (docs/research/sql-forms.md §4).
    """
    classes = getattr(_loaded(folder, as_custom_model=False), "classes_", None)
    return None if classes is None else [str(c) for c in list(classes)]
