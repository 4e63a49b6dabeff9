"""The audit trail's file: one whole JSON line per record, durable, never interleaved, and no secret or
row data in it."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from snowbatch import audit

WRITER = """
import sys
from snowbatch.audit import append
path, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    append(__import__("pathlib").Path(path), {"writer": who, "i": i, "summary": who * 100_000})
"""


def record(**outcome: object) -> dict[str, object]:
    return audit.make_record(
        tool="save_results_to_table",
        args={"table": "ML.PUBLIC.T", "job_id": "ML.PUBLIC.J1", "mode": "error"},
        summary="Load the Parquet results into table ML.PUBLIC.T (a new table).",
        approved_by="token",
        outcome=outcome or {"status": "done", "rows": 3},
        principal="alice",
    )


def test_each_record_is_one_write_of_a_whole_line_then_synced_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_fsync, real_write = os.fsync, os.write
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "write", lambda fd, data: (calls.append("write"), real_write(fd, data))[1])
    path = tmp_path / "audit" / "audit.jsonl"
    for _ in range(3):
        audit.append(path, record())
    lines = path.read_bytes().splitlines()
    assert len(lines) == 3 and calls == ["write", "fsync"] * 3
    assert all(json.loads(line)["tool"] == "save_results_to_table" for line in lines)


def test_two_processes_appending_at_once_never_interleave_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, "40"]) for who in ("a", "b")]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    records = [json.loads(line) for line in path.read_bytes().splitlines()]  # each line whole JSON
    assert sorted((r["writer"], r["i"]) for r in records) == sorted(
        (who, i) for who in ("a", "b") for i in range(40)
    )


def test_a_writer_waits_while_another_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.touch()
    fd = os.open(path, os.O_WRONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    writer = threading.Thread(target=audit.append, args=(path, record()))
    writer.start()
    writer.join(0.5)
    assert writer.is_alive() and path.read_bytes() == b""  # held off by the other writer's lock
    os.close(fd)
    writer.join(10)
    assert not writer.is_alive() and len(path.read_bytes().splitlines()) == 1


def test_a_torn_last_line_is_skipped_and_since_filters(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    old = audit.make_record(
        tool="cancel_job", args={"job_id": "J"}, summary="Cancel J.", approved_by="token",
        outcome={"status": "done"}, now=datetime.now(timezone.utc) - timedelta(days=2),
    )  # fmt: skip
    audit.append(path, old)
    audit.append(path, record())
    with path.open("ab") as fh:
        fh.write(b'{"time": "2026-')  # a crash in the middle of a record
    assert [r["tool"] for r in audit.read(path)] == ["cancel_job", "save_results_to_table"]
    since = datetime.now(timezone.utc) - timedelta(days=1)
    assert [r["tool"] for r in audit.read(path, since=since)] == ["save_results_to_table"]


def test_a_record_holds_a_hash_of_the_arguments_not_the_arguments() -> None:
    made = record()
    text = json.dumps(made)
    assert "ML.PUBLIC.J1" not in text and "job_id" not in text
    assert made["arguments_sha256"] == audit.arguments_hash(
        "save_results_to_table", {"mode": "error", "job_id": "ML.PUBLIC.J1", "table": "ML.PUBLIC.T"}
    )
    assert set(made) == {
        "time", "principal", "client", "backend", "tool", "summary", "approved_by", "arguments_sha256",
        "outcome",
    }  # fmt: skip


def test_an_outcome_keeps_names_and_counts_and_drops_everything_else() -> None:
    result = {
        "job_id": "ML.PUBLIC.J1",
        "rows": 3000,
        "columns": ["SECRET_COLUMN"],
        "preview": [{"EMAIL": "someone@example.com"}],
        "pool": {"name": "CPU_POOL", "state": "ACTIVE"},
    }
    assert audit.outcome_of("started", result) == {
        "status": "started", "job_id": "ML.PUBLIC.J1", "rows": 3000, "pool": "CPU_POOL",
    }  # fmt: skip
