"""The local account keeps Snowflake's semantics where a person could tell them apart:

- FIRST and LAST are the oldest and newest version by creation, not by name;
- logging another version leaves the default version where it was, unless asked to move it;
- a pool is ACTIVE while a job runs on it and IDLE again once its jobs end;
- a refused submission changes nothing: no pool resumed, no job folder, no output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from snowflake.ml.model import custom_model

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.core.errors import Conflict, NotReady
from snowbatch.core.names import Identifier, ObjectName
from tests.integration.test_job_support import (
    SLEEPY,
    Sleepy,
    base_dir,
    job_spec,
    new_home,
    wait_terminal,
)

SAMPLE = pd.DataFrame({"X": [1.0, 2.0], "DELAY": [0.0, 0.0], "HOLD": ["", ""]})


def pool_state(backend: LocalBackend, name: str = "CPU_POOL") -> str:
    return next(p.state for p in backend.list_compute_pools() if p.name == name)


def log_version(backend: LocalBackend, version: str, **kwargs: object) -> None:
    backend.registry.log_model(
        ObjectName.parse(SLEEPY),
        Identifier.parse(version),
        Sleepy(custom_model.ModelContext()),
        sample_input=SAMPLE,
        **kwargs,  # type: ignore[arg-type]
    )


def test_first_and_last_follow_creation_time_and_the_default_stays(tmp_path: Path) -> None:
    backend = LocalBackend(new_home(tmp_path))
    model = ObjectName.parse(SLEEPY)
    log_version(backend, "A_NEWER")  # V1 already exists; A_NEWER sorts before it but is younger
    resolve = backend.registry.resolve_version
    assert resolve(model, Identifier("FIRST")).name == "V1"
    assert resolve(model, Identifier("LAST")).name == "A_NEWER"
    assert resolve(model, None).name == "V1"  # a new version does not become the default
    default = [v.version for v in backend.registry.list_versions(model) if v.is_default]
    assert default == ["V1"]
    log_version(backend, '"b newest"', set_default=True)  # as model.default = version
    assert resolve(model, None).name == "b newest"
    assert resolve(model, Identifier("LAST")).name == "b newest"


def test_a_pool_is_active_while_its_job_runs_and_idle_after(tmp_path: Path) -> None:
    backend = LocalBackend(new_home(tmp_path))
    hold = tmp_path / "release"
    assert pool_state(backend) == "IDLE"
    job = backend.submit_job(job_spec(n=4, batch_rows=2, hold=hold))
    try:
        assert pool_state(backend) == "ACTIVE"  # the job waits for `hold`: it cannot have ended
    finally:
        hold.touch()
    assert wait_terminal(backend, job).status == "DONE"
    assert pool_state(backend) == "IDLE"


def test_a_refused_submission_changes_no_state(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    backend = LocalBackend(home)
    pools = json.loads((home / "pools.json").read_text())
    pools["CPU_POOL"]["state"] = "SUSPENDED"  # AUTO_RESUME on: a job would resume it
    (home / "pools.json").write_text(json.dumps(pools))
    done = backend.submit_job(job_spec(base="taken/", n=2, job_name="TAKEN"))
    assert wait_terminal(backend, done).status == "DONE"
    pools["CPU_POOL"]["state"] = "SUSPENDED"  # suspended again before the refused attempts
    (home / "pools.json").write_text(json.dumps(pools))
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    with pytest.raises(Conflict):  # the job name is taken
        backend.submit_job(job_spec(base="other/", n=2, job_name="TAKEN"))
    with pytest.raises(Conflict):  # the output base is not empty in error mode
        backend.submit_job(job_spec(base="taken/", n=2))
    assert pool_state(backend) == "SUSPENDED"
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before
    assert not base_dir(backend, "other/").exists()


def test_a_suspended_pool_without_auto_resume_is_refused_and_stays_suspended(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    backend = LocalBackend(home)
    pools = json.loads((home / "pools.json").read_text())
    pools["CPU_POOL"].update(state="SUSPENDED", auto_resume=False)
    (home / "pools.json").write_text(json.dumps(pools))
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    with pytest.raises(NotReady, match="resume_compute_pool"):
        backend.submit_job(job_spec(n=2))
    assert pool_state(backend) == "SUSPENDED"
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before
