"""Batch jobs: submitted through the installed snowflake-ml `ModelVersion.run_batch` (2.x), then
watched, cancelled and deleted with the statements `MLJob` and `snowflake.ml.jobs` use.

Status and logs issue the same statements as `MLJob` (`DESCRIBE SERVICE IDENTIFIER(?)`,
`SYSTEM$GET_SERVICE_LOGS`) directly, because `MLJob` re-describes the service for each property it
reads (3 round trips for `get_logs`), and its row is where the pool and timestamps are.
"""

from __future__ import annotations

import re
from typing import Any, cast

from snowbatch.backends.snowflake.ledger import JobLedger
from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.backends.snowflake.stages import Stages
from snowbatch.core.errors import (
    BackendFailure,
    Conflict,
    InvalidName,
    InvalidRequest,
    NotFound,
    did_you_mean,
)
from snowbatch.core.names import Identifier, ObjectName, StageLocation
from snowbatch.core.records import JobInfo, JobStatus, LogChunk, Page
from snowbatch.core.requests import BatchJobSpec

SUBMIT_GRANT = (
    "CREATE SERVICE on the job's schema, USAGE on the compute pool and the model, READ on the input "
    "stage and WRITE on the output stage (see `snowbatch doctor`)."
)
_STATUSES = {"PENDING", "RUNNING", "DONE", "FAILED", "CANCELLING", "CANCELLED", "INTERNAL_ERROR", "DELETED"}


# snowflake-ml's run_batch writes the output location unquoted after FROM @… and inside a YAML literal
# that it escapes only for quotes (snowflake-ml 2.6 `_client/sql/service.py`), so only locations that need
# no escaping at all are handed to it: quoted stage names are fine, quotes and backslashes are not, and
# the path keeps to letters, digits and _ . = + -.
_RUN_BATCH_PATH = re.compile(r"(?:[A-Za-z0-9_.=+-]+/)*[A-Za-z0-9_.=+-]*\Z")


def check_run_batch_location(location: StageLocation) -> None:
    stage_sql = location.stage.sql
    if "'" in stage_sql or "\\" in stage_sql or not _RUN_BATCH_PATH.match(location.path):
        raise InvalidName(
            f"The output location {location} cannot be passed safely to snowflake-ml's run_batch "
            "(it would need quoting that run_batch does not apply).",
            "Use a stage whose name has no ' or \\ and a path of letters, digits and _ . = + - "
            "separated by /, e.g. @ML.PUBLIC.BATCH_OUT/run_2024_06/.",
        )


def _status(value: Any) -> str:
    text = str(value or "").upper()
    return text if text in _STATUSES else "PENDING"


