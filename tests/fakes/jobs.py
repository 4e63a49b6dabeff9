"""Batch inference job services in the fake account, as the ledger's §7 and §8 describe them.

- EXECUTE (F30) checks the save mode over the base or the job folder (`account.save_mode_scope`, D14),
  OVERWRITE removes that scope, and the job is owned by the submitting role.
- A job runs the packaged model (loaded with snowflake-ml's own packager) on the Parquet under its FROM
  path, fetching stage files for `column_handling` columns, and writes `<base>/<job>/` Parquet plus
  `_SUCCESS` (file naming and the marker's place: UNVERIFIED). `account.job_behaviour` (or a function of
  the job giving it) decides whether that happens at once (`complete`), only at `finish()` (`pending`),
  or ends FAILED (`fail`).
- Job history (F37–F39) shows only the caller's own jobs within a window, newest first, cut at a limit;
  SHOW JOB SERVICES (F41) shows live services the role owns or was granted; dropped services (D13)
  leave DESCRIBE but stay in history.
"""

from __future__ import annotations

import base64
import mimetypes
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from tests.fakes import stagefiles
from tests.fakes.connection import Column, Result, fake_error
from tests.fakes.state import FakeContainer, FakeJob, Key, split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection

RESERVED_INPUT = "_snowflake_temporary/"
LOG_CAP_BYTES = 100_000  # F36: "up to 100 KB of the most recent log lines"


def submit(
    acct: FakeAccount,
    conn: FakeConnection,
    query: str,
    *,
    pool: str,
    spec_yaml: str,
    source: str,
    model: Key,
    version: str | None,
    function: str | None,
    name: Key,
    replicas: int,
) -> FakeJob:
    if pool not in acct.pools:
        raise fake_error(f"Compute pool '{pool}' does not exist or not authorized.", 2003, "02000", query)
    fake_model = acct.models.get(model)
    if fake_model is None:
        raise fake_error(f"Model '{'.'.join(model)}' does not exist or not authorized.", 2003, "02000", query)
    version = version or fake_model.default_version or ""
    if version not in fake_model.versions:
        raise fake_error(f"Model version '{version}' does not exist.", 2003, "02000", query)
    methods = fake_model.versions[version].methods
    method = function or (methods[0] if len(methods) == 1 else "")
    if method not in methods:
        raise fake_error(f"Function '{function}' does not exist in model version.", 2003, "02000", query)
    if name in acct.jobs and acct.jobs[name].live:
        raise fake_error(f"Object '{name[2]}' already exists.", 2002, "42710", query)
    spec = yaml.safe_load(spec_yaml)
    output = spec["output"]["stage_location"]
    out_stage, base = stagefiles.locate(acct, conn, output, query)
    job_prefix = base + name[2] + "/"
    scope = base if acct.save_mode_scope == "base" else job_prefix
    occupied = [r for r in stagefiles.list_rows(out_stage, scope, None) if f"/{RESERVED_INPUT}" not in r[0]]
    mode = str(spec["output"].get("mode", "error")).lower()
    if mode == "error" and occupied:
        raise fake_error(
            f"Output location {output} is not empty and the save mode is ERROR.", 100357, "22000", query
        )
    if mode == "overwrite":  # D14: the whole scope goes, other jobs' folders included when it is the base
        for path in stagefiles.files_under(out_stage, scope):
            if f"/{RESERVED_INPUT}" not in "/" + path.relative_to(out_stage.folder).as_posix():
                path.unlink()
    job = FakeJob(
        name, pool, model, version, method, source, output + name[2] + "/", spec_yaml, replicas=replicas
    )
    job.owner, job.created_on, job.updated_on = conn.role or "", acct.now(), acct.now()
    job.logs = [
        f"Starting batch inference job {name[2]} on {pool}",
        f"Model {'.'.join(model)} version {version}",
    ]
    acct.jobs[name] = job
    behaviour = acct.job_behaviour(job) if callable(acct.job_behaviour) else acct.job_behaviour
    if behaviour == "complete":
        run(acct, conn, job)
    elif behaviour == "fail":
        fail(acct, job, "model raised an error (fake)")
    else:
        job.containers = [FakeContainer("PENDING", "Waiting to start")]
    return job


def fail(acct: FakeAccount, job: FakeJob, why: str) -> None:
    job.status, job.completed_on = "FAILED", acct.now()
    job.logs.append(f"ERROR {why}")
    job.containers = [FakeContainer("FAILED", f"Container exited with code 1: {why}")]


@cache
def _load(model_dir: str) -> Any:
    from snowflake.ml.model._packager.model_packager import ModelPackager

    packager = ModelPackager(model_dir)
    packager.load(as_custom_model=True)
    return packager


