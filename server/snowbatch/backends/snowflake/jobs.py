"""Batch jobs on Snowflake: status, logs, cancel and delete of the job services `run_batch` creates.

Status reads issue the statements snowflake-ml's `MLJob` uses, directly (MLJob re-describes the service for
every property it reads): `DESCRIBE SERVICE IDENTIFIER(?)` for the status, and — because DESCRIBE
SERVICE has no message column (BCR-1596) — `SHOW SERVICE CONTAINERS IN SERVICE` for the reason a job is
failed or waiting, as snowflake-ml's `ServiceSQLClient.get_service_container_statuses` does. A job
service is dropped some days after it ends; its final status then comes from job history, as MLJob's
`_get_service_info_spcs` fallback does. Submission lives in `submit.py`, listing in `joblist.py`.
"""

from __future__ import annotations

from typing import Any, cast

from snowbatch.backends.snowflake.ledger import JobLedger, recorded_scale
from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.backends.snowflake.stages import Stages
from snowbatch.backends.snowflake.submit import Submitter
from snowbatch.core.errors import BackendFailure, InvalidRequest, NotFound
from snowbatch.core.names import ObjectName
from snowbatch.core.records import JOB_STATUSES, JobInfo, JobStatus, LogChunk
from snowbatch.core.requests import BatchJobSpec

MONITOR_GRANT = "MONITOR or OWNERSHIP on the job service."
# Statuses whose reason is read from the containers (F34); while a service is PENDING or SUSPENDED its
# container fields are NULL (d:show-containers), so only failures are worth the round trip.
EXPLAINED = {"FAILED", "INTERNAL_ERROR"}
DEFAULT_CONTAINER = (
    "main"  # MLJob's default (`snowflake/ml/jobs/_utils/constants.py`); UNVERIFIED for batch jobs
)
# SYSTEM$GET_SERVICE_LOGS returns only the newest part of a container's log (about 100 KB; UNVERIFIED
# exact size): when this much came back, older lines may be gone from it.
LOG_CAP_NEAR = 90_000


def service_ref(job_id: ObjectName) -> str:
    """A job service as the commands that refuse quoted names want it (F34, F36; D16): plain names
    unquoted; a job snowbatch did not name may still need its quotes (best effort)."""
    return job_id.plain_sql if job_id.is_plain else job_id.sql


def job_status(value: Any) -> tuple[JobStatus, str | None]:
    """A Snowflake status as a JobStatus; an unknown one is UNKNOWN with the raw value as the message."""
    text = str(value or "").strip().upper()
    if text in JOB_STATUSES:
        return cast(JobStatus, text), None
    return "UNKNOWN", f"Snowflake reported status {text or '(none)'!r}"