class Jobs:
    def __init__(self, sessions: SessionProvider, stages: Stages, ledger: JobLedger) -> None:
        self._s = sessions
        self._stages = stages
        self._ledger = ledger
        self._registries: dict[tuple[str, str, int], Any] = {}

    # --- submit -------------------------------------------------------------------------------
    def _registry(self, session: Any, model: ObjectName) -> Any:
        from snowflake.ml.registry import Registry

        assert model.database and model.schema
        key = (model.database.name, model.schema.name, self._s.generation)
        if key not in self._registries:  # construction costs 3 statements; keep one per schema and session
            self._registries[key] = Registry(
                session, database_name=model.database.sql, schema_name=model.schema.sql
            )
        return self._registries[key]

    def submit_job(self, spec: BatchJobSpec) -> JobInfo:
        model = ObjectName.parse(spec.model, what="model")
        version = Identifier.parse(spec.version)
        job = ObjectName.parse(spec.job_name, what="job")
        base = StageLocation.parse(spec.output_stage).as_directory()
        check_run_batch_location(base)
        job_dir = base.child(job.name.name + "/")
        pool = Identifier.parse(spec.compute_pool, allow_quoted=False)
        if spec.mode == "error" and self._stages.list_rows(job_dir):
            raise Conflict(
                f"The output location {job_dir} already holds files and the save mode is ERROR.",
                "Choose another job_name or output path, or submit again with mode='overwrite'.",
            )

        def go(session: Any) -> Any:
            from snowflake.ml.model.batch_inference import (
                EngineOptions,
                InferenceSpec,
                InputSpec,
                OutputSpec,
                ResourcesSpec,
                SaveMode,
            )

            registry = self._registry(session, model)
            try:
                mv = registry.get_model(model.sql).version(version.sql)
            except ValueError as exc:
                raise NotFound(
                    f"{exc}", "Call list_models / list_model_versions to pick an existing one."
                ) from None
            handling = {
                col: {"input_format": "full_stage_path", "convert_to": enc.lower()}
                for col, enc in (spec.column_handling or {}).items()
            } or None
            resources = (
                ResourcesSpec(
                    cpu_requests=spec.cpu_requests,
                    memory_requests=spec.memory_requests,
                    gpu_requests=spec.gpu_requests,
                )
                if spec.cpu_requests or spec.memory_requests or spec.gpu_requests
                else None
            )
            engine = (
                EngineOptions(engine=spec.engine, engine_args_override=spec.engine_args)
                if spec.engine
                else None
            )
            inference = (
                InferenceSpec(
                    num_workers=spec.num_workers, max_batch_rows=spec.max_batch_rows, engine_options=engine
                )
                if spec.num_workers or spec.max_batch_rows or engine
                else None
            )
            try:
                return mv.run_batch(
                    self._input_frame(session, spec),
                    compute_pool=pool.name,
                    output_spec=OutputSpec(
                        stage_location=f"@{base.stage.sql}/{base.path}",
                        mode=SaveMode.ERROR if spec.mode == "error" else SaveMode.OVERWRITE,
                    ),
                    input_spec=InputSpec(params=spec.params, column_handling=handling)
                    if spec.params or handling
                    else None,
                    resources_spec=resources,
                    inference_spec=inference,
                    function_name=spec.function_name,
                    job_name=job.sql,
                    replicas=spec.replicas,
                )
            except ValueError as exc:  # client-side checks (function name, GPU on a CPU-only model, ...)
                names = [f["name"] for f in mv.show_functions()]
                raise InvalidRequest(
                    f"snowflake-ml refused the job: {exc}{did_you_mean(spec.function_name, names)}",
                    "Fix the request (show_model_functions lists the functions) and plan again.",
                ) from None

        try:
            handle = self._s.run(go, context=f"Submitting batch job {job}", grant_hint=SUBMIT_GRANT)
        except BackendFailure as exc:
            if "not empty" in exc.problem.lower():
                raise Conflict(
                    exc.problem, "Choose another job_name or output path, or use mode='overwrite'."
                ) from None
            raise
        job_id = str(ObjectName.parse(handle.id, what="job"))
        facts = {
            "model": str(model),
            "version": version.name,
            "function": spec.function_name,
            "compute_pool": pool.name,
            "output_location": str(job_dir),
        }
        self._ledger.put(job_id, facts)
        return JobInfo(
            job_id=job_id,
            status="PENDING",
            model=str(model),
            version=version.name,
            function=spec.function_name,
            compute_pool=pool.name,
            output_location=str(job_dir),
        )

    @staticmethod
    def _input_frame(session: Any, spec: BatchJobSpec) -> Any:
        source = spec.input
        table = source.table or source.chat_table
        if source.rows:
            keys = list(source.rows[0])
            return session.create_dataframe([[r.get(k) for k in keys] for r in source.rows], schema=keys)
        if source.kind == "chat" and source.files and not source.chat_table:
            # A chat built from a prompt plus files: one JSON message list per file, as on the local backend.
            rows = [[m] for m in source.chat_message_rows()]
            return session.create_dataframe(rows, schema=["MESSAGES"])
        if source.files:
            column = source.file_column or "FILE_PATH"
            return session.create_dataframe([[f] for f in source.files], schema=[column])
        if table:
            relation = ObjectName.parse(table, what="table")
            columns = ", ".join(Identifier.parse(c).sql for c in source.columns) if source.columns else "*"
            # session.sql, not session.table().select(): no DESCRIBE round trip before the unload.
            return session.sql(f"SELECT {columns} FROM {relation.sql}")
        raise InvalidRequest(
            "The job has no input rows, files or table.", "Plan the job again with an input."
        )

    # --- status -------------------------------------------------------------------------------
    def _describe(self, job_id: ObjectName) -> dict[str, Any] | None:
        try:
            rows = self._s.rows(
                "DESCRIBE SERVICE IDENTIFIER(?)",
                [job_id.sql],
                context=f"Reading job {job_id}",
                grant_hint="MONITOR or OWNERSHIP on the job service.",
            )
        except NotFound:
            return None
        return rows[0] if rows else None

    def _info(self, job_id: ObjectName, row: dict[str, Any] | None, status: str | None = None) -> JobInfo:
        facts = self._ledger.get(str(job_id))
        if not row and not facts:
            raise NotFound(f"No batch job {job_id} was found.", "Call list_jobs to see recent jobs.")
        row = row or {}
        return JobInfo(
            job_id=str(job_id),
            status=cast(JobStatus, status or _status(row.get("status") or row.get("STATUS") or "DELETED")),
            model=facts.get("model"),
            version=facts.get("version"),
            function=facts.get("function"),
            compute_pool=row.get("compute_pool") or row.get("COMPUTE_POOL_NAME") or facts.get("compute_pool"),
            output_location=facts.get("output_location"),
            created_on=row.get("created_on") or row.get("CREATED_TIME"),
            completed_on=row.get("COMPLETED_TIME"),
            message=row.get("MESSAGE") or None,
        )

    def get_job(self, job_id: ObjectName) -> JobInfo:
        return self._info(job_id, self._describe(job_id))

    def list_jobs(
        self, schema: tuple[Identifier, Identifier], *, limit: int, cursor: str | None
    ) -> Page[JobInfo]:
        offset = int(cursor) if cursor and cursor.isdigit() else 0
        db, sc = schema
        try:
            rows = self._s.rows(
                "SELECT NAME, STATUS, MESSAGE, COMPUTE_POOL_NAME, CREATED_TIME, COMPLETED_TIME "
                "FROM TABLE(SNOWFLAKE.SPCS.GET_JOB_HISTORY()) WHERE DATABASE_NAME = ? AND SCHEMA_NAME = ? "
                "AND DELETED_TIME IS NULL ORDER BY CREATED_TIME DESC, NAME "
                f"LIMIT {int(limit) + 1} OFFSET {offset}",
                [db.name, sc.name],
                context="Listing jobs",
            )
        except BackendFailure:  # job history unavailable (error 2143): SHOW JOB SERVICES still lists them
            shown = self._s.rows(f"SHOW JOB SERVICES IN SCHEMA {db.sql}.{sc.sql}", context="Listing jobs")
            shown.sort(key=lambda r: (str(r.get("created_on")), str(r["name"])), reverse=True)
            rows = [
                {
                    "NAME": r["name"],
                    "STATUS": r["status"],
                    "COMPUTE_POOL_NAME": r.get("compute_pool"),
                    "CREATED_TIME": r.get("created_on"),
                }
                for r in shown[offset : offset + limit + 1]
            ]
        items = [self._info(ObjectName(Identifier(str(r["NAME"])), sc, db), r) for r in rows[:limit]]
        return Page(items=items, next_cursor=str(offset + limit) if len(rows) > limit else None)

    def job_logs(self, job_id: ObjectName, *, tail: int, offset: int) -> LogChunk:
        row = self._describe(job_id)
        if row is None:
            raise NotFound(
                f"No live job service {job_id}: its logs are gone once it is deleted.",
                "Call list_jobs; logs of deleted jobs may remain in the account's event table.",
            )
        import yaml

        containers = (yaml.safe_load(row.get("spec") or "") or {}).get("spec", {}).get("containers", [])
        names = [c.get("name") for c in containers]
        container = names[0] if len(names) == 1 else "main"  # MLJob's rule: the only one, else 'main'
        try:
            (log_row,) = self._s.rows(
                "SELECT SYSTEM$GET_SERVICE_LOGS(?, ?, ?)",
                [job_id.sql, 0, container],
                context=f"Reading logs of {job_id}",
            )
            text = str(next(iter(log_row.values())) or "")
        except BackendFailure as exc:
            if "Container Status: PENDING" in exc.problem:
                return LogChunk(
                    job_id=str(job_id), lines=["(the job's container has not started yet)"], next_offset=None
                )
            raise
        lines = text.splitlines()
        end = max(len(lines) - offset, 0)
        start = max(end - tail, 0)
        return LogChunk(
            job_id=str(job_id),
            lines=lines[start:end],
            next_offset=offset + tail if start > 0 else None,
            truncated=start > 0,
        )

    def cancel_job(self, job_id: ObjectName) -> JobInfo:
        from snowflake.ml.jobs import MLJob

        def go(session: Any) -> None:
            try:
                MLJob(job_id.sql, session=session).cancel()
            except RuntimeError as exc:  # MLJob wraps the SQL error; keep its cause for translation
                raise exc.__cause__ or exc from None

        self._s.run(
            go, context=f"Cancelling job {job_id}", grant_hint="OPERATE or OWNERSHIP on the job service."
        )
        return self.get_job(job_id)

    def delete_job(self, job_id: ObjectName) -> JobInfo:
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
        return self._info(job_id, {}, status="DELETED")
