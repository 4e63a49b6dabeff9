"""The live suite's account: a real one when SNOWBATCH_LIVE_CONNECTION names a connection, else the fake.

Live: a throwaway schema is created in SNOWBATCH_LIVE_DATABASE (or the connection's database) and dropped
afterwards; jobs run on the existing pool SNOWBATCH_LIVE_POOL; every statement is recorded into the
cassette SNOWBATCH_LIVE_CASSETTE (default tests/cassettes/live-<date>.json). Fake: the standard account
plus the files model and two media files, the same flow, recorded the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from snowbatch.cli.smoke import SmokeTarget
from tests.live.cassette import Recorder

LIVE_CONNECTION = os.environ.get("SNOWBATCH_LIVE_CONNECTION")
CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


@dataclass
class LiveRun:
    backend: Any
    target: SmokeTarget
    recorder: Recorder
    live: bool
    settings: Any


def _fake_run(tmp_path: Path, recorder: Recorder) -> LiveRun:
    from snowbatch.settings import Settings
    from tests.fakes import make_fake_snowflake_backend
    from tests.fakes.seed import seed_media

    backend = make_fake_snowflake_backend(tmp_path)
    acct = backend.fake_account  # type: ignore[attr-defined]
    seed_media(acct)
    acct.job_behaviour = lambda job: "pending" if "_cancel/" in job.output_path else "complete"
    recorder.wrap(backend.sessions.get())
    target = SmokeTarget(
        model="ML.PUBLIC.CHURN_CLASSIFIER",
        function="PREDICT_PROBA",
        table="ML.PUBLIC.CUSTOMERS",
        stage="@ML.PUBLIC.SNOWBATCH_OUT/",
        pool="CPU_POOL",
        files_model="ML.PUBLIC.FILE_INSPECTOR",
        files_location="@ML.PUBLIC.MEDIA/images/",
        warehouse_table="ML.PUBLIC.SCORED_IN_WAREHOUSE",
        save_table="ML.PUBLIC.SCORED_BY_JOB",
    )
    settings = Settings(backend="snowflake", home=tmp_path / "snowbatch-home")
    return LiveRun(backend, target, recorder, live=False, settings=settings)


@pytest.fixture
def live_run(tmp_path: Path) -> Iterator[LiveRun]:
    recorder = Recorder()
    if not LIVE_CONNECTION:
        yield _fake_run(tmp_path, recorder)
        return
    from snowbatch.backends.snowflake import SnowflakeBackend
    from snowbatch.cli.smoke_account import SmokeAccount, throwaway_schema
    from snowbatch.settings import Settings

    pool = os.environ.get("SNOWBATCH_LIVE_POOL")
    if not pool:
        pytest.fail("A live run needs SNOWBATCH_LIVE_POOL: an existing compute pool for its jobs.")
    settings = Settings(
        backend="snowflake", connection_name=LIVE_CONNECTION, home=tmp_path / "snowbatch-home"
    )
    backend = SnowflakeBackend(settings)
    session = recorder.wrap(backend.sessions.get())
    database = os.environ.get("SNOWBATCH_LIVE_DATABASE") or session.get_current_database()
    with SmokeAccount(session, throwaway_schema(database), pool) as target:
        yield LiveRun(backend, target, recorder, live=True, settings=settings)
