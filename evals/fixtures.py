"""A fresh local account per eval run: the sample seed, the media seed when it exists, and the objects
the bad paths need (a table whose columns do not fit, an output location a first run already used, a
slow model to cancel mid-run). The suspended pool ETL_POOL and the client-side encrypted LEGACY_STAGE
come with the sample seed. The incremental scenario gets a results table a first job already filled
(CHURN_SCORES: the churn probabilities of the customers with CUSTOMER_ID <= SCORED_UPTO)."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROWS = 2000
MISMATCH_TABLE = "ML.PUBLIC.CUSTOMERS_RENAMED"
SLOW_MODEL = "ML.PUBLIC.SLOW_SCORER"
USED_LOCATION = "@ML.PUBLIC.BATCH_OUT/nightly/"
USED_JOB_NAME = "NIGHTLY_FIRST_RUN"
SCORED_TABLE = "ML.PUBLIC.CHURN_SCORES"
SCORED_UPTO = 1000  # CUSTOMER_ID 1..SCORED_UPTO are in SCORED_TABLE before the conversation
SCORED_LOCATION = "@ML.PUBLIC.BATCH_OUT/churn_scores/first_run/"
SCORED_JOB_NAME = "CHURN_SCORES_FIRST_RUN"


@dataclass
class Account:
    home: Path
    rows: int
    available: dict[str, str] = field(default_factory=dict)  # fixture → "ok" or why it is missing
    seconds: dict[str, float] = field(default_factory=dict)
    hold_file: Path | None = None
    first_run_job: str | None = None
    scored_run_job: str | None = None

    def copy_for(self, scenario: str, root: Path) -> Path:
        """A private copy of the seeded account for one scenario: scenarios run at once never share a
        DuckDB file, a pool or a folder, and none sees another's leftovers."""
        import shutil

        target = root / scenario / "home"
        shutil.copytree(self.home, target, ignore=shutil.ignore_patterns("locks"))
        return target

    def backend(self) -> Any:
        from snowbatch.backends.local.backend import LocalBackend

        return LocalBackend(self.home)


def _timed(account: Account, name: str, fn: Any) -> Any:
    started = time.perf_counter()
    try:
        return fn()
    finally:
        account.seconds[name] = round(time.perf_counter() - started, 1)


def seed(home: Path, *, rows: int = ROWS, fixtures: set[str]) -> Account:
    from snowbatch.backends.local.seed import seed_local_account

    account = Account(home=home, rows=rows)
    backend = account.backend()
    _timed(account, "seed", lambda: seed_local_account(backend, rows=rows))
    # the jobs are started first: they run while the other fixtures are made
    if "used_output_location" in fixtures:
        _timed(account, "used_output_location", lambda: _first_run(account))
    if "scored_table" in fixtures:
        _timed(account, "scored_table", lambda: _scored_run(account))
    if "column_mismatch_table" in fixtures:
        _timed(account, "column_mismatch_table", lambda: _mismatch_table(account))
        account.available["column_mismatch_table"] = "ok"
    if "slow_model" in fixtures:
        _timed(account, "slow_model", lambda: _slow_model(account))
        account.available["slow_model"] = "ok"
    if "media" in fixtures:
        account.available["media"] = _timed(account, "media", lambda: _media(account))
    if "used_output_location" in fixtures:
        state = _timed(
            account, "used_output_location (wait)", lambda: wait_job(account, account.first_run_job)
        )
        account.available["used_output_location"] = "ok" if state == "DONE" else f"first run ended {state}"
    if "scored_table" in fixtures:
        account.available["scored_table"] = _timed(
            account, "scored_table (wait, save)", lambda: _save_scored(account)
        )
    return account


def _mismatch_table(account: Account) -> None:
    """CUSTOMERS with TENURE_MONTHS renamed to TENURE and SUPPORT_CALLS stored as text."""
    from snowbatch import samples
    from snowbatch.core.names import ObjectName

    frame = samples.customers_frame(200).drop(columns=["CHURNED"])
    frame = frame.rename(columns={"TENURE_MONTHS": "TENURE"})
    frame["SUPPORT_CALLS"] = frame["SUPPORT_CALLS"].astype(str)
    account.backend().tables.write(ObjectName.parse(MISMATCH_TABLE), frame, mode="error")


