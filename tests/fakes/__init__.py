"""A SQL-level fake Snowflake account for tests (see account.py), and the standard seeded backend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from snowbatch.core.names import ObjectName
from tests.fakes.account import FakeAccount, UnknownStatement
from tests.fakes.seed import seed_standard, standard_account

if TYPE_CHECKING:
    from snowbatch.backends.snowflake import SnowflakeBackend
    from snowbatch.core.records import JobInfo
    from snowbatch.core.requests import BatchJobSpec

__all__ = [
    "FakeAccount",
    "UnknownStatement",
    "make_fake_snowflake_backend",
    "seed_standard",
    "standard_account",
    "submitted",
]


def make_fake_snowflake_backend(tmp_path: Path, account: FakeAccount | None = None) -> SnowflakeBackend:
    """A SnowflakeBackend over a real Snowpark Session on the standard fake account (ML.PUBLIC samples).

    The account is reachable as `backend.fake_account` for assertions on `statements`.
    """
    from snowbatch.backends.snowflake import SnowflakeBackend
    from snowbatch.settings import Settings

    acct = account or standard_account(tmp_path / "fake-snowflake")
    settings = Settings.model_validate({"backend": "snowflake", "home": tmp_path / "snowbatch-home"})
    backend = SnowflakeBackend(settings, session_factory=acct.session)
    backend.fake_account = acct  # type: ignore[attr-defined]
    return backend


def submitted(backend: SnowflakeBackend, spec: BatchJobSpec, timeout: float = 30.0) -> JobInfo:
    """Submit and wait for the background submission to end (the image build included): the job as
    a status read then sees it."""
    job = backend.submit_job(spec)
    assert backend._jobs.submitter.join(job.job_id, timeout), f"{job.job_id} still submitting"
    return backend.get_job(ObjectName.parse(job.job_id))
