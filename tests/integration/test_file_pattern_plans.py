"""File patterns as a person writes them: a glob or a regex picks the files on both backends, and a
pattern that matches nothing answers with the nearest paths and how patterns are read."""

from typing import Any

import pytest
from mcp import Client

from snowbatch.samples import models as sm
from tests.integration.helpers import call

pytestmark = pytest.mark.anyio


def plan_args(pattern: str) -> dict[str, Any]:
    return {
        "model": f"ML.PUBLIC.{sm.FILE_INSPECTOR}",
        "input": {"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/images/", "pattern": pattern},
        "output_stage": "@ML.PUBLIC.BATCH_OUT/patterns/",
        "compute_pool": "CPU_POOL",
    }


@pytest.mark.parametrize("pattern", ["*.png", ".*[.]png"])
async def test_a_glob_and_a_regex_pick_the_same_files(media_server: Any, pattern: str) -> None:
    async with Client(media_server) as client:
        listed = await call(
            client, "list_stage_files", {"stage_location": "@ML.PUBLIC.MEDIA/images/", "pattern": pattern}
        )
        plan = await call(client, "plan_batch_job", plan_args(pattern))
    assert listed["count"] >= 1 and all(f["path"].endswith(".png") for f in listed["files"])
    assert plan["ok"] and f"{listed['count']} stage files" in plan["summary"]


async def test_a_pattern_that_matches_nothing_names_the_nearest_paths_and_the_rule(media_server: Any) -> None:
    async with Client(media_server) as client:
        listed = await call(
            client, "list_stage_files", {"stage_location": "@ML.PUBLIC.MEDIA/images/", "pattern": "*.pngg"}
        )
        plan = await call(client, "plan_batch_job", plan_args("*.pngg"))
    assert listed["count"] == 0 and ".png" in listed["note"] and "glob" in listed["note"]
    (files,) = [c for c in plan["checks"] if c["name"] == "files"]
    assert files["status"] == "fail" and ".png" in files["fix"] and "regular expression" in files["fix"]
    assert not plan["ok"] and not plan.get("confirmation_token")


async def test_a_trials_figures_are_about_the_trials_files_only(media_server: Any) -> None:
    async with Client(media_server) as client:
        everything = await call(client, "list_stage_files", {"stage_location": "@ML.PUBLIC.MEDIA/images/"})
        args = plan_args(".*")
        args["input"]["limit"] = 1
        plan = await call(client, "plan_batch_job", args)
    first = everything["files"][0]
    (files,) = [c for c in plan["checks"] if c["name"] == "files"]
    assert files["message"].startswith(f"1 files, {first['size']:,} bytes")
    assert f"the first 1 of {everything['count']} matching files" in files["message"]
    assert "1 stage files" in plan["summary"]


async def test_the_full_run_can_leave_out_the_files_a_trial_already_scored(media_server: Any) -> None:
    from tests.integration.helpers import approve_and_submit, wait_done

    async with Client(media_server) as client:
        listed = await call(client, "list_stage_files", {"stage_location": "@ML.PUBLIC.MEDIA/images/"})
        trial_args = plan_args(".*")
        trial_args["input"]["limit"] = 1
        trial = await call(client, "plan_batch_job", trial_args)
        trial_id = await approve_and_submit(client, trial)
        assert (await wait_done(client, trial_id))["status"] == "DONE"
        full_args = plan_args(".*")
        full_args["input"]["skip_scored"] = trial_id
        full_args["output_stage"] = "@ML.PUBLIC.BATCH_OUT/patterns-full/"
        full = await call(client, "plan_batch_job", full_args)
    (files,) = [c for c in full["checks"] if c["name"] == "files"]
    assert full["ok"] and files["message"].startswith(f"{listed['count'] - 1} files")
    assert f"1 file(s) job {trial_id} already scored are left out" in files["message"]
    assert f"{listed['count'] - 1} stage files" in full["summary"]
