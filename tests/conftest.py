"""Shared fixtures: a seeded local account (seeded once per session, copied per test)."""

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.backends.local.seed import seed_local_account

    home = tmp_path_factory.mktemp("seeded") / "home"
    seed_local_account(LocalBackend(home), rows=3000)
    return home


@pytest.fixture
def local_home(seeded_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded local account for one test."""
    home = tmp_path / "home"
    shutil.copytree(seeded_template, home)
    return home


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["local", "snowflake"])
def deployment(request: pytest.FixtureRequest, local_home: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The server over the local backend and over the SQL-level fake Snowflake session."""
    from tests.integration.deployments import fake_snowflake_deployment, local_deployment

    if request.param == "local":
        return local_deployment(local_home)
    return fake_snowflake_deployment(tmp_path)
