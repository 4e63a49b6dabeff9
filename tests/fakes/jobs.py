"""Batch inference job services in the fake account.

A submitted job reads the Parquet under its FROM path, runs the packaged model (loaded with
snowflake-ml's own packager) and writes `<output>/<job name>/` Parquet plus `_SUCCESS` — the layout the
2.x client documents (exact file naming UNVERIFIED). `account.job_behaviour` decides whether that
happens at once (`complete`), never until `finish()` (`pending`), or ends in FAILED (`fail`).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from tests.fakes import stagefiles
from tests.fakes.connection import Column, Result, fake_error
from tests.fakes.state import NOW, FakeJob, Key, split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection


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
    if name in acct.jobs and not acct.jobs[name].deleted:
        raise fake_error(f"Object '{name[2]}' already exists.", 2002, "42710", query)
    spec = yaml.safe_load(spec_yaml)
    output = spec["output"]["stage_location"]
    out_stage, out_prefix = stagefiles.locate(acct, conn, output, query)
    job_prefix = out_prefix + name[2] + "/"
    if spec["output"].get("mode", "error").lower() == "error" and stagefiles.list_rows(
        out_stage, job_prefix, None
    ):
        # Scope of the server's check (base vs per-job folder) is UNVERIFIED; the fake checks the job folder.
        raise fake_error(
            f"Output location {output}{name[2]}/ is not empty and the save mode is ERROR.",
            100357,
            "22000",
            query,
        )
    job = FakeJob(
        name, pool, model, version, method, source, output + name[2] + "/", spec_yaml, replicas=replicas
    )
    job.logs = [
        f"Starting batch inference job {name[2]} on {pool}",
        f"Model {'.'.join(model)} version {version}",
    ]
    acct.jobs[name] = job
    if acct.job_behaviour == "complete":
        run(acct, conn, job)
    elif acct.job_behaviour == "fail":
        job.status, job.message = "FAILED", "Job failed: model raised an error (fake)."
        job.logs.append("ERROR model raised an error (fake)")
        job.completed_on = NOW
    return job


@cache
def _load(model_dir: str) -> Any:
    from snowflake.ml.model._packager.model_packager import ModelPackager

    packager = ModelPackager(model_dir)
    packager.load(as_custom_model=True)
    return packager


def run(acct: FakeAccount, conn: FakeConnection, job: FakeJob) -> None:
    """Score the staged input and write the results, as the job container would."""
    version = acct.models[job.model].versions[job.version]
    in_stage, in_prefix = stagefiles.locate(acct, conn, job.input_path, "")
    frame = stagefiles.read_parquet(in_stage, in_prefix)
    assert version.model_dir is not None, "seed the version with a packaged model to run jobs"
    packager = _load(str(version.model_dir))
    signature = packager.meta.signatures[job.function]
    features = [f.name for f in signature.inputs]
    scored = getattr(packager.model, job.function)(frame[features])
    result = pd.concat([frame.reset_index(drop=True), scored.reset_index(drop=True)], axis=1)
    out_stage, out_prefix = stagefiles.locate(acct, conn, job.output_path, "")
    stagefiles.write_parquet(out_stage, out_prefix, result)
    (out_stage.folder / out_prefix / "_SUCCESS").write_bytes(b"")
    job.status, job.completed_on = "DONE", NOW
    job.logs.append(f"Scored {len(result)} rows")
    job.logs.append("Batch inference job completed")


def finish(acct: FakeAccount, name: str) -> None:
    """Let a `pending` job run to completion now."""
    job = acct.jobs[tuple(split_name(name))]  # type: ignore[index]
    conn = acct.connections[-1]
    run(acct, conn, job)


def find_live(acct: FakeAccount, conn: FakeConnection, text: str, query: str) -> FakeJob:
    parts = split_name(text)
    while len(parts) < 3:
        parts.insert(0, (conn.schema if len(parts) == 1 else conn.database) or "")
    job = acct.jobs.get((parts[0], parts[1], parts[2]))
    if job is None or job.deleted:
        raise fake_error(
            f"SQL compilation error:\nService '{'.'.join(parts)}' does not exist or not authorized.",
            2003,
            "02000",
            query,
        )
    return job


def cancel(job: FakeJob) -> None:
    if job.status in ("PENDING", "RUNNING"):
        job.status, job.completed_on = "CANCELLED", NOW
        job.logs.append("Job cancelled")


def describe_rows(job: FakeJob) -> Result:
    spec = {
        "spec": {
            "containers": [
                {"name": "main", "image": "/snowflake/images/snowflake_images/inference", "env": {}}
            ],
            "volumes": [],
        }
    }
    cols = [
        "name",
        "status",
        "database_name",
        "schema_name",
        "owner",
        "compute_pool",
        "dns_name",
        "current_instances",
        "target_instances",
        "min_ready_instances",
        "min_instances",
        "max_instances",
        "auto_resume",
        "created_on",
        "updated_on",
        "resumed_on",
        "suspended_on",
        "comment",
        "is_job",
        "is_async_job",
        "spec",
    ]
    row = (
        job.key[2],
        job.status,
        job.key[0],
        job.key[1],
        job.owner,
        job.compute_pool,
        "",
        job.replicas,
        job.replicas,
        job.replicas,
        job.replicas,
        job.replicas,
        "false",
        job.created_on,
        job.updated_on,
        None,
        None,
        None,
        "true",
        "true",
        yaml.safe_dump(spec),
    )
    return Result([Column(c, "TIMESTAMP_LTZ" if c.endswith("_on") else "TEXT") for c in cols], [row])


def instance_rows(job: FakeJob) -> Result:
    cols = [
        "database_name",
        "schema_name",
        "service_name",
        "instance_id",
        "status",
        "spec_digest",
        "creation_time",
        "start_time",
    ]
    rows = [
        (
            job.key[0],
            job.key[1],
            job.key[2],
            str(i),
            job.status,
            "abc",
            "2026-01-15T09:30:00Z",
            "2026-01-15T09:30:01Z",
        )
        for i in range(job.replicas)
    ]
    return Result([Column(c) for c in cols], rows)


def history_rows(acct: FakeAccount, db: str, sc: str, limit: int, offset: int) -> Result:
    live = [j for j in acct.jobs.values() if j.key[:2] == (db, sc) and not j.deleted]
    live.sort(key=lambda j: (-j.created_on.timestamp(), j.key[2]))
    cols = [
        Column("NAME"),
        Column("STATUS"),
        Column("MESSAGE"),
        Column("COMPUTE_POOL_NAME"),
        Column("CREATED_TIME", "TIMESTAMP_LTZ"),
        Column("COMPLETED_TIME", "TIMESTAMP_LTZ"),
    ]
    rows = [
        (j.key[2], j.status, j.message, j.compute_pool, j.created_on, j.completed_on)
        for j in live[offset : offset + limit]
    ]
    return Result(cols, rows)


def show_job_services_rows(acct: FakeAccount, db: str, sc: str) -> Result:
    cols = [
        "name",
        "status",
        "database_name",
        "schema_name",
        "owner",
        "compute_pool",
        "target_instances",
        "created_on",
        "updated_on",
        "comment",
    ]
    rows = [
        (j.key[2], j.status, db, sc, j.owner, j.compute_pool, j.replicas, j.created_on, j.updated_on, None)
        for j in acct.jobs.values()
        if j.key[:2] == (db, sc) and not j.deleted
    ]
    return Result([Column(c, "TIMESTAMP_LTZ" if c.endswith("_on") else "TEXT") for c in cols], rows)