def _fetch(acct: FakeAccount, conn: FakeConnection, path: str, encoding: str) -> Any:
    """A stage file as column_handling delivers it: bytes, base64 text, or a data URL."""
    stage, rel = stagefiles.locate(acct, conn, path, "")
    data = (stage.folder / rel).read_bytes()
    if encoding == "raw_bytes":
        return data
    text = base64.b64encode(data).decode()
    if encoding == "base64_data_url":
        mime = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        return f"data:{mime};base64,{text}"
    return text


def run(acct: FakeAccount, conn: FakeConnection, job: FakeJob) -> None:
    """Score the staged input and write the results, as the job container would."""
    version = acct.models[job.model].versions[job.version]
    in_stage, in_prefix = stagefiles.locate(acct, conn, job.input_path, "")
    frame = stagefiles.read_parquet(in_stage, in_prefix)
    assert version.model_dir is not None, "seed the version with a packaged model to run jobs"
    spec = yaml.safe_load(job.spec_yaml)
    handling = (spec.get("input") or {}).get("column_handling") or {}
    features = frame.copy()
    for column, how in handling.items():
        features[column] = [_fetch(acct, conn, p, str(how["convert_to"]).lower()) for p in frame[column]]
    packager = _load(str(version.model_dir))
    signature = packager.meta.signatures[job.function]
    wanted = [f.name for f in signature.inputs]
    by_upper = {c.upper(): c for c in features.columns}
    inputs = features[[by_upper.get(n.upper(), n) for n in wanted]]
    inputs.columns = wanted
    params = (spec.get("input") or {}).get("params")
    method = getattr(packager.model, job.function)
    scored = method(inputs, **params) if params else method(inputs)
    result = pd.concat([frame.reset_index(drop=True), scored.reset_index(drop=True)], axis=1)
    out_stage, out_prefix = stagefiles.locate(acct, conn, job.output_path, "")
    stagefiles.write_parquet(out_stage, out_prefix, result)
    (out_stage.folder / out_prefix / "_SUCCESS").write_bytes(b"")
    job.status, job.completed_on = "DONE", acct.now()
    job.containers = [FakeContainer("DONE", "Completed successfully")]
    job.logs += [f"Scored {len(result)} rows", "Batch inference job completed"]


def finish(acct: FakeAccount, name: str) -> None:
    """Let a `pending` job run to completion now."""
    job = acct.jobs[tuple(split_name(name))]  # type: ignore[index]
    run(acct, acct.connections[-1], job)


def visible(job: FakeJob, role: str | None) -> bool:
    return job.owner == role or (role or "") in job.visible_to


def find_live(acct: FakeAccount, conn: FakeConnection, text: str, query: str) -> FakeJob:
    parts = split_name(text)
    while len(parts) < 3:
        parts.insert(0, (conn.schema if len(parts) == 1 else conn.database) or "")
    job = acct.jobs.get((parts[0], parts[1], parts[2]))
    if job is None or not job.live or not visible(job, conn.role):
        raise fake_error(
            f"SQL compilation error:\nService '{'.'.join(parts)}' does not exist or not authorized.",
            2003,
            "02000",
            query,
        )
    return job


def cancel(acct: FakeAccount, job: FakeJob) -> None:
    if job.status in ("PENDING", "RUNNING"):
        job.status, job.completed_on = "CANCELLED", acct.now()
        job.logs.append("Job cancelled")


DESCRIBE_COLUMNS = [
    "name", "status", "database_name", "schema_name", "owner", "compute_pool", "spec", "dns_name",
    "current_instances", "target_instances", "min_ready_instances", "min_instances", "max_instances",
    "auto_resume", "external_access_integrations", "created_on", "updated_on", "resumed_on", "suspended_on",
    "auto_suspend_secs", "comment", "owner_role_type", "query_warehouse", "is_job", "is_async_job",
    "spec_digest", "is_upgrading", "managing_object_domain", "managing_object_name",
]  # fmt: skip


def describe_rows(job: FakeJob, role: str | None) -> Result:
    """F33: no message column; `spec` only for the owner role."""
    spec = {"spec": {"containers": [{"name": "main", "image": "/snowflake/images/inference", "env": {}}]}}
    shown = yaml.safe_dump(spec) if role == job.owner else None
    n = job.replicas
    row = (
        job.key[2], job.status, job.key[0], job.key[1], job.owner, job.compute_pool, shown, "", n, n, n, n, n,
        "false", None, job.created_on, job.updated_on, None, None, 0, None, "ROLE", None, "true", "true",
        "abc", "false", None, None,
    )  # fmt: skip
    stamps = {"created_on", "updated_on", "resumed_on", "suspended_on"}
    return Result([Column(c, "TIMESTAMP_LTZ" if c in stamps else "TEXT") for c in DESCRIBE_COLUMNS], [row])


