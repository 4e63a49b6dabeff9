"""Submitting a batch job without blocking the tool call.

EXECUTE INFERENCE JOB SERVICE waits for the model's container image to be built before it returns, even
with ASYNC = TRUE (Snowflake docs, EXECUTE INFERENCE JOB SERVICE), and snowflake-ml's `run_batch` first
unloads the input on the warehouse. The first job of a version can therefore take many minutes to
submit: far past any MCP client's time-out, which would invite the assistant to submit again.

So `submit` checks what it can at once, records the job under its fixed name in the ledger as
`submitting`, starts `run_batch` in a background thread and returns the job id within a second. The
thread records `submitted` or `failed` (with the reason); status reads follow the record until Snowflake
has the job service, and a restarted server still finds the job by its name.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from snowbatch.backends.snowflake.ledger import JobLedger, recorded_scale
from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.backends.snowflake.stages import Stages, relative_path
from snowbatch.core.errors import (
    Conflict,
    InvalidName,
    InvalidRequest,
    NotFound,
    SnowbatchError,
    did_you_mean,
)
from snowbatch.core.input_columns import projection_sql
from snowbatch.core.input_select import create_parquet_format, input_select
from snowbatch.core.joblist import seconds_since
from snowbatch.core.names import Identifier, ObjectName, StageLocation
from snowbatch.core.output import occupants
from snowbatch.core.records import SUBMITTING, JobInfo, JobStatus
from snowbatch.core.requests import BatchJobSpec

log = logging.getLogger("snowbatch.snowflake")

SUBMIT_GRANT = (
    "CREATE SERVICE on the job's schema, USAGE on the compute pool and the model, READ on the input "
    "stage and WRITE on the output stage (see `snowbatch doctor`)."
)
# A submission whose server died is given this long to show up as a job service before it counts as failed.
RESTART_GRACE_SECONDS = 3600
BUILDING = (
    f"{SUBMITTING} the input is being staged and, on a version's first run, Snowflake builds the model's "
    "container image first (minutes)"
)

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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Submitter:
    def __init__(self, sessions: SessionProvider, stages: Stages, ledger: JobLedger) -> None:
        self._s = sessions
        self._stages = stages
        self._ledger = ledger
        self._registries: dict[tuple[str, str, int], Any] = {}
        self._threads: dict[str, threading.Thread] = {}
        self.instance = uuid.uuid4().hex  # tells this server's submissions from those of one before a restart

    # --- the checks that run before the call returns ------------------------------------------
    def occupied(self, base: StageLocation) -> list[str]:
        """What already lies in the output base (`core.output.occupants`).

        Which folder the server's save-mode check scans is read two ways: the docs name the per-job
        folder, snowflake-ml 2.6's comments the whole base (D14). Checking the base is safe under both."""
        rows = self._stages.list_rows(base)
        return occupants([relative_path(str(r["name"]))[len(base.path) :] for r in rows])

    def submit(self, spec: BatchJobSpec) -> JobInfo:
        model = ObjectName.parse(spec.model, what="model")
        version = Identifier.parse(spec.version)
        job = spec.job
        job.plain_sql  # noqa: B018 - refuses a quoted job name before anything is sent
        base = StageLocation.parse(spec.output_stage).as_directory()
        check_run_batch_location(base)
        job_dir = base.child(job.name.name + "/")
        pool = Identifier.parse(spec.compute_pool, allow_quoted=False)
        if str(job) in self._ledger.all():
            raise Conflict(
                f"A job named {job} was already submitted from this server.",
                "Plan again (a new plan gets a new job name), or follow that job with wait_for_job.",
            )
        if spec.mode == "error" and self.occupied(base):
            raise Conflict(
                f"The output location {base} already holds files and the save mode is ERROR.",
                "Plan again with a fresh output path (e.g. add a run id), or mode='overwrite'.",
            )
        facts = {
            "model": str(model),
            "version": version.name,
            "function": spec.function_name,
            "compute_pool": pool.name,
            "output_location": str(job_dir),
            "input_rows": spec.input.row_count or len(spec.input.files or []) or None,
            "replicas": spec.replicas,
            "created_on": _now(),
            "submit_state": "submitting",
            "server": self.instance,
        }
        job_id = str(job)
        self._ledger.put(job_id, facts)
        thread = threading.Thread(
            target=self._run, args=(job_id, spec, model, version, job, base, pool), daemon=True
        )
        self._threads[job_id] = thread
        thread.start()
        return self.recorded_info(job_id, facts)

    # --- the background part ------------------------------------------------------------------
    def _run(
        self,
        job_id: str,
        spec: BatchJobSpec,
        model: ObjectName,
        version: Identifier,
        job: ObjectName,
        base: StageLocation,
        pool: Identifier,
    ) -> None:
        started = time.monotonic()
        try:
            self._s.run(
                lambda session: self._run_batch(session, spec, model, version, job, base, pool),
                context=f"Submitting batch job {job}",
                grant_hint=SUBMIT_GRANT,
            )
        except SnowbatchError as exc:
            self._ledger.put(job_id, {"submit_state": "failed", "failure": str(exc), "completed_on": _now()})
            return
        except Exception as exc:  # never leave a job 'submitting' forever: record what went wrong
            log.exception("submitting %s failed unexpectedly", job_id)
            self._ledger.put(
                job_id,
                {
                    "submit_state": "failed",
                    "failure": f"snowbatch could not submit the job ({type(exc).__name__}); "
                    "see the server log.",
                    "completed_on": _now(),
                },
            )
            return
        self._ledger.put(job_id, {"submit_state": "submitted", "submit_seconds": time.monotonic() - started})

    def _registry(self, session: Any, model: ObjectName) -> Any:
        from snowflake.ml.registry import Registry

        assert model.database and model.schema
        key = (model.database.name, model.schema.name, self._s.generation)
        if key not in self._registries:  # construction costs 3 statements; keep one per schema and session
            self._registries[key] = Registry(
                session, database_name=model.database.sql, schema_name=model.schema.sql
            )
        return self._registries[key]

    def _run_batch(
        self,
        session: Any,
        spec: BatchJobSpec,
        model: ObjectName,
        version: Identifier,
        job: ObjectName,
        base: StageLocation,
        pool: Identifier,
    ) -> Any:
        from snowflake.ml.model.batch_inference import (
            EngineOptions,
            InferenceSpec,
            InputSpec,
            OutputSpec,
            ResourcesSpec,
            SaveMode,
        )

        try:
            mv = self._registry(session, model).get_model(model.sql).version(version.sql)
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
            EngineOptions(engine=spec.engine, engine_args_override=spec.engine_args) if spec.engine else None
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
                input_frame(session, spec),
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
                job_name=job.plain_sql,  # plain by preflight; the job commands refuse quoted names
                replicas=spec.replicas,
            )
        except ValueError as exc:  # client-side checks (function name, GPU on a CPU-only model, ...)
            names = [f["name"] for f in mv.show_functions()]
            raise InvalidRequest(
                f"snowflake-ml refused the job: {exc}{did_you_mean(spec.function_name, names)}",
                "Fix the request (show_model_functions lists the functions) and plan again.",
            ) from None

    # --- what a status read says before the job service exists ----------------------------------
    def join(self, job_id: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds for this process's submission of a job to end; True when it has."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        return not self.in_flight(job_id)

    def in_flight(self, job_id: str) -> bool:
        thread = self._threads.get(job_id)
        return thread is not None and thread.is_alive()

    @staticmethod
    def recorded_info(
        job_id: str, facts: dict[str, Any], message: str = BUILDING, status: JobStatus = "PENDING"
    ) -> JobInfo:
        """A job as snowbatch's own record knows it (no job service to ask yet)."""
        return JobInfo(
            job_id=job_id,
            status=status,
            model=facts.get("model"),
            version=facts.get("version"),
            function=facts.get("function"),
            compute_pool=facts.get("compute_pool"),
            output_location=facts.get("output_location"),
            created_on=facts.get("created_on"),
            completed_on=facts.get("completed_on") if status == "FAILED" else None,
            message=message,
            **recorded_scale(facts),
        )

    def unsettled_info(self, job_id: str, facts: dict[str, Any], service_found: bool) -> JobInfo | None:
        """The status of a job whose submission has not been seen to end, or None to ask Snowflake.

        - failed: FAILED with the reason the submission gave;
        - submitting in this server: PENDING, building;
        - submitting in a server that has since restarted: Snowflake decides if it has the job service;
          otherwise PENDING for a grace period, then FAILED.
        """
        state = facts.get("submit_state")
        if state == "failed":
            return self.recorded_info(
                job_id, facts, f"The submission failed: {facts.get('failure')}", "FAILED"
            )
        if state != "submitting" or service_found:
            return None
        if facts.get("server") == self.instance:
            return self.recorded_info(job_id, facts)
        if seconds_since(facts.get("created_on"), unknown=float("inf")) < RESTART_GRACE_SECONDS:
            return self.recorded_info(
                job_id,
                facts,
                f"{SUBMITTING} the server restarted while this job was being submitted; if the submission "
                "went on, the job service appears under this name once the image is built",
            )
        return self.recorded_info(
            job_id,
            facts,
            "No job service was created within an hour of the submission, which the server's restart "
            "interrupted. Plan and submit again.",
            "FAILED",
        )


def input_frame(session: Any, spec: BatchJobSpec) -> Any:
    """The Snowpark DataFrame run_batch unloads: a table's columns, inline rows, or one row per file."""
    source = spec.input
    table = source.table or source.chat_table
    if source.rows:
        keys = list(source.rows[0])
        schema = [Identifier(k).sql for k in keys]  # exact names: preflight resolved the keys
        return session.create_dataframe([[r.get(k) for k in keys] for r in source.rows], schema=schema)
    if source.files and not source.chat_table:
        # files, or a chat built from a prompt plus files: the same columns as on the local backend
        by_column = source.file_input_columns()
        rows = [list(row) for row in zip(*by_column.values(), strict=True)]
        return session.create_dataframe(rows, schema=[Identifier(c).sql for c in by_column])
    owner = ObjectName.parse(spec.model, what="model")
    select = input_select(source, owner)
    if source.parquet_location:  # a finished job's output, read in place (F57)
        session.sql(create_parquet_format(owner)).collect()
    if select is not None:
        return session.sql(select)
    if table:
        columns = projection_sql(source.projection())
        # session.sql, not session.table().select(): no DESCRIBE round trip before the unload.
        return session.sql(f"SELECT {columns} FROM {ObjectName.parse(table, what='table').sql}")
    raise InvalidRequest("The job has no input rows, files or table.", "Plan the job again with an input.")
