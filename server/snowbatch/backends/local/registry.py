"""The local model registry: models saved with snowflake-ml's own packager.

Using the packager that `Registry.log_model` uses means functions, signatures and output column names
are the ones Snowflake would show, and a version's model.yaml is exactly the `model_spec` that
SHOW VERSIONS IN MODEL returns. The packager is a private snowflake-ml module: it is imported here and
in the job runner only (tests/unit/test_packager_contract.py fails loudly if it changes).
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from snowbatch.backends.local.account import LocalAccount, decode_name, read_json, write_json_atomic
from snowbatch.backends.local.packaged import save_packaged
from snowbatch.core import model_spec
from snowbatch.core.errors import Conflict, NotFound, did_you_mean
from snowbatch.core.names import Identifier, ObjectName, SchemaName
from snowbatch.core.records import SPCS, WAREHOUSE, ModelSummary, VersionDetail, VersionInfo
from snowbatch.core.signatures import functions_from_model_spec

MODEL_META = "model.json"
VERSION_META = "version.json"


@lru_cache(maxsize=64)
def _load_spec(path: str, mtime: float) -> dict[str, Any]:
    import yaml

    with open(path) as fh:
        return yaml.safe_load(fh)


def read_model_spec(version_dir: Path) -> dict[str, Any]:
    spec_file = version_dir / "model.yaml"
    return _load_spec(str(spec_file), spec_file.stat().st_mtime)


class LocalRegistry:
    def __init__(self, account: LocalAccount) -> None:
        self.account = account

    # --- reading ------------------------------------------------------------------------------
    def _model_meta(self, model: ObjectName) -> dict[str, Any]:
        meta = self.account.model_dir(model) / MODEL_META
        if not meta.is_file():
            assert model.database is not None and model.schema is not None
            known = [m.name for m in self.list_models(SchemaName(model.database, model.schema))]
            hint = did_you_mean(str(model), known)
            raise NotFound(
                f"Model {model} does not exist or is not visible to this role.{hint}",
                "Check the database and schema (list_models shows what is there).",
            )
        return read_json(meta)

    def list_models(self, schema: SchemaName) -> list[ModelSummary]:
        folder = self.account.models_dir(schema)
        if not folder.is_dir():
            return []
        out = []
        for meta_file in sorted(folder.glob(f"*/{MODEL_META}")):
            model = ObjectName(decode_name(meta_file.parent.name), schema.schema, schema.database)
            meta = read_json(meta_file)
            out.append(
                ModelSummary(
                    name=str(model),
                    versions=len(self._version_names(model)),
                    default_version=meta.get("default_version"),
                    comment=meta.get("comment"),
                )
            )
        return out

    def _version_names(self, model: ObjectName) -> list[str]:
        folder = self.account.model_dir(model)
        return sorted(decode_name(p.parent.name).name for p in folder.glob(f"*/{VERSION_META}"))

    def _created_on(self, model: ObjectName, name: str) -> str:
        vmeta = read_json(self.account.version_dir(model, Identifier(name)) / VERSION_META)
        return str(vmeta.get("created_on") or "")

    def list_versions(self, model: ObjectName) -> list[VersionInfo]:
        meta = self._model_meta(model)
        default = meta.get("default_version")
        out = []
        for name in self._version_names(model):
            vdir = self.account.version_dir(model, Identifier(name))
            vmeta = read_json(vdir / VERSION_META)
            spec = read_model_spec(vdir)
            aliases = list(vmeta.get("aliases", []))
            if name == default:
                aliases.insert(0, "DEFAULT")
            out.append(
                VersionInfo(
                    version=str(Identifier(name)),
                    is_default=name == default,
                    aliases=aliases,
                    created_on=vmeta.get("created_on"),
                    runnable_in=_runnable_in(spec),
                    model_type=model_spec.model_type(spec),
                    comment=vmeta.get("comment"),
                )
            )
        return out

    def resolve_version(self, model: ObjectName, version: Identifier | None) -> Identifier:
        meta = self._model_meta(model)
        names = self._version_names(model)
        if version is None or version.name.upper() == "DEFAULT":
            default = meta.get("default_version")
            if default is None:
                raise NotFound(f"Model {model} has no versions.", "Log a version first.")
            return Identifier(default)
        if version.name in names:
            return version
        for name in names:
            vmeta = read_json(self.account.version_dir(model, Identifier(name)) / VERSION_META)
            if version.name in [a.upper() for a in vmeta.get("aliases", [])]:
                return Identifier(name)
        if version.name.upper() in ("FIRST", "LAST") and names:
            # Snowflake's system aliases: the oldest and the newest version by creation, not by name
            by_age = sorted(names, key=lambda n: (self._created_on(model, n), n))
            return Identifier(by_age[0] if version.name.upper() == "FIRST" else by_age[-1])
        raise NotFound(
            f"Model {model} has no version {version}.{did_you_mean(version.name, names)}",
            f"Use one of: {', '.join(names)} (list_model_versions shows them).",
        )

    def version_detail(self, model: ObjectName, version: Identifier | None) -> VersionDetail:
        resolved = self.resolve_version(model, version)
        spec = read_model_spec(self.account.version_dir(model, resolved))
        return VersionDetail(
            model=str(model),
            version=str(resolved),
            model_type=model_spec.model_type(spec),
            task=model_spec.task(spec),
            runnable_in=_runnable_in(spec),
            needs_gpu=model_spec.gpu_only(spec),
            gpu_runtime=model_spec.has_gpu_runtime(spec),
            functions=functions_from_model_spec(spec),
        )

    def version_path(self, model: ObjectName, version: Identifier) -> Path:
        return self.account.version_dir(model, self.resolve_version(model, version))

    def class_labels(self, model: ObjectName, version: Identifier) -> list[str] | None:
        folder = self.version_path(model, version)
        spec_file = folder / "model.yaml"
        return _class_labels(str(folder), spec_file.stat().st_mtime if spec_file.exists() else 0.0)

    # --- writing ------------------------------------------------------------------------------
    def log_model(
        self,
        model: ObjectName,
        version: Identifier,
        obj: Any,
        *,
        sample_input: Any = None,
        signatures: Any = None,
        comment: str | None = None,
        options: dict[str, Any] | None = None,
        code_paths: list[str] | None = None,
        set_default: bool = False,
    ) -> VersionInfo:
        """Save a model version with snowflake-ml's packager (written aside, then moved into place).

        As Registry.log_model: the first version of a model becomes its default (CREATE MODEL … WITH
        VERSION); a later one is added without touching the default (ALTER MODEL … ADD VERSION, no SET
        DEFAULT_VERSION sent; snowflake-ml 2.6 `model/_client/ops/model_ops.py` `create_from_stage`)
        unless set_default asks for it, as `model.default = version` would."""
        vdir = self.account.version_dir(model, version)
        if vdir.exists():
            raise Conflict(f"Model {model} already has a version {version}.", "Choose a new version name.")
        vdir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=vdir.parent, prefix=".staging-"))
        try:
            save_packaged(
                staging,
                name=model.name.name.lower() if model.name.name.isidentifier() else "model",
                model=obj,
                sample_input=sample_input,
                signatures=signatures,
                options=options,
                code_paths=code_paths,
            )
            write_json_atomic(
                staging / VERSION_META,
                {"created_on": datetime.now(timezone.utc).isoformat(), "comment": comment, "aliases": []},
            )
            staging.rename(vdir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        meta_file = self.account.model_dir(model) / MODEL_META
        meta = (
            read_json(meta_file)
            if meta_file.exists()
            else {"created_on": datetime.now(timezone.utc).isoformat(), "comment": comment}
        )
        if set_default or not meta.get("default_version"):
            meta["default_version"] = version.name
        write_json_atomic(meta_file, meta)
        return next(v for v in self.list_versions(model) if v.version == str(version))


@lru_cache(maxsize=32)
def _class_labels(folder: str, stamp: float) -> list[str] | None:
    from snowbatch.backends.local.packaged import packaged_class_labels

    try:
        return packaged_class_labels(folder)
    except Exception:  # a model the packager cannot load here has no labels to offer, not an error
        return None


def _runnable_in(spec: dict[str, Any]) -> list[str]:
    """What SHOW VERSIONS would list for a version logged today (Snowflake's own values)."""
    return [SPCS] if model_spec.gpu_only(spec) else [WAREHOUSE, SPCS]
