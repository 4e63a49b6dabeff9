"""Models, versions and functions (ledger §2). Names in SHOW output are resolved: a model created as
"my_model" is listed as my_model, unquoted (D7)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from tests.fakes.connection import Result, Statement
from tests.fakes.routes.common import FQN, LIT, NAME, Routes, like_matches, not_found, qualify, table
from tests.fakes.routes.common import unquote_literal as unquote
from tests.fakes.state import FakeModel, resolve, split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection

STAMP = {"created_on": "TIMESTAMP_LTZ"}


def system_aliases(model: FakeModel, version: str) -> list[str]:
    names = list(model.versions)
    return (
        (["DEFAULT"] if version == model.default_version else [])
        + (["FIRST"] if version == names[0] else [])
        + (["LAST"] if version == names[-1] else [])
    )


def build(acct: FakeAccount) -> Routes:
    r = Routes()

    @r.add(rf"SHOW MODELS(?: LIKE (?P<like>{LIT}))? IN SCHEMA (?P<schema>{NAME}\.{NAME})", "F08")
    def show_models(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db, sc = split_name(m["schema"])
        if sc not in acct.databases.get(db, set()):
            raise not_found("Schema", f"{db}.{sc}", st.sql)
        like = unquote(m["like"]) if m["like"] else None
        cols = ["created_on", "name", "model_type", "database_name", "schema_name", "owner", "comment"]
        cols += ["versions", "default_version_name", "aliases"]
        rows = []
        for (mdb, msc, name), model in sorted(acct.models.items()):
            if (mdb, msc) != (db, sc) or not like_matches(like, name):
                continue
            # BCR-1653: aliases is an object of alias -> version, the system aliases included
            aliases = {a: v.name for v in model.versions.values() for a in v.aliases}
            for v in model.versions:
                aliases.update({a: v for a in system_aliases(model, v)})
            row = (model.created_on, name, "USER_MODEL", db, sc, model.owner, model.comment)
            rows.append((*row, json.dumps(list(model.versions)), model.default_version, json.dumps(aliases)))
        return table(cols, rows, STAMP)

    @r.add(rf"SHOW VERSIONS(?: LIKE (?P<like>{LIT}))? IN MODEL (?P<model>{FQN})", "F09", "F10", "F11")
    def show_versions(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["model"])
        model = acct.models.get(key)
        if model is None:
            raise not_found("Model", ".".join(key), st.sql)
        like = unquote(m["like"]) if m["like"] else None
        details = dict(st.statement_params).get("SHOW_MODEL_DETAILS_IN_SHOW_VERSIONS_IN_MODEL") is True
        cols = ["created_on", "name", "aliases", "database_name", "schema_name", "model_name"]
        cols += ["is_default_version", "functions", "metadata", "user_data", "comment", "runnable_in"]
        cols += ["inference_services", "model_attributes", "model_spec"]
        rows = []
        for v in model.versions.values():
            if not like_matches(like, v.name):
                continue
            attrs = {"framework": v.model_type, "task": v.task}
            functions = [re.sub(r"^(\w+)$", lambda x: x[1].upper(), f) for f in v.methods]
            rows.append(
                (
                    v.created_on,
                    v.name,
                    json.dumps(system_aliases(model, v.name) + v.aliases),
                    *key,
                    "true" if v.name == model.default_version else "false",
                    json.dumps(functions),
                    "{}",
                    "{}",
                    v.comment,
                    None
                    if v.runnable_in is None
                    else json.dumps(v.runnable_in),  # D4: NULL when logged earlier
                    "[]",
                    json.dumps(attrs),
                    v.model_spec if details else None,
                )
            )
        return table(cols, rows, STAMP)

    @r.add(rf"SHOW FUNCTIONS IN MODEL (?P<model>{FQN}) VERSION (?P<version>{NAME})", "F12")
    def show_functions(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["model"])
        model = acct.models.get(key)
        version = model.versions.get(resolve(m["version"])) if model else None
        if version is None:
            raise not_found("Model version", f"{'.'.join(key)} {m['version']}", st.sql)
        cols = ["created_on", "name", "version_name", "min_num_arguments", "max_num_arguments", "arguments"]
        cols += ["return_type", "description", "language", "is_table_function"]
        rows = []
        for method in version.methods:
            sql_name = method.upper() if re.fullmatch(r"\w+", method) else method  # resolved text
            returns = "TABLE (...)" if method in version.table_functions else "OBJECT"
            row = (acct.now(), sql_name, version.name, 1, 1, f"{sql_name}(...) RETURN {returns}", returns)
            rows.append((*row, "", "PYTHON", "true" if method in version.table_functions else "false"))
        return table(cols, rows)

    return r