def _slow_model(account: Account) -> None:
    from evals.fixture_models import slow_scorer
    from snowbatch.core.names import Identifier, ObjectName

    model, sample = slow_scorer()
    account.backend().registry.log_model(
        ObjectName.parse(SLOW_MODEL),
        Identifier("V1"),
        model,
        sample_input=sample,
        comment="eval fixture: waits per batch while its HOLD file is missing",
    )
    account.hold_file = account.home / "release-slow-scorer"


def _media(account: Account) -> str:
    try:
        module = importlib.import_module("snowbatch.backends.local.seed_media")
    except ImportError as exc:
        return f"media seed not available: snowbatch.backends.local.seed_media ({exc})"
    fn = getattr(module, "seed_media", None)
    if fn is None:
        return "media seed not available: seed_media() missing"
    from snowbatch.samples import models as sm

    # the real speech and embedding models where the `models` extra is installed (the chaining scenario)
    fn(account.backend(), real_models=sm.speech_available() and sm.embeddings_available())
    return "ok"


def _first_run(account: Account) -> None:
    """A first, finished run into USED_LOCATION, so a second run there in ERROR mode must be refused."""
    from snowbatch.core.requests import BatchJobRequest, TableInput
    from snowbatch.planning import make_plan

    backend = account.backend()
    request = BatchJobRequest(
        model="ML.PUBLIC.PRICE_REGRESSOR",
        input=TableInput(kind="table", table="ML.PUBLIC.CUSTOMERS"),
        output_stage=USED_LOCATION,
        compute_pool="CPU_POOL",
        job_name=USED_JOB_NAME,
    )
    plan = make_plan(backend, request, snowml_version=None)
    if not plan.ok:
        raise RuntimeError(f"fixture first run does not plan: {plan.checks}")
    job = backend.submit_job(plan.spec)
    account.first_run_job = job.job_id


def _scored_run(account: Account) -> None:
    """The first night of incremental scoring: the churn probabilities of the customers with
    CUSTOMER_ID <= SCORED_UPTO, by a job (saved to SCORED_TABLE once it is DONE: _save_scored)."""
    from snowbatch.core.requests import BatchJobRequest, TableInput
    from snowbatch.planning import make_plan

    backend = account.backend()
    request = BatchJobRequest(
        model="ML.PUBLIC.CHURN_CLASSIFIER",
        function="PREDICT_PROBA",
        input=TableInput(
            kind="table", query=f"SELECT * FROM ML.PUBLIC.CUSTOMERS WHERE CUSTOMER_ID <= {SCORED_UPTO}"
        ),
        output_stage=SCORED_LOCATION,
        compute_pool="CPU_POOL",
        job_name=SCORED_JOB_NAME,
    )
    plan = make_plan(backend, request, snowml_version=None)
    if not plan.ok:
        raise RuntimeError(f"fixture scored run does not plan: {plan.checks}")
    account.scored_run_job = backend.submit_job(plan.spec).job_id


def _save_scored(account: Account) -> str:
    """Once the first night's job is DONE, its output becomes SCORED_TABLE (as the person saved it)."""
    from snowbatch.core.names import ObjectName, StageLocation

    state = wait_job(account, account.scored_run_job)
    if state != "DONE":
        return f"first scoring run ended {state}"
    backend = account.backend()
    job = backend.get_job(ObjectName.parse(str(account.scored_run_job)))  # its own folder under the base
    rows = backend.save_results_to_table(
        StageLocation.parse(str(job.output_location)), ObjectName.parse(SCORED_TABLE), mode="error"
    )
    return "ok" if rows == SCORED_UPTO else f"{SCORED_TABLE} got {rows} rows, not {SCORED_UPTO}"


def wait_job(account: Account, job_id: str | None, timeout: float = 60) -> str:
    from snowbatch.core.names import ObjectName

    if job_id is None:
        return "not started"
    deadline = time.monotonic() + timeout
    backend = account.backend()
    while True:
        job = backend.get_job(ObjectName.parse(job_id))
        if job.is_terminal or time.monotonic() > deadline:
            return str(job.status)
        time.sleep(0.2)
