"""The objects a fake Snowflake account holds: models, stages (backed by folders), pools, job services.

Tables live in an in-memory DuckDB database so the `SELECT`s that Snowpark writes into a COPY INTO
unload can be evaluated for real; everything else is plain Python state. What each object shows in a
statement's answer follows docs/snowflake-fidelity.md (the ledger row is cited where it is answered).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)

Key = tuple[str, str, str]  # (database, schema, name), resolved (exact) names


def resolve(part: str) -> str:
    """Snowflake's rule: quoted parts are exact (with "" for "), unquoted ones upper-cased."""
    part = part.strip()
    if part.startswith('"') and part.endswith('"') and len(part) >= 2:
        return part[1:-1].replace('""', '"')
    return part.upper()


def split_name(text: str) -> list[str]:
    """Split a possibly quoted dotted name into resolved parts."""
    parts, current, quoted = [], "", False
    for ch in text.strip():
        if ch == '"':
            quoted = not quoted
        if ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [resolve(p) for p in parts]


@dataclass
class FakeVersion:
    name: str
    model_spec: str  # the model.yaml text the real packager wrote
    model_type: str
    methods: list[str]
    comment: str | None = None
    aliases: list[str] = field(default_factory=list)
    created_on: datetime = NOW
    # F09: a JSON list of WAREHOUSE / SNOWPARK_CONTAINER_SERVICES; None for versions logged before the
    # column existed (BCR-1778: "existing model versions do not have values for these columns").
    runnable_in: list[str] | None = field(
        default_factory=lambda: ["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"]
    )
    model_dir: Path | None = None  # the packaged model, loaded to run fake jobs
    task: str = "TABULAR_REGRESSION"
    table_functions: set[str] = field(default_factory=set)  # methods SHOW FUNCTIONS reports as TABLE


@dataclass
class FakeModel:
    name: str
    versions: dict[str, FakeVersion] = field(default_factory=dict)
    default_version: str | None = None
    comment: str | None = None
    created_on: datetime = NOW
    owner: str = "ML_ENGINEER"


@dataclass
class FakeStage:
    name: str
    folder: Path
    type: str = "INTERNAL NO CSE"  # what SHOW STAGES shows for SNOWFLAKE_SSE (UNVERIFIED, see reference)
    url: str = ""
    comment: str = ""
    created_on: datetime = NOW
    owner: str = "ML_ENGINEER"


@dataclass
class FakePool:
    name: str
    instance_family: str
    state: str = "IDLE"
    min_nodes: int = 1
    max_nodes: int = 1
    auto_resume: bool = True
    auto_suspend_secs: int = 3600
    active_nodes: int = 0
    comment: str | None = None
    created_on: datetime = NOW


@dataclass
class FakeContainer:
    """One row of SHOW SERVICE CONTAINERS IN SERVICE (F34)."""

    status: str  # PENDING, READY, DONE, FAILED, UNKNOWN (container states, d:show-containers)
    message: str
    instance_id: str = "0"
    container_name: str = "main"


@dataclass
class FakeJob:
    key: Key
    compute_pool: str
    model: Key
    version: str
    function: str
    input_path: str
    output_path: str
    spec_yaml: str
    replicas: int = 1
    status: str = "PENDING"
    message: str = ""
    logs: list[str] = field(default_factory=list)
    created_on: datetime = NOW
    updated_on: datetime = NOW
    completed_on: datetime | None = None
    deleted: bool = False  # DROP SERVICE (F32): gone from DESCRIBE/SHOW, in history with DELETED_TIME
    dropped: bool = False  # dropped by Snowflake some days after it ended (D13): likewise
    deleted_on: datetime | None = None
    owner: str = "ML_ENGINEER"  # the role that submitted it: job history shows only the owner's jobs (F37)
    visible_to: set[str] = field(default_factory=set)  # other roles with a privilege on it (SHOW, F41)
    containers: list[FakeContainer] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return not (self.deleted or self.dropped)


@dataclass
class Denial:
    """A statement the role may not run: matched by a regular expression on the SQL text."""

    pattern: str
    message: str
    errno: int = 3001
    sqlstate: str = "42501"
    access: bool = True  # an access-control error; else the message as it is (any other failure)
