"""Administration of the local account from files: log a model, load a table, put files on a stage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.core.errors import InvalidRequest, NotFound
from snowbatch.core.input_columns import exact_column
from snowbatch.core.names import Identifier, ObjectName, StageLocation, qualify


@dataclass
class LoggedModel:
    name: str
    version: str
    functions: list[str]


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


def log_model_file(
    backend: LocalBackend,
    model_file: Path,
    *,
    name: str,
    version: str,
    sample_input: Path,
    comment: str | None,
) -> LoggedModel:
    """Unpickle a model file (trusted input: unpickling runs code) and log it with sample rows."""
    import joblib

    try:
        model = joblib.load(model_file)
    except Exception as exc:
        raise InvalidRequest(
            f"{model_file.name} could not be loaded as a pickle/joblib file ({exc}).",
            "Save the model with joblib.dump(model, path) or pickle.",
        ) from exc
    target = _qualified(backend, name, "model")
    backend.registry.log_model(
        target, Identifier.parse(version), model, sample_input=read_frame(sample_input), comment=comment
    )
    detail = backend.registry.version_detail(target, Identifier.parse(version))
    return LoggedModel(str(target), detail.version, [f.name for f in detail.functions])


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
