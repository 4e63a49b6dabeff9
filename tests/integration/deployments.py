"""The same server over each backend, with what a test needs to look behind it."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from snowbatch.core.names import StageLocation
from snowbatch.server import build_server
from snowbatch.settings import Settings


@dataclass
class Deployment:
    kind: str
    make_server: Callable[..., Any]
    submitted_jobs: Callable[[], int]
    stage_folder: Callable[[StageLocation], Path]
    model_dir: Callable[[str, str], Path]
    fake_account: Any = None  # the fake Snowflake account behind the server, to look at its tables

    def output_frame(self, location: str) -> pd.DataFrame:
        return pd.read_parquet(self.stage_folder(StageLocation.parse(location)))


def local_deployment(home: Path) -> Deployment:
    from snowbatch.backends.local.account import LocalAccount

    account = LocalAccount(home)

    def make_server(**settings: Any) -> Any:
        return build_server(Settings(backend="local", home=home, **settings))

    def submitted() -> int:
        return len(list((home / "jobs").iterdir())) if (home / "jobs").exists() else 0

    return Deployment(
        "local",
        make_server,
        submitted,
        account.location_path,
        lambda model, version: home / "models/ML/PUBLIC" / model / version,
    )


def fake_snowflake_deployment(tmp_path: Path) -> Deployment:
    from tests.fakes import make_fake_snowflake_backend

    backend = make_fake_snowflake_backend(tmp_path)
    acct = backend.fake_account  # type: ignore[attr-defined]

    def make_server(**settings: Any) -> Any:
        return build_server(
            Settings(backend="snowflake", home=tmp_path / "home", **settings), backend=backend
        )

    def submitted() -> int:
        submitter = backend._jobs.submitter
        for job_id in list(submitter._threads):  # submissions run in the background: let them land
            assert submitter.join(job_id, 30), f"{job_id} still submitting"
        return sum(
            1 for s in acct.sql_log() if s.lstrip().upper().startswith("EXECUTE INFERENCE JOB SERVICE")
        )

    def stage_folder(loc: StageLocation) -> Path:
        parts = tuple(p.name for p in loc.stage.parts())
        return Path(acct.stage_for(parts).folder) / loc.path

    def model_dir(model: str, version: str) -> Path:
        return Path(acct.models[("ML", "PUBLIC", model)].versions[version].model_dir)

    return Deployment("snowflake", make_server, submitted, stage_folder, model_dir, acct)