class Jobs:
    def __init__(self, sessions: SessionProvider, stages: Stages, ledger: JobLedger) -> None:
        self._s = sessions
        self._ledger = ledger
        self.submitter = Submitter(sessions, stages, ledger)

    def submit_job(self, spec: BatchJobSpec) -> JobInfo:
        return self.submitter.submit(spec)

    # --- reading one job ----------------------------------------------------------------------
    def _describe(self, job_id: ObjectName) -> dict[str, Any] | None:
        try:
            rows = self._s.rows(
                "DESCRIBE SERVICE IDENTIFIER(?)",
                [job_id.sql],
                context=f"Reading job {job_id}",
                grant_hint=MONITOR_GRANT,
            )
        except NotFound:
            return None
        return rows[0] if rows else None

    def container_message(self, job_id: ObjectName) -> str | None:
        """Why the job's containers are where they are: the failing one first, else the first message."""
        try:
            rows = self._s.rows(
                f"SHOW SERVICE CONTAINERS IN SERVICE {service_ref(job_id)}",
                context=f"Reading the containers of job {job_id}",
                grant_hint=MONITOR_GRANT,
            )
        except (NotFound, BackendFailure):
            return None
        said = [r for r in rows if str(r.get("message") or "").strip()]
        said.sort(key=lambda r: str(r.get("status") or "").upper() not in ("FAILED", "DONE"))
        if not said:
            return None
        first = said[0]
        where = f"container {first.get('container_name') or '?'} (instance {first.get('instance_id', '?')})"
        return f"{where} {str(first.get('status') or '').upper()}: {str(first['message']).strip()}"[:500]

    def _history(self, job_id: ObjectName) -> dict[str, Any] | None:
        """A dropped job service's final record, by snowflake-ml's own lookup (MLJob's fallback)."""
        assert job_id.database and job_id.schema
        try:
            rows = self._s.rows(
                "select DATABASE_NAME, SCHEMA_NAME, NAME, STATUS, COMPUTE_POOL_NAME, PARAMETERS "
                "from table(snowflake.spcs.get_job_history()) "
                "where database_name = ? and schema_name = ? and name = ?",
                [job_id.database.name, job_id.schema.name, job_id.name.name],
                context=f"Reading the history of job {job_id}",
            )
        except BackendFailure:  # job history unavailable: nothing more to learn
            return None
        return rows[0] if rows else None

    def get_job(self, job_id: ObjectName) -> JobInfo:
        key = str(job_id)
        facts = self._ledger.get(key)
        if facts.get("submit_state") in ("submitting", "failed") and (
            facts.get("submit_state") == "failed" or self.submitter.in_flight(key)
        ):
            settled = self.submitter.unsettled_info(key, facts, service_found=False)
            assert settled is not None
            return settled
        row = self._describe(job_id)
        if row is not None and facts.get("submit_state") == "submitting":
            self._ledger.put(key, {"submit_state": "submitted"})
        unsettled = self.submitter.unsettled_info(key, facts, service_found=row is not None)
        if unsettled is not None:
            return unsettled
        if row is not None:
            status, raw = job_status(row.get("status"))
            message = self.container_message(job_id) if status in EXPLAINED else None
            return self._info(job_id, facts, row, status, message or raw)
        history = self._history(job_id)
        if history is not None:
            status, raw = job_status(history.get("STATUS"))
            dropped = "the job service has been dropped; status from job history (UNVERIFIED)"
            return self._info(job_id, facts, history, status, raw or dropped)
        if facts:
            return self._info(job_id, facts, {}, "DELETED", "the job service no longer exists")
        raise NotFound(f"No batch job {job_id} was found.", "Call list_jobs to see recent jobs.")

    @staticmethod
    def _info(
        job_id: ObjectName, facts: dict[str, Any], row: dict[str, Any], status: JobStatus, message: str | None
    ) -> JobInfo:
        return JobInfo(
            job_id=str(job_id),
            status=status,
            model=facts.get("model"),
            version=facts.get("version"),
            function=facts.get("function"),
            compute_pool=row.get("compute_pool") or row.get("COMPUTE_POOL_NAME") or facts.get("compute_pool"),
            output_location=facts.get("output_location"),
            created_on=row.get("created_on") or row.get("CREATED_TIME") or facts.get("created_on"),
            completed_on=row.get("COMPLETED_TIME") or facts.get("completed_on"),
            message=message or row.get("MESSAGE") or None,
            **recorded_scale(facts),
        )

    # --- logs ---------------------------------------------------------------------------------
    def job_logs(self, job_id: ObjectName, *, tail: int, offset: int) -> LogChunk:
        key = str(job_id)
        facts = self._ledger.get(key)
        if facts.get("submit_state") in ("submitting", "failed"):
            info = self.get_job(job_id)
            if info.status in ("PENDING", "FAILED") and info.message:
                return LogChunk(job_id=key, lines=[f"({info.message})"], next_offset=None)
        row = self._describe(job_id)
        if row is None:
            raise NotFound(
                f"No live job service {job_id}: its logs are gone once it is dropped.",
                "Call wait_for_job for its final status; logs of dropped jobs may remain in the "
                "account's event table.",
            )
        import yaml

        # `spec` is shown only to the service's owner role (F33); otherwise MLJob's default is assumed.
        containers = (yaml.safe_load(row.get("spec") or "") or {}).get("spec", {}).get("containers", [])
        names = [c.get("name") for c in containers]
        container = names[0] if len(names) == 1 else DEFAULT_CONTAINER  # MLJob's rule
        assumed = f"container {container!r} assumed (UNVERIFIED)" if not names else None
        try:
            (log_row,) = self._s.rows(
                "SELECT SYSTEM$GET_SERVICE_LOGS(?, ?, ?)",
                [service_ref(job_id), 0, container],
                context=f"Reading logs of {job_id}",
                grant_hint=MONITOR_GRANT,
            )
            text = str(next(iter(log_row.values())) or "")
        except BackendFailure as exc:
            if "Container Status: PENDING" in exc.problem:
                return LogChunk(
                    job_id=key, lines=["(the job's container has not started yet)"], next_offset=None
                )
            raise
        lines = text.splitlines()
        end = max(len(lines) - offset, 0)
        start = max(end - tail, 0)
        capped = len(text.encode()) >= LOG_CAP_NEAR
        cap = (
            "Snowflake returns only about the last 100 KB of a container's log; older lines are in the "
            "account's event table."
            if capped and start == 0
            else None
        )
        note = "; ".join(n for n in (cap, assumed) if n) or None
        return LogChunk(
            job_id=key,
            lines=lines[start:end],
            next_offset=offset + (end - start) if start > 0 else None,
            truncated=start > 0 or capped,
            note=note,
        )

    # --- control ------------------------------------------------------------------------------
    def cancel_job(self, job_id: ObjectName) -> JobInfo:
        if self.submitter.in_flight(str(job_id)):
            raise InvalidRequest(
                f"Job {job_id} is still being submitted (its container image is being built), so Snowflake "
                "has no job service to cancel yet.",
                "Call wait_for_job until it is PENDING or RUNNING as a job service, then cancel_job.",
            )

        # F31: snowflake-ml's MLJob.cancel sends CALL; the docs show SELECT. Either may be the one an
        # account takes, so a syntax error on the first is answered with the second.
        ref, grant = service_ref(job_id), "OPERATE or OWNERSHIP on the job service."
        try:
            self._s.rows(
                f"CALL {ref}!spcs_cancel_job()", context=f"Cancelling job {job_id}", grant_hint=grant
            )
        except BackendFailure as exc:
            if "syntax error" not in exc.problem.lower():
                raise
            self._s.rows(
                f"SELECT {ref}!SPCS_CANCEL_JOB()", context=f"Cancelling job {job_id}", grant_hint=grant
            )
        return self.get_job(job_id)

    def delete_job(self, job_id: ObjectName) -> JobInfo:
        key = str(job_id)
        facts = self._ledger.get(key)
        if facts.get("submit_state") == "failed":  # no job service was ever made: only our record goes
            self._ledger.put(key, {"submit_state": "deleted"})
            return self._info(job_id, facts, {}, "DELETED", "the failed submission's record is removed")
        # The statement snowflake.ml.jobs.delete_job ends with; its payload-stage cleanup applies to ML Jobs
        # only (a batch inference job has no payload stage), and it needs the spec's volumes to decide.
        try:
            self._s.rows(
                "DROP SERVICE IDENTIFIER(?)",
                [job_id.sql],
                context=f"Deleting job {job_id}",
                grant_hint="OWNERSHIP of the job service.",
            )
        except NotFound:
            raise NotFound(
                f"No live job service {job_id} to delete.", "Call list_jobs to see the jobs."
            ) from None
        return self._info(job_id, facts, {}, "DELETED", "the job service is dropped; its output stays")
