"""Shared fixtures: a seeded local account (seeded once per session, copied per test)."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.backends.local.seed import seed_local_account
    from tests.prebuilt import prebuilt

    def seed(home: Path) -> None:
        seed_local_account(LocalBackend(home), rows=3000)

    return prebuilt("seeded", seed, tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def local_home(seeded_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded local account for one test."""
    home = tmp_path / "home"
    shutil.copytree(seeded_template, home)
    return home


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A private copy of the job tests' account (tests/integration/test_job_support.py); every process
    group of its jobs is killed afterwards. A test file may define its own `home` instead."""
    from tests.integration.test_job_support import new_home, reap_jobs

    home = new_home(tmp_path)
    yield home
    reap_jobs(home)


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


@pytest.fixture(autouse=True)
def _fake_accounts_know_every_statement() -> object:
    """Every statement a fake Snowflake account was sent in this test matched a route that cites a row of
    docs/snowflake-fidelity.md — even one swallowed on the way (a background submission, a library that
    catches errors). So the ledger covers every statement the integration tests send."""
    from tests.fakes.account import ACCOUNTS
    from tests.fakes.ledger import ledger_ids

    before = len(ACCOUNTS)
    yield
    made = ACCOUNTS[before:]
    del ACCOUNTS[before:]
    unknown = [s.sql for acct in made for s in acct.unknown]
    assert not unknown, "statements the fake does not know:\n" + "\n".join(unknown)
    uncited = {i for acct in made for _, ids in acct.answered for i in ids} - ledger_ids()
    assert not uncited, f"answers cite rows docs/snowflake-fidelity.md does not have: {sorted(uncited)}"


@pytest.fixture(scope="session")
def media_template(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded sample account plus the media stage, the demo models and — where the `models` extra
    is installed — the real speech and embedding models (seeded once per session)."""
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.backends.local.seed_media import seed_media
    from snowbatch.samples import models as sm

    home = tmp_path_factory.mktemp("media") / "home"
    shutil.copytree(seeded_template, home, symlinks=True)
    seed_media(LocalBackend(home), real_models=sm.speech_available() or sm.embeddings_available())
    return home


MEDIA_FILES = {"images/a.png": b"\x89PNG\r\n\x1a\nfake-a", "images/b.jpg": b"\xff\xd8\xff fake-bb"}


@pytest.fixture(params=["local", "snowflake"])
def media_server(request: pytest.FixtureRequest, media_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A server with every sample model (tabular, files, chat) and a media stage, over the local
    backend and over the fake Snowflake account."""
    from snowbatch.server import build_server
    from snowbatch.settings import Settings

    if request.param == "local":
        home = tmp_path / "home"
        shutil.copytree(media_template, home, symlinks=True)
        return build_server(Settings(backend="local", home=home))
    from tests.fakes import make_fake_snowflake_backend
    from tests.fakes.seed import seed_media

    backend = make_fake_snowflake_backend(tmp_path)
    seed_media(backend.fake_account, MEDIA_FILES)
    return build_server(Settings(backend="snowflake", home=tmp_path / "home"), backend=backend)