def container_rows(job: FakeJob) -> Result:
    """F34: one row per container; container fields NULL while the service is PENDING or SUSPENDED."""
    cols = [
        "database_name",
        "schema_name",
        "service_name",
        "service_status",
        "instance_id",
        "instance_status",
    ]
    cols += ["container_name", "status", "message", "image_name", "image_digest", "restart_count"]
    cols += ["start_time", "last_exit_code", "last_restart_time"]
    head = (job.key[0], job.key[1], job.key[2], job.status)
    if job.status in ("PENDING", "SUSPENDED"):
        return Result([Column(c) for c in cols], [(*head, *([None] * 11))])
    rows = []
    for c in job.containers:
        exit_code = 1 if c.status == "FAILED" else 0
        rows.append(
            (
                *head,
                c.instance_id,
                "READY",
                c.container_name,
                c.status,
                c.message,
                "inference",
                "sha256:abc",
                0,
                "2026-01-15T09:30:01Z",
                exit_code,
                None,
            )
        )
    return Result([Column(c) for c in cols], rows)


def instance_rows(job: FakeJob) -> Result:
    """F35: instance states (READY, SUCCEEDED, FAILED …), not job statuses, beside service_status."""
    state = {"DONE": "SUCCEEDED", "FAILED": "FAILED", "PENDING": "PENDING"}.get(job.status, "READY")
    cols = ["database_name", "schema_name", "service_name", "service_status", "instance_id", "status"]
    cols += ["spec_digest", "creation_time", "start_time", "ip_address"]
    rows = [
        (
            *job.key,
            job.status,
            str(i),
            state,
            "abc",
            "2026-01-15T09:30:00Z",
            "2026-01-15T09:30:01Z",
            "10.0.0.1",
        )
        for i in range(job.replicas)
    ]
    return Result([Column(c) for c in cols], rows)


def capped_logs(job: FakeJob, last: int | None) -> str:
    """F36: the newest lines, at most about 100 KB of them."""
    lines = job.logs[-last:] if last else job.logs
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line.encode()) + 1
        if size > LOG_CAP_BYTES:
            break
        kept.append(line)
    return "\n".join(reversed(kept))


HISTORY_COLUMNS = ["NAME", "STATUS", "MESSAGE", "COMPUTE_POOL_NAME", "CREATED_TIME", "COMPLETED_TIME"]


def history(
    acct: FakeAccount, role: str | None, *, since: datetime | None, limit: int | None
) -> list[FakeJob]:
    """F37: the caller's own jobs (running and deleted) created since the window start, newest first."""
    start = since if since is not None else acct.now() - timedelta(days=acct.history_default_days)
    mine = [j for j in acct.jobs.values() if j.owner == role and j.created_on >= start]
    mine.sort(key=lambda j: (j.created_on, j.key[2]), reverse=True)
    return mine[: limit or 100]


def history_rows(jobs: list[FakeJob], db: str, sc: str, *, returned: int | None) -> Result:
    cols = [*HISTORY_COLUMNS, "DELETED_TIME"] + (["RETURNED"] if returned is not None else [])
    stamps = {"CREATED_TIME", "COMPLETED_TIME", "DELETED_TIME"}
    rows = []
    for j in jobs:
        if j.key[:2] != (db, sc):
            continue
        gone = j.deleted_on if not j.live else None
        status = "DELETED" if j.deleted else j.status  # what a dropped job shows: UNVERIFIED
        row: tuple[Any, ...] = (
            j.key[2],
            status,
            j.message,
            j.compute_pool,
            j.created_on,
            j.completed_on,
            gone,
        )
        rows.append(row + ((returned,) if returned is not None else ()))
    return Result([Column(c, "TIMESTAMP_LTZ" if c in stamps else "TEXT") for c in cols], rows)


def live_service_rows(acct: FakeAccount, role: str | None, db: str, sc: str) -> Result:
    """F41: live job services in a schema that the role owns or holds a privilege on."""
    cols = ["name", "status", "database_name", "schema_name", "owner", "compute_pool", "target_instances"]
    cols += ["created_on", "updated_on", "comment", "is_job", "is_async_job"]
    rows = [
        (j.key[2], j.status, db, sc, j.owner, j.compute_pool, j.replicas, j.created_on, j.updated_on, None)
        for j in acct.jobs.values()
        if j.key[:2] == (db, sc) and j.live and visible(j, role)
    ]
    rows = [(*row, "true", "true") for row in rows]
    return Result([Column(c, "TIMESTAMP_LTZ" if c.endswith("_on") else "TEXT") for c in cols], rows)
