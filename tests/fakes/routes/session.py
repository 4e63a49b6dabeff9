"""Session, context, the registry's construction statements and the doctor's grants (ledger §1, §2, §10)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from tests.fakes.connection import Column, Result, Statement
from tests.fakes.routes.common import LIT, NAME, Routes, S, like_matches, not_found, table, unquote_literal
from tests.fakes.state import resolve

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection


def build(acct: FakeAccount) -> Routes:
    r = Routes()

    @r.add(r"select system\$cancel_all_queries\(\d+\)", "F04")
    def cancel_all(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return Result([Column("SYSTEM$CANCEL_ALL_QUERIES")], [("0 queries cancelled",)])

    @r.add(r"SELECT CURRENT_(?P<what>DATABASE|SCHEMA|ROLE|WAREHOUSE|USER|ACCOUNT)\(\)", "F02")
    def current_one(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        value = {
            "DATABASE": conn.database,
            "SCHEMA": conn.schema,
            "ROLE": conn.role,
            "WAREHOUSE": conn.warehouse,
            "USER": conn.user,
            "ACCOUNT": conn.account,
        }[m["what"]]
        return Result([Column(f"CURRENT_{m['what']}()")], [(value,)])

    @r.add(
        r"SELECT CURRENT_ACCOUNT\(\), CURRENT_USER\(\), CURRENT_ROLE\(\), CURRENT_WAREHOUSE\(\), "
        r"CURRENT_DATABASE\(\), CURRENT_SCHEMA\(\)",
        "F01",
    )
    def current_all(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        cols = ["ACCOUNT", "USER", "ROLE", "WAREHOUSE", "DATABASE", "SCHEMA"]
        # F01: CURRENT_ACCOUNT() is the account locator (d:current-account), not org-account
        return Result(
            [Column(f"CURRENT_{c}()") for c in cols],
            [(acct.locator, conn.user, conn.role, conn.warehouse, conn.database, conn.schema)],
        )

    @r.add(rf"SHOW WAREHOUSES LIKE (?P<like>{LIT})", "F58")
    def show_warehouses(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        # F58: `size` as the docs' size table writes it, `type`, and `generation` (bcr-2110)
        cols = ["name", "state", "type", "size", "generation"]
        rows = [(conn.warehouse, "STARTED", "STANDARD", "X-Small", "1")] if conn.warehouse else []
        return table(cols, [r for r in rows if like_matches(unquote_literal(m["like"]), r[0])])

    @r.add(r"SHOW PARAMETERS LIKE 'QUOTED_IDENTIFIERS_IGNORE_CASE' IN SESSION", "F03")
    def quoted_identifiers(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        cols = ["key", "value", "default", "level", "description", "type"]
        row = ("QUOTED_IDENTIFIERS_IGNORE_CASE", "false", "false", "", "", "BOOLEAN")
        return table(cols, [row])

    @r.add(r"SELECT SYSTEM\$ML_PLATFORM_CAPABILITIES\(\) AS FEATURES", "F05")
    def capabilities(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return Result([Column("FEATURES")], [(json.dumps(acct.capabilities),)])

    @r.add(rf"SHOW DATABASES LIKE (?P<like>{LIT})", "F06")
    def show_databases(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        like = unquote_literal(m["like"])
        cols = ["created_on", "name", "is_default", "is_current", "origin", "owner", "comment", "options"]
        rows = [
            (acct.now(), db, "N", "N", "", "ACCOUNTADMIN", "", "")
            for db in sorted(acct.databases)
            if like_matches(like, db)
        ]
        return table(cols, rows)

    @r.add(rf"SHOW SCHEMAS LIKE (?P<like>{LIT}){S}IN DATABASE (?P<db>{NAME})", "F07")
    def show_schemas(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db = resolve(m["db"])
        if db not in acct.databases:
            raise not_found("Database", db, st.sql)
        like = unquote_literal(m["like"])
        cols = ["created_on", "name", "is_default", "is_current", "database_name", "owner", "comment"]
        rows = [
            (acct.now(), sc, "N", "N", db, "ACCOUNTADMIN", "")
            for sc in sorted(acct.databases[db])
            if like_matches(like, sc)
        ]
        return table(cols, rows)

    @r.add(rf"SHOW GRANTS TO ROLE (?P<role>{NAME})", "F49")
    def show_grants(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        role = resolve(m["role"])
        cols = ["created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name"]
        cols += ["grant_option", "granted_by"]
        rows = [
            (acct.now(), priv, on, name, "ROLE", role, "false", "ACCOUNTADMIN")
            for priv, on, name in acct_grants(acct)
        ]
        return table(cols, rows)

    return r


def acct_grants(acct: FakeAccount) -> list[tuple[str, str, str]]:
    """The privileges the fake role holds directly (minus what a test denied with a 'grant:' pattern)."""
    granted = [
        ("USAGE", "DATABASE", "ML"),
        ("USAGE", "SCHEMA", "ML.PUBLIC"),
        ("CREATE SERVICE", "SCHEMA", "ML.PUBLIC"),
        ("CREATE STAGE", "SCHEMA", "ML.PUBLIC"),
        ("USAGE", "WAREHOUSE", "ML_WH"),
        ("USAGE", "COMPUTE_POOL", "CPU_POOL"),
        ("USAGE", "COMPUTE_POOL", "GPU_POOL"),
    ]
    revoked = {d.pattern[len("grant:") :] for d in acct.denials if d.pattern.startswith("grant:")}
    return [g for g in granted if f"{g[0]} {g[1]} {g[2]}" not in revoked]
