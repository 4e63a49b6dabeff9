"""Administration of the local account from files: log a model, load a table, put files on a stage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.core.errors import InvalidRequest, NotFound, SnowbatchError
from snowbatch.core.input_columns import exact_column
from snowbatch.core.names import Identifier, ObjectName, StageLocation, qualify


@dataclass
class LoggedModel:
    name: str
    version: str
    functions: list[str]
    flavour: str


def _qualified(backend: LocalBackend, text: str, what: str) -> ObjectName:
    return qualify(ObjectName.parse(text, what=what), backend.default_schema())


def read_frame(path: Path) -> Any:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise InvalidRequest(f"{path.name} is neither CSV nor Parquet.", "Convert it to .csv or .parquet.")


def log_model(
    backend: LocalBackend,
    *,
    model_file: Path | None = None,
    model_object: str | None = None,
    name: str,
    version: str,
    sample_input: Path | None,
    target_methods: Sequence[str] = (),
    comment: str | None,
) -> LoggedModel:
    """Log a model read from a file or made by an importable object (trusted input: reading a pickle or
    importing code runs it), as Registry.log_model would, with sample rows for its signatures."""
    from snowbatch.backends.local.model_sources import model_from_file, model_from_object, model_to_log

    if (model_file is None) == (model_object is None):
        raise InvalidRequest(
            "Give either a model file or --object, not both and not neither.",
            "Pass a model file (pickle/joblib, .pt, .keras, XGBoost/LightGBM/CatBoost file) or "
            "--object pkg.module:attribute.",
        )
    target = _qualified(backend, name, "model")
    ident = Identifier.parse(version)
    model = model_from_file(model_file) if model_file is not None else model_from_object(str(model_object))
    logged = model_to_log(
        model, read_frame(sample_input) if sample_input else None, target_methods=target_methods
    )
    try:
        backend.registry.log_model(
            target,
            ident,
            logged.model,
            sample_input=logged.sample_input,
            comment=comment,
            options=logged.options,
            code_paths=logged.code_paths,
        )
    except SnowbatchError:
        raise
    except Exception as exc:  # the packager runs the model on the sample rows: say why it failed
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InvalidRequest(
            f"snowflake-ml's packager could not log the {logged.flavour} model: {first}"[:800],
            "Check that the sample rows have the model's input columns and types, and that any "
            "--target-method names a method of the model.",
        ) from exc
    detail = backend.registry.version_detail(target, ident)
    return LoggedModel(str(target), detail.version, [f.name for f in detail.functions], logged.flavour)


def load_table_file(
    backend: LocalBackend, data_file: Path, *, table: str, mode: str, keep_case: bool = False
) -> int:
    """Load a file into a table. Column names follow SQL's rule (a plain header is upper-cased, a quoted
    or spaced one is kept), or, with keep_case, are exactly the file's (as Snowflake's
    CREATE TABLE … USING TEMPLATE and write_pandas with quoted identifiers keep them)."""
    if mode not in ("error", "overwrite", "append"):
        raise InvalidRequest(f"Unknown mode {mode!r}.", "Use error, overwrite or append.")
    frame = read_frame(data_file)
    columns = [str(c) if keep_case else exact_column(str(c)) for c in frame.columns]
    clash = sorted({c for c in columns if columns.count(c) > 1})
    if clash:
        raise InvalidRequest(
            f"{data_file.name} has several columns named {', '.join(clash)} once names are resolved.",
            "Rename them in the file, or load with --keep-case to keep each header's exact case.",
        )
    frame.columns = columns
    return backend.tables.write(_qualified(backend, table, "table"), frame, mode=mode)  # type: ignore[arg-type]


def put_files(
    backend: LocalBackend, files: list[Path], *, stage: str, create_stage: bool, overwrite: bool
) -> list[str]:
    location = qualify(StageLocation.parse(stage), backend.default_schema())
    try:
        backend.stages.describe(location.stage)
    except NotFound:
        if not create_stage:
            raise
        backend.stages.create(location.stage, encryption="SNOWFLAKE_SSE")
    return backend.stages.put(files, location, overwrite=overwrite)
