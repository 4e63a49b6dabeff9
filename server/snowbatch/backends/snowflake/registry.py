"""Models, versions and functions from the SHOW statements behind snowflake-ml's `Registry`.

One `SHOW VERSIONS IN MODEL` with SHOW_MODEL_DETAILS_IN_SHOW_VERSIONS_IN_MODEL returns every version's
`model_spec` (the model.yaml with signatures), which is all a listing or a function lookup needs;
`Registry.versions()` would cost 1 + 2N statements for the same facts.
"""

from __future__ import annotations

import json
from typing import Any

from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.core import model_spec
from snowbatch.core.errors import NotFound, did_you_mean
from snowbatch.core.names import Identifier, ObjectName, SchemaName, sql_string
from snowbatch.core.records import ModelSummary, Page, VersionDetail, VersionInfo
from snowbatch.core.signatures import functions_from_model_spec

DETAILS = {"SHOW_MODEL_DETAILS_IN_SHOW_VERSIONS_IN_MODEL": True}
MODEL_GRANT = "USAGE on the model (or OWNERSHIP) and USAGE on its database and schema."


def _json(value: Any, default: Any) -> Any:
    if value in (None, ""):
        return default
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return default


def _spec(row: dict[str, Any]) -> dict[str, Any]:
    import yaml

    text = row.get("model_spec")
    loaded = yaml.safe_load(text) if text else None
    return loaded if isinstance(loaded, dict) else {}


def _runnable_in(row: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """SHOW VERSIONS `runnable_in` (a JSON list; NULL or empty for versions logged before the column
    existed, which snowflake-ml treats as no restriction), else what a 2.0 spec declares."""
    listed = _json(row.get("runnable_in"), None)
    if isinstance(listed, list) and listed:
        return [str(p).upper() for p in listed]
    return model_spec.target_platforms(spec)


class RegistryReader:
    def __init__(self, sessions: SessionProvider) -> None:
        self._s = sessions

    def list_models(
        self, schema: SchemaName, *, like: str | None, limit: int, cursor: str | None
    ) -> Page[ModelSummary]:
        like_sql = f" LIKE {sql_string(like)}" if like else ""
        rows = self._s.rows(
            f"SHOW MODELS{like_sql} IN SCHEMA {schema.sql}",
            context=f"Listing models in {schema}",
            grant_hint="USAGE on the database and schema.",
        )
        rows.sort(key=lambda r: str(r["name"]))
        start = int(cursor) if cursor and cursor.isdigit() else 0
        page = rows[start : start + limit]
        items = [
            ModelSummary(
                # SHOW gives the resolved name; qualified and quoted where needed, it reads back to this model
                # whatever the session's schema (local lists models the same way)
                name=str(ObjectName(Identifier(str(r["name"])), schema.schema, schema.database)),
                versions=len(_json(r.get("versions"), [])),
                default_version=str(Identifier(str(r["default_version_name"])))
                if r.get("default_version_name")
                else None,
                comment=r.get("comment") or None,
            )
            for r in page
        ]
        more = start + limit < len(rows)
        return Page(items=items, next_cursor=str(start + limit) if more else None, total=len(rows))

    def _versions(self, model: ObjectName, like: Identifier | None = None) -> list[dict[str, Any]]:
        like_sql = f" LIKE {sql_string(like.name)}" if like else ""
        try:
            return self._s.rows(
                f"SHOW VERSIONS{like_sql} IN MODEL {model.sql}",
                statement_params=DETAILS,
                context=f"Reading model {model}",
                grant_hint=MODEL_GRANT,
            )
        except NotFound:
            raise self._model_not_found(model) from None

    def _model_not_found(self, model: ObjectName) -> NotFound:
        names: list[str] = []
        if model.database and model.schema:
            schema = SchemaName(model.database, model.schema)
            try:
                names = [
                    str(ObjectName(Identifier(str(r["name"])), model.schema, model.database))
                    for r in self._s.rows(f"SHOW MODELS IN SCHEMA {schema.sql}")
                ]
            except Exception:  # the hint is best effort; the not-found error is the answer
                names = []
        return NotFound(
            f"Model {model} was not found (or your role cannot see it).{did_you_mean(str(model), names)}",
            "Call list_models to see the models in the schema, or check the role has USAGE on the model.",
        )

    def list_model_versions(self, model: ObjectName) -> list[VersionInfo]:
        return [self._version_info(r) for r in self._versions(model)]

    @staticmethod
    def _version_info(r: dict[str, Any]) -> VersionInfo:
        spec = _spec(r)
        system = {"DEFAULT", "FIRST", "LAST"}
        return VersionInfo(
            version=str(Identifier(str(r["name"]))),
            is_default=str(r.get("is_default_version")).lower() == "true",
            aliases=[a for a in _json(r.get("aliases"), []) if a not in system],
            created_on=r.get("created_on"),
            runnable_in=_runnable_in(r, spec),
            model_type=model_spec.model_type(spec) or _json(r.get("model_attributes"), {}).get("framework"),
            comment=r.get("comment") or None,
        )

    def version_detail(self, model: ObjectName, version: Identifier | None) -> VersionDetail:
        rows = self._versions(model, like=version)
        row = self._pick(rows, version)
        if row is None and version is not None:  # not a version name: maybe an alias (needs all rows)
            rows = self._versions(model)
            row = self._pick(rows, version)
        if row is None:
            names = [str(r["name"]) for r in rows]
            wanted = version.name if version else "DEFAULT"
            raise NotFound(
                f"Model {model} has no version or alias {wanted!r}.{did_you_mean(wanted, names)}",
                "Call list_model_versions to see the versions and their aliases.",
            )
        spec = _spec(row)
        return VersionDetail(
            model=str(model),
            version=str(Identifier(str(row["name"]))),
            model_type=model_spec.model_type(spec),
            task=model_spec.task(spec) or _json(row.get("model_attributes"), {}).get("task"),
            runnable_in=_runnable_in(row, spec),
            needs_gpu=model_spec.gpu_only(spec),
            gpu_runtime=model_spec.has_gpu_runtime(spec),
            functions=functions_from_model_spec(spec),
        )

    @staticmethod
    def _pick(rows: list[dict[str, Any]], version: Identifier | None) -> dict[str, Any] | None:
        for r in rows:
            if version is None and str(r.get("is_default_version")).lower() == "true":
                return r
            if version is not None and r["name"] == version.name:
                return r
        if version is None:
            return None
        for r in rows:  # aliases (incl. DEFAULT/FIRST/LAST) compare case-insensitively when unquoted
            if version.name.upper() in {str(a).upper() for a in _json(r.get("aliases"), [])}:
                return r
        return None
