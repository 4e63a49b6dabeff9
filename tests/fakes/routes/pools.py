"""Compute pools (ledger §6). Pool names are plain identifiers: quoted ones are refused (D15)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.fakes.connection import Column, Result, Statement, fake_error
from tests.fakes.routes.common import LIT, NAME, Routes, already_exists, like_matches, not_found
from tests.fakes.routes.common import unquote_literal as unquote
from tests.fakes.state import FakePool, resolve

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection

COLUMNS = [
    "name", "state", "min_nodes", "max_nodes", "instance_family", "num_services", "num_jobs",
    "auto_suspend_secs", "auto_resume", "active_nodes", "idle_nodes", "target_nodes", "created_on",
    "resumed_on", "updated_on", "owner", "comment", "is_exclusive", "application", "budget", "error_code",
    "status_message", "placement_group",
]  # fmt: skip


def plain(name: str, query: str) -> str:
    if name.startswith('"'):
        raise fake_error(
            "SQL compilation error:\nQuoted names for special characters or case-sensitive names are not "
            "supported for compute pools.",
            2025,
            "42601",
            query,
        )
    return resolve(name)


def build(acct: FakeAccount) -> Routes:
    r = Routes()

    @r.add(rf"SHOW COMPUTE POOLS(?: LIKE (?P<like>{LIT}|\?))?", "F25", "F26", "F27")
    def show_pools(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        like = None
        if m["like"] == "?":
            like = str((st.params or ("",))[0])
        elif m["like"]:
            like = unquote(m["like"])
        rows = []
        for name, p in sorted(acct.pools.items()):
            if not like_matches(like, name):
                continue
            running = sum(1 for j in acct.jobs.values() if j.compute_pool == name and j.status == "RUNNING")
            rows.append(
                (
                    name, p.state, p.min_nodes, p.max_nodes, p.instance_family, 0, running,
                    p.auto_suspend_secs, "true" if p.auto_resume else "false", p.active_nodes, p.active_nodes,
                    p.min_nodes if p.state != "SUSPENDED" else 0, p.created_on, None, acct.now(),
                    "ACCOUNTADMIN", p.comment, "false", None, None, None, "", None,
                )
            )  # fmt: skip
        numeric = ("nodes", "secs", "services", "jobs")
        return Result([Column(c, "FIXED" if c.endswith(numeric) else "TEXT") for c in COLUMNS], rows)

    @r.add(
        rf"CREATE COMPUTE POOL (?P<ine>IF NOT EXISTS )?(?P<name>{NAME}) MIN_NODES = (?P<min>\d+) "
        rf"MAX_NODES = (?P<max>\d+) INSTANCE_FAMILY = (?P<family>\w+) AUTO_RESUME = (?P<ar>TRUE|FALSE) "
        rf"AUTO_SUSPEND_SECS = (?P<secs>\d+)",
        "F28",
    )
    def create_pool(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        name = plain(m["name"], st.sql)
        if name in acct.pools:
            if m["ine"]:
                return Result.status(f"{name} already exists, statement succeeded.")
            raise already_exists(name, st.sql)
        if int(m["min"]) < 1 or int(m["min"]) > int(m["max"]):
            raise fake_error("MIN_NODES must be > 0 and <= MAX_NODES.", 1008, "22023", st.sql)
        pool = FakePool(name, m["family"], state="STARTING", min_nodes=int(m["min"]), max_nodes=int(m["max"]))
        pool.auto_resume, pool.auto_suspend_secs = m["ar"] == "TRUE", int(m["secs"])
        acct.add_pool(pool)
        return Result.status(f"Compute Pool {name} successfully created.")

    @r.add(rf"ALTER COMPUTE POOL (?P<name>{NAME}) RESUME", "F29")
    def resume_pool(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        name = plain(m["name"], st.sql)
        pool = acct.pools.get(name)
        if pool is None:
            raise not_found("Compute pool", name, st.sql)
        if pool.state == "SUSPENDED":
            pool.state = "STARTING"
        return Result.status("Statement executed successfully.")

    return r
