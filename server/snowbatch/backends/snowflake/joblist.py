"""Every job a role can see in a schema, newest first, from three sources that each miss some.

- `SNOWFLAKE.SPCS.GET_JOB_HISTORY` lists only jobs *owned by the current role*, created within a window
  (14 days by default in one revision of its docs page, 30 in another) and, by default, only the 100
  newest. We ask for 30 days and 10,000 rows explicitly and count what came back, so a cut is seen.
- `SHOW JOB SERVICES IN SCHEMA` lists live job services the role has privileges on, whoever owns them;
  finished jobs stay there until their service is dropped.
- snowbatch's ledger knows jobs it is still submitting (no service exists while the image builds) and the
  warehouse query jobs it started.

A job in several sources is one entry; the page says what may still be missing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from snowbatch.backends.snowflake.jobs import Jobs, job_status
from snowbatch.backends.snowflake.ledger import JobLedger, recorded_scale
from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.core.errors import BackendFailure
from snowbatch.core.joblist import Entry, sort_key
from snowbatch.core.names import Identifier, ObjectName, SchemaName
from snowbatch.core.records import JobInfo

HISTORY_DAYS = 30  # the longer of the two documented windows; a shorter retention just returns less
HISTORY_LIMIT = 10_000  # the documented maximum of RESULT_LIMIT


def history_sql(since: datetime) -> str:
    """F37: this schema's history rows, and how many rows the function returned in all (when that equals
    the limit, older jobs were cut off). The start is a TO_TIMESTAMP_LTZ literal, as snowflake-ml passes
    it (whether an expression counts as the documented `constant_expr` is UNVERIFIED); named arguments
    use `=>` as the argument list documents (the syntax block writes `RESULT_LIMIT = <n>`): if the
    account refuses it, the default call is made and the page says it may be cut at 100 jobs."""
    stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")
    return (
        "WITH H AS (SELECT * FROM TABLE(SNOWFLAKE.SPCS.GET_JOB_HISTORY("
        f"CREATED_TIME_START => TO_TIMESTAMP_LTZ('{stamp}'), RESULT_LIMIT => {HISTORY_LIMIT}))) "
        "SELECT NAME, STATUS, MESSAGE, COMPUTE_POOL_NAME, CREATED_TIME, COMPLETED_TIME, DELETED_TIME, "
        "(SELECT COUNT(*) FROM H) AS RETURNED FROM H WHERE DATABASE_NAME = ? AND SCHEMA_NAME = ?"
    )


HISTORY_DEFAULT_SQL = (
    "SELECT NAME, STATUS, MESSAGE, COMPUTE_POOL_NAME, CREATED_TIME, COMPLETED_TIME, DELETED_TIME "
    "FROM TABLE(SNOWFLAKE.SPCS.GET_JOB_HISTORY()) WHERE DATABASE_NAME = ? AND SCHEMA_NAME = ?"
)


class JobLister:
    def __init__(self, sessions: SessionProvider, jobs: Jobs, ledger: JobLedger) -> None:
        self._s = sessions
        self._jobs = jobs
        self._ledger = ledger

    def _history(self, schema: SchemaName) -> tuple[list[dict[str, Any]], str]:
        """(this schema's history rows, what the history may leave out)."""
        params = [schema.database.name, schema.schema.name]
        start = datetime.now(timezone.utc) - timedelta(days=HISTORY_DAYS)
        since = start.date().isoformat()
        try:
            rows = self._s.rows(history_sql(start), params, context="Listing jobs from job history")
        except BackendFailure as exc:
            if "2143" in exc.problem or "Unknown function" in exc.problem:
                return [], "Job history is not available to this role: only live job services are listed."
            try:
                rows = self._s.rows(HISTORY_DEFAULT_SQL, params, context="Listing jobs from job history")
            except BackendFailure:
                return [], "Job history could not be read: only live job services are listed."
            return rows, (
                "Job history answered only its default query (the newest 100 jobs of the last 14–30 days "
                "owned by this role): older jobs may exist."
            )
        cut = any(int(r.get("RETURNED") or 0) >= HISTORY_LIMIT for r in rows)
        scope = f"the newest {HISTORY_LIMIT:,} jobs" if cut else "jobs"
        return rows, (
            f"Job history gives {scope} created since {since} owned by this role; other roles' jobs appear "
            "while their job service is live. Older jobs may exist."
        )

    def _live(self, schema: SchemaName) -> list[dict[str, Any]]:
        try:
            return self._s.rows(
                f"SHOW JOB SERVICES IN SCHEMA {schema.sql}",
                context=f"Listing job services in {schema}",
                grant_hint="USAGE on the database and schema.",
            )
        except BackendFailure:
            return []

    def entries(self, schema: SchemaName) -> tuple[list[Entry[JobInfo]], str]:
        """Every batch job of the schema as list entries (no statement per job), and the page note."""
        history, note = self._history(schema)
        merged: dict[str, dict[str, Any]] = {}
        for r in history:
            name = str(r["NAME"])
            created = r.get("CREATED_TIME")
            merged[name] = {
                "status": r.get("STATUS"),
                "message": r.get("MESSAGE"),
                "pool": r.get("COMPUTE_POOL_NAME"),
                "created": created,
                "completed": r.get("COMPLETED_TIME"),
                "dropped": r.get("DELETED_TIME") is not None,
            }
        for r in self._live(schema):  # a live service's status is current: it wins
            name = str(r["name"])
            entry = merged.setdefault(name, {"created": r.get("created_on")})
            entry.update(status=r.get("status"), pool=r.get("compute_pool"), dropped=False)
        ledger = self._ledger.all()
        out: list[Entry[JobInfo]] = []
        for name, e in merged.items():
            qualified = str(ObjectName(Identifier(name), schema.schema, schema.database))
            facts = ledger.get(qualified, {})
            status, raw = job_status(e.get("status"))
            message = raw or e.get("message") or None
            if e.get("dropped"):
                message = "; ".join(filter(None, [message, "job service dropped"]))
            info = JobInfo(
                job_id=qualified,
                status=status,
                model=facts.get("model"),
                version=facts.get("version"),
                function=facts.get("function"),
                compute_pool=e.get("pool") or facts.get("compute_pool"),
                output_location=facts.get("output_location"),
                created_on=e.get("created") or facts.get("created_on"),
                completed_on=e.get("completed"),
                message=message,
                **recorded_scale(facts),
            )
            out.append(Entry(sort_key(info.created_on), qualified, info))
        seen = {e.name for e in out}
        prefix = f"{ObjectName(Identifier('X'), schema.schema, schema.database)}"[:-1]
        for job_id, facts in ledger.items():  # submitting (no service yet) or failed before one existed
            if job_id in seen or not job_id.startswith(prefix) or facts.get("kind") == "warehouse":
                continue
            pending = self._jobs.submitter.unsettled_info(job_id, facts, service_found=False)
            if pending is not None:
                out.append(Entry(sort_key(pending.created_on), job_id, pending))
        return out, note
