"""End to end over stdio: the demo drives a real server process through the whole tabular flow."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_the_demo_runs_the_whole_flow_over_stdio(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    env = {**os.environ, "SNOWBATCH_DEMO_JSON": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "snowbatch", "demo", "--home", str(home), "--rows", "5000", "--yes"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads(proc.stderr.strip().splitlines()[-1])
    assert summary["approved"] and summary["rows"] == 5000
    for step in ("Checkpoint", "approving on your behalf", "submitted job", "_SUCCESS True", "Results:"):
        assert step in proc.stdout
    location = summary["location"]
    job_folder = home / "stages/ML/PUBLIC/BATCH_OUT" / location.split("BATCH_OUT/", 1)[1]
    assert (job_folder / "_SUCCESS").exists()
    assert sorted(p.suffix for p in job_folder.iterdir() if p.name != "_SUCCESS") == [".parquet"] * (
        len(list(job_folder.iterdir())) - 1
    )
