"""`snowbatch doctor` for Snowflake: can we connect, with which role and warehouse, and may that role run
batch jobs? Each check is a `Finding` whose `fix` says what to do when it fails.

Privileges are read from SHOW GRANTS TO ROLE, which lists *direct* grants only: a privilege inherited
through the role hierarchy shows as missing here although jobs would work (the detail says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from snowbatch.backends.snowflake.session import SessionFactory, SessionProvider
from snowbatch.core.errors import SnowbatchError
from snowbatch.core.names import Identifier, SchemaName
from snowbatch.settings import Settings


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str | None = None


def run_doctor(settings: Settings, session_factory: SessionFactory | None = None) -> list[Finding]:
    """Run the checks in order; stop after a failed connection (nothing else can be checked)."""
    sessions = SessionProvider(settings, session_factory)
    source = "an injected session" if session_factory else sessions.config().source
    try:
        (row,) = sessions.rows(
            "SELECT CURRENT_ACCOUNT(), CURRENT_USER(), CURRENT_ROLE(), CURRENT_WAREHOUSE(), "
            "CURRENT_DATABASE(), CURRENT_SCHEMA()"
        )
    except SnowbatchError as exc:
        return [Finding("connection", False, f"Using {source}: {exc.problem}", exc.next_step)]
    account, user, role, warehouse, database, schema = row.values()
    findings = [Finding("connection", True, f"Connected to {account} as {user} using {source}.")]
    findings.append(
        Finding(
            "role",
            bool(role),
            f"Role {role}." if role else "No current role.",
            None if role else "Set role in the connection (or SNOWFLAKE_ROLE).",
        )
    )
    findings.append(_warehouse(sessions, warehouse))
    if not (database and schema):
        findings.append(
            Finding(
                "schema",
                False,
                "No current database and schema.",
                "Set database and schema in the connection (SNOWFLAKE_DATABASE/SNOWFLAKE_SCHEMA).",
            )
        )
        return findings
    findings.append(Finding("schema", True, f"Current schema {database}.{schema}."))
    if role:
        findings.extend(
            _privileges(
                sessions,
                Identifier(str(role)),
                SchemaName(Identifier(str(database)), Identifier(str(schema))),
            )
        )
    findings.append(_pools(sessions))
    return findings


def _warehouse(sessions: SessionProvider, warehouse: Any) -> Finding:
    fix = "Set warehouse in the connection (SNOWFLAKE_WAREHOUSE): run_batch unloads the input with it."
    if not warehouse:
        return Finding("warehouse", False, "No current warehouse.", fix)
    return Finding("warehouse", True, f"Warehouse {warehouse}.")


def _privileges(sessions: SessionProvider, role: Identifier, schema: SchemaName) -> list[Finding]:
    try:
        grants = sessions.rows(f"SHOW GRANTS TO ROLE {role.sql}")
    except SnowbatchError as exc:
        return [
            Finding(
                "privileges", False, f"Could not read the grants of role {role}: {exc.problem}", exc.next_step
            )
        ]
    held = {
        (str(g["privilege"]).upper(), str(g["granted_on"]).upper().replace("_", " "), str(g["name"]).upper())
        for g in grants
    }
    needed = [
        (
            "USAGE",
            "DATABASE",
            str(schema.database),
            f"GRANT USAGE ON DATABASE {schema.database} TO ROLE {role};",
        ),
        ("USAGE", "SCHEMA", str(schema), f"GRANT USAGE ON SCHEMA {schema} TO ROLE {role};"),
        ("CREATE SERVICE", "SCHEMA", str(schema), f"GRANT CREATE SERVICE ON SCHEMA {schema} TO ROLE {role};"),
        ("CREATE STAGE", "SCHEMA", str(schema), f"GRANT CREATE STAGE ON SCHEMA {schema} TO ROLE {role};"),
    ]
    out = []
    for privilege, kind, name, grant in needed:
        ok = (privilege, kind, name.upper()) in held or ("OWNERSHIP", kind, name.upper()) in held
        out.append(
            Finding(
                f"{privilege} on {kind.lower()}",
                ok,
                f"{privilege} on {kind} {name}: "
                + (
                    "granted to the role."
                    if ok
                    else "not among the role's direct grants (it may still be inherited)."
                ),
                None if ok else f"Ask an administrator: {grant}",
            )
        )
    return out


def _pools(sessions: SessionProvider) -> Finding:
    try:
        pools = sessions.rows("SHOW COMPUTE POOLS")
    except SnowbatchError as exc:
        return Finding("compute pools", False, exc.problem, exc.next_step)
    if not pools:
        return Finding(
            "compute pools",
            False,
            "The role can see no compute pool.",
            "GRANT USAGE ON COMPUTE POOL <pool> TO ROLE <role>; or create one (CREATE COMPUTE POOL on "
            "the account).",
        )
    names = ", ".join(f"{p['name']} ({p['state']})" for p in pools)
    return Finding("compute pools", True, f"Usable compute pools: {names}.")
