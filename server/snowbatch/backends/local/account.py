"""Where a local account keeps each kind of object on disk, and small file helpers.

Layout under the home folder:
  databases/<DB>.duckdb                 one DuckDB file per Snowflake database (schemas inside)
  stages/<DB>/<SCHEMA>/<STAGE>/         the stage's files;  <STAGE>.json beside it: encryption etc.
  models/<DB>/<SCHEMA>/<MODEL>/         model.json (comment, default version); <VERSION>/ packaged model
  pools.json                            compute pools
  jobs/<JOB_NAME>/                      job.json, state.json, log.txt, input/ snapshot
Folder names are the exact Snowflake names, percent-encoded where a character is unsafe in a path.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from snowbatch.core.names import Identifier, ObjectName, SchemaName, StageLocation

_SAFE = re.compile(r"[A-Za-z0-9_$-]+\Z")


def encode_name(ident: Identifier) -> str:
    """A folder name for an identifier; reversible, so listings can show exact names."""
    name = ident.name
    if _SAFE.match(name) and not name.startswith("-"):
        return name
    return "%" + quote(name, safe="")


def decode_name(folder: str) -> Identifier:
    return Identifier(unquote(folder[1:]) if folder.startswith("%") else folder)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader never sees half a file (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    with path.open() as fh:
        return json.load(fh)


class LocalAccount:
    """Paths of a local account; knows nothing about what is in the files."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home).expanduser()

    def ensure(self) -> None:
        for sub in ("databases", "stages", "models", "jobs", "locks"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)

    # tables --------------------------------------------------------------------------------
    def database_file(self, database: Identifier) -> Path:
        return self.home / "databases" / f"{encode_name(database)}.duckdb"

    def databases(self) -> list[Identifier]:
        folder = self.home / "databases"
        if not folder.is_dir():
            return []
        return sorted(decode_name(p.stem) for p in folder.glob("*.duckdb"))

    def has_database(self, database: Identifier) -> bool:
        """A database exists once it holds a table, a stage or a model."""
        folder = encode_name(database)
        return self.database_file(database).exists() or any(
            (self.home / kind / folder).is_dir() for kind in ("stages", "models")
        )

    def known_databases(self) -> list[str]:
        names = {d.name for d in self.databases()}
        for kind in ("stages", "models"):
            root = self.home / kind
            if root.is_dir():
                names |= {decode_name(p.name).name for p in root.iterdir() if p.is_dir()}
        return sorted(names)

    # stages --------------------------------------------------------------------------------
    def _schema_dir(self, kind: str, schema: SchemaName) -> Path:
        return self.home / kind / encode_name(schema.database) / encode_name(schema.schema)

    def stages_dir(self, schema: SchemaName) -> Path:
        return self._schema_dir("stages", schema)

    def stage_dir(self, stage: ObjectName) -> Path:
        return self.stages_dir(_schema_of(stage)) / encode_name(stage.name)

    def stage_meta(self, stage: ObjectName) -> Path:
        return self.stages_dir(_schema_of(stage)) / f"{encode_name(stage.name)}.json"

    def location_path(self, location: StageLocation) -> Path:
        """The folder or file a stage location points at (the path is case-sensitive, as on a stage)."""
        return self.stage_dir(location.stage) / location.path

    def tasks_dir(self, schema: SchemaName) -> Path:
        return self._schema_dir("tasks", schema)

    # models --------------------------------------------------------------------------------
    def models_dir(self, schema: SchemaName) -> Path:
        return self._schema_dir("models", schema)

    def model_dir(self, model: ObjectName) -> Path:
        return self.models_dir(_schema_of(model)) / encode_name(model.name)

    def version_dir(self, model: ObjectName, version: Identifier) -> Path:
        return self.model_dir(model) / encode_name(version)

    # pools and jobs ------------------------------------------------------------------------
    @property
    def pools_file(self) -> Path:
        return self.home / "pools.json"

    @property
    def jobs_dir(self) -> Path:
        return self.home / "jobs"

    def job_dir(self, job_name: str) -> Path:
        return self.jobs_dir / encode_name(Identifier(job_name))

    def lock_file(self, key: str) -> Path:
        return self.home / "locks" / f"{key}.lock"


def _schema_of(name: ObjectName) -> SchemaName:
    if name.database is None or name.schema is None:
        raise ValueError(f"{name} must be qualified before it reaches the local account")
    return SchemaName(name.database, name.schema)
