"""Tasks, procedures and the package channel (ledger F61–F65): what a scheduled plan checks and creates.

A procedure's body is kept, and its Python must compile (Snowflake compiles it at CREATE, d:create-procedure
"the handler code is validated"... UNVERIFIED: the fake is stricter than nothing, never looser than Python).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.fakes.connection import Column, Result, Statement
from tests.fakes.routes.common import (
    FQN,
    LIT,
    NAME,
    Routes,
    S,
    already_exists,
    like_matches,
    not_found,
    qualify,
    table,
    unquote_literal,
)
from tests.fakes.state import resolve, split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection

# F63: the channel as INFORMATION_SCHEMA.PACKAGES lists it: one row per version and Python runtime
CHANNEL = [("2.6.0", "3.11"), ("2.6.0", "3.12"), ("2.5.1", "3.11"), ("1.28.0", "3.10"), ("1.28.0", "3.11")]


def build(acct: FakeAccount) -> Routes:
    r = Routes()

    def show(kind: str, objects: dict[tuple[str, str, str], dict[str, str]], m: re.Match[str]) -> Result:
        db, sc = (resolve(p) for p in split_name(m["schema"]))
        like = unquote_literal(m["like"])
        cols = ["created_on", "name", "database_name", "schema_name", "owner", "state"]
        rows = [
            (acct.now(), key[2], key[0], key[1], "SYSADMIN", obj.get("state", ""))
            for key, obj in sorted(objects.items())
            if key[:2] == (db, sc) and like_matches(like, key[2])
        ]
        return table(cols, rows)

    @r.add(rf"SHOW TASKS LIKE (?P<like>{LIT}){S}IN SCHEMA (?P<schema>{NAME}\.{NAME})", "F61")
    def show_tasks(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return show("TASKS", acct.tasks, m)

    @r.add(rf"SHOW PROCEDURES LIKE (?P<like>{LIT}){S}IN SCHEMA (?P<schema>{NAME}\.{NAME})", "F62")
    def show_procedures(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return show("PROCEDURES", acct.procedures, m)

    @r.add(
        rf"SELECT VERSION, RUNTIME_VERSION FROM (?P<db>{NAME})\.INFORMATION_SCHEMA\.PACKAGES "
        r"WHERE LANGUAGE = 'python' AND PACKAGE_NAME = 'snowflake-ml-python'",
        "F63",
    )
    def packages(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return Result([Column("VERSION"), Column("RUNTIME_VERSION")], list(acct.package_channel))

    @r.add(
        rf"CREATE PROCEDURE (?P<name>{FQN})\(\)\s+RETURNS VARCHAR\s+LANGUAGE PYTHON\s+RUNTIME_VERSION = "
        rf"(?P<runtime>{LIT})\s+PACKAGES = \('snowflake-snowpark-python', "
        r"'snowflake-ml-python==(?P<ml>[0-9.]+)'\)"
        r"\s+HANDLER = 'run'\s+EXECUTE AS CALLER\s+AS\s+\$\$\n(?P<body>.*)\n\$\$",
        "F64",
    )
    def create_procedure(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["name"])
        if key in acct.procedures:
            raise already_exists(key[2], st.sql)
        if (m["ml"], unquote_literal(m["runtime"])) not in acct.package_channel:
            raise not_found("Package", f"snowflake-ml-python=={m['ml']}", st.sql)
        compile(m["body"], key[2], "exec")  # a SyntaxError here is the template's bug, loudly
        acct.procedures[key] = {"body": m["body"], "ml": m["ml"]}
        return Result.status(f"Function {key[2]} successfully created.")

    @r.add(
        rf"CREATE TASK (?P<name>{FQN})\s+WAREHOUSE = (?P<wh>{NAME})\s+SCHEDULE = (?P<schedule>{LIT})\s+"
        rf"COMMENT = {LIT}\s+AS\s+CALL (?P<proc>{FQN})\(\)",
        "F65",
    )
    def create_task(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["name"])
        if key in acct.tasks:
            raise already_exists(key[2], st.sql)
        if acct.fail_create_task:
            raise not_found("Warehouse", m["wh"], st.sql)
        schedule = unquote_literal(m["schedule"])
        if not re.fullmatch(r"USING CRON (\S+ ){5}\S+", schedule):
            raise not_found("Schedule", schedule, st.sql)
        proc = qualify(conn, m["proc"])
        acct.tasks[key] = {
            "schedule": schedule,
            "calls": ".".join(proc),
            "warehouse": resolve(m["wh"]),
            "state": "suspended",
        }  # F65: a new task is suspended
        return Result.status(f"Task {key[2]} successfully created.")

    @r.add(rf"ALTER TASK (?P<name>{FQN}) RESUME", "F65")
    def resume_task(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["name"])
        if key not in acct.tasks:
            raise not_found("Task", ".".join(key), st.sql)
        acct.tasks[key]["state"] = "started"
        return Result.status("Statement executed successfully.")

    @r.add(rf"DROP (?P<kind>TASK|PROCEDURE) IF EXISTS (?P<name>{FQN})(?:\(\))?", "F65")
    def drop(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        objects = acct.tasks if m["kind"] == "TASK" else acct.procedures
        objects.pop(qualify(conn, m["name"]), None)
        return Result.status("Drop statement executed successfully.")

    return r
