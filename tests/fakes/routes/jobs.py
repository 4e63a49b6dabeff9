"""Batch inference jobs: submit, status, containers, logs, cancel, delete, history (ledger §7, §8)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from tests.fakes import jobs
from tests.fakes.connection import Column, Result, Statement, fake_error
from tests.fakes.routes.common import FQN, LIT, NAME, STAGEREF, Routes, qualify
from tests.fakes.routes.common import unquote_literal as unquote
from tests.fakes.state import resolve, split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection

HISTORY_SELECT = (
    r"SELECT NAME, STATUS, MESSAGE, COMPUTE_POOL_NAME, CREATED_TIME, COMPLETED_TIME, DELETED_TIME"
)
SCHEMA_FILTER = r"WHERE DATABASE_NAME = \? AND SCHEMA_NAME = \?"


def refuse_quoted(text: str, query: str) -> None:
    """SHOW SERVICE CONTAINERS/INSTANCES do not support quoted names (d:show-containers; D16)."""
    if '"' in text:
        raise fake_error(
            "SQL compilation error:\nQuoted names for special characters or case-sensitive names are not "
            "supported.",
            2025,
            "42601",
            query,
        )


def build(acct: FakeAccount) -> Routes:
    r = Routes()

    @r.add(
        rf"EXECUTE INFERENCE JOB SERVICE\nIN COMPUTE POOL (?P<pool>{NAME})\n"
        rf"WITH SPECIFICATION '(?P<spec>(?:[^'\\]|\\.)*)'\nFROM (?P<src>{STAGEREF})\n"
        rf"MODEL = (?P<model>{FQN})(?:\nVERSION = (?P<version>{NAME}))?(?:\nFUNCTION = (?P<fn>{LIT}))?"
        rf"(?:\nNAME = (?P<name>{FQN}))?\nASYNC = (?P<async>TRUE|FALSE)(?:\nREPLICAS = (?P<replicas>\d+))?",
        "F30",
    )
    def execute_job(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        name = m["name"] or f"BATCH_INFERENCE_{uuid.uuid4().hex.upper()}"
        job = jobs.submit(
            acct,
            conn,
            st.sql,
            pool=resolve(m["pool"]),
            spec_yaml=m["spec"].replace("\\'", "'"),
            source=m["src"],
            model=qualify(conn, m["model"]),
            version=resolve(m["version"]) if m["version"] else None,
            function=unquote(m["fn"]) if m["fn"] else None,
            name=qualify(conn, name),
            replicas=int(m["replicas"] or 1),
        )
        return Result.status(f"Batch inference job {'.'.join(job.key)} successfully submitted.")

    @r.add(rf"(?:CALL (?P<call>{FQN})!spcs_cancel_job|SELECT (?P<select>{FQN})!SPCS_CANCEL_JOB)\(\)", "F31")
    def cancel_job(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        job = jobs.find_live(acct, conn, m["call"] or m["select"], st.sql)
        jobs.cancel(acct, job)
        return Result([Column("SPCS_CANCEL_JOB")], [("Job cancellation requested.",)])

    @r.add(r"DROP SERVICE IDENTIFIER\(\?\)", "F32")
    def drop_service(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        job = jobs.find_live(acct, conn, str((st.params or ("",))[0]), st.sql)
        if job.owner != conn.role:
            raise fake_error("Insufficient privileges to operate on service.", 3001, "42501", st.sql)
        job.deleted, job.deleted_on = True, acct.now()
        return Result.status(f"{job.key[2]} successfully dropped.")

    @r.add(r"DESCRIBE SERVICE IDENTIFIER\(\?\)", "F33")
    def describe_service(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        job = jobs.find_live(acct, conn, str((st.params or ("",))[0]), st.sql)
        return jobs.describe_rows(job, conn.role)

    @r.add(rf"SHOW SERVICE CONTAINERS IN SERVICE (?P<job>{FQN})", "F34")
    def show_containers(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        refuse_quoted(m["job"], st.sql)
        return jobs.container_rows(jobs.find_live(acct, conn, m["job"], st.sql))

    @r.add(r"SHOW SERVICE INSTANCES IN SERVICE IDENTIFIER\(\?\)", "F35")
    def show_instances(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        target = str((st.params or ("",))[0])
        refuse_quoted(target, st.sql)
        return jobs.instance_rows(jobs.find_live(acct, conn, target, st.sql))

    @r.add(r"SELECT SYSTEM\$GET_SERVICE_LOGS\(\?, \?, \?(?:, \?)?\)", "F36")
    def service_logs(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        params = list(st.params or ())
        job = jobs.find_live(acct, conn, str(params[0]), st.sql)
        text = jobs.capped_logs(job, int(params[3]) if len(params) > 3 else None)
        return Result([Column("SYSTEM$GET_SERVICE_LOGS")], [(text,)])

    @r.add(
        r"WITH H AS \(SELECT \* FROM TABLE\(SNOWFLAKE\.SPCS\.GET_JOB_HISTORY\(CREATED_TIME_START => "
        r"TO_TIMESTAMP_LTZ\('(?P<since>[^']+)'\), RESULT_LIMIT => (?P<limit>\d+)\)\)\) "
        rf"{HISTORY_SELECT}, \(SELECT COUNT\(\*\) FROM H\) AS RETURNED FROM H {SCHEMA_FILTER}",
        "F37",
    )
    def job_history(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        if not acct.job_history_enabled:
            raise fake_error("Unknown function SNOWFLAKE.SPCS.GET_JOB_HISTORY", 2143, "42601", st.sql)
        since = datetime.strptime(m["since"], "%Y-%m-%d %H:%M:%S %z")
        limit = int(m["limit"])
        if not 1 <= limit <= 10_000:
            raise fake_error("RESULT_LIMIT must be between 1 and 10000.", 1008, "22023", st.sql)
        found = jobs.history(acct, conn.role, since=since, limit=limit)
        db, sc = (str(p) for p in (st.params or ("", ""))[:2])
        return jobs.history_rows(found, db, sc, returned=len(found))

    @r.add(rf"{HISTORY_SELECT} FROM TABLE\(SNOWFLAKE\.SPCS\.GET_JOB_HISTORY\(\)\) {SCHEMA_FILTER}", "F38")
    def job_history_default(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        if not acct.job_history_enabled:
            raise fake_error("Unknown function SNOWFLAKE.SPCS.GET_JOB_HISTORY", 2143, "42601", st.sql)
        found = jobs.history(acct, conn.role, since=None, limit=None)
        db, sc = (str(p) for p in (st.params or ("", ""))[:2])
        return jobs.history_rows(found, db, sc, returned=None)

    @r.add(
        r"select DATABASE_NAME, SCHEMA_NAME, NAME, STATUS, COMPUTE_POOL_NAME, PARAMETERS\s+from table\("
        r"snowflake\.spcs\.get_job_history\(\)\)\s+where database_name = \? and schema_name = \? "
        r"and name = \?",
        "F39",
    )
    def job_history_one(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        if not acct.job_history_enabled:
            raise fake_error("Unknown function SNOWFLAKE.SPCS.GET_JOB_HISTORY", 2143, "42601", st.sql)
        # Compared as values, as a WHERE clause would: a bound name keeps any quotes it was given (D16).
        db, sc, name = (str(p) for p in (st.params or ("", "", "")))
        found = [j for j in jobs.history(acct, conn.role, since=None, limit=None) if j.key == (db, sc, name)]
        cols = ["DATABASE_NAME", "SCHEMA_NAME", "NAME", "STATUS", "COMPUTE_POOL_NAME", "PARAMETERS"]
        rows = [
            (*j.key, "DELETED" if j.deleted else j.status, j.compute_pool, f'{{"REPLICAS": {j.replicas}}}')
            for j in found
        ]
        return Result([Column(c) for c in cols], rows)

    @r.add(rf"SHOW JOB SERVICES IN SCHEMA (?P<schema>{NAME}\.{NAME})", "F41")
    def show_job_services(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db, sc = split_name(m["schema"])
        return jobs.live_service_rows(acct, conn.role, db, sc)

    return r
