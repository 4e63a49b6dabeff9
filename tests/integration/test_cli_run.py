"""`snowbatch plan | run | results | warehouse`: a batch job from a person's terminal, one yes per action,
through the same checks and gate as the MCP tools."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.cli_person import CHURN, POOL, PRICE, ROWS, TABLE, Person, person

__all__ = ["person"]

OUT = "@ML.PUBLIC.BATCH_OUT"


def job_flags(base: str, function: str = "PREDICT_PROBA") -> list[str]:
    return [
        "--model", CHURN, "--function", function, "--table", TABLE,
        "--output-stage", f"{OUT}/{base}/", "--pool", POOL,
    ]  # fmt: skip


def test_plan_shows_every_check_and_the_summary_and_creates_nothing(person: Person) -> None:
    result = person.run("plan", *job_flags("plan"))
    assert result.exit_code == 0, result.output
    assert "pass All 4 signature inputs present" in result.stdout
    assert "Batch inference job on the local backend:" in result.stdout
    assert f"input    table {TABLE} ({ROWS:,} rows)" in result.stdout
    assert "Nothing was created or submitted." in result.stdout
    assert person.job_ids() == []
    assert not (person.home / "stages" / "ML" / "PUBLIC" / "BATCH_OUT" / "plan").exists()


def test_a_plan_with_a_failing_check_exits_2_with_the_fix(person: Person) -> None:
    flags = job_flags("plan")
    flags[flags.index(POOL)] = "NO_SUCH_POOL"
    result = person.run("plan", *flags)
    assert result.exit_code == 2
    assert "FAIL Compute pool NO_SUCH_POOL does not exist" in result.stdout and "fix:" in result.stdout
    assert "nothing was submitted" in result.stderr


def test_run_with_yes_ends_done_with_success_verified_and_a_preview(person: Person) -> None:
    result = person.run("run", *job_flags("scores"), "--yes")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Batch inference job") < out.index("Approved by --yes.") < out.index("Submitted job")
    (job_id,) = person.job_ids()
    assert f"{job_id}  DONE  {ROWS:,}/{ROWS:,} rows" in out
    assert f"_SUCCESS verified: {ROWS:,} rows in 1 Parquet part(s)" in out
    preview = out[out.index("First rows") :].splitlines()
    assert preview[1].split("\t") == [
        "CUSTOMER_ID", "TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS",
        "output_feature_0", "output_feature_1",
    ]  # fmt: skip
    assert preview[2].startswith("1\t") and f"(3 of {ROWS:,} rows shown)" in out
    assert f"snowbatch results save --job {job_id}" in out
    assert person.json("jobs", "wait", job_id)["status"] == "DONE"  # the jobs commands speak JSON too
    assert any("_SUCCESS" in line for line in person.json("jobs", "logs", job_id)["lines"])


def test_run_answered_no_submits_nothing_and_exits_1(person: Person) -> None:
    person.at_a_terminal()
    result = person.run("run", *job_flags("declined"), answer="n\n")
    assert result.exit_code == 1
    assert result.stdout.index("Batch inference job") < result.stdout.index("Submit this job? [y/n] (n):")
    assert result.stdout.count("[y/n]") == 1  # one question for one action
    assert "Not approved. Nothing was submitted." in result.stdout
    assert person.job_ids() == []


def test_run_with_no_terminal_and_no_yes_refuses(person: Person) -> None:
    result = person.run("run", *job_flags("piped"))
    assert result.exit_code == 2
    assert "standard input is not a terminal" in result.stderr and "--yes" in result.stderr
    assert person.job_ids() == []


def test_run_with_json_prints_one_document_and_says_the_rest_on_stderr(person: Person) -> None:
    result = person.run("run", *job_flags("json"), "--yes", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["plan"]["ok"] is True and report["submitted"]["status"] == "started"
    assert report["job"]["job"]["status"] == "DONE"
    assert report["job"]["output"] == {**report["job"]["output"], "state": "complete", "success_marker": True}
    assert "Batch inference job" in result.stderr and "Approved by --yes." in result.stderr


def test_a_request_file_gives_the_arguments_and_flags_override_its_keys(
    person: Person, tmp_path: Path
) -> None:
    request = tmp_path / "job.yaml"
    request.write_text(
        f"model: {CHURN}\nfunction: PREDICT\ninput: {{kind: table, table: {TABLE}}}\n"
        f"output_stage: '{OUT}/from-file/'\ncompute_pool: ETL_POOL\nscaling: {{max_batch_rows: 500}}\n"
    )
    result = person.run("plan", "--request", str(request), "--pool", POOL, "--function", "PREDICT_PROBA")
    assert result.exit_code == 0, result.output
    assert f"compute  {POOL} (CPU_X64_S, IDLE)" in result.stdout and "batch rows 500" in result.stdout
    assert "function PREDICT_PROBA" in result.stdout

    (tmp_path / "typo.json").write_text(json.dumps({"model": CHURN, "ouput_stage": "@X/"}))
    typo = person.run("plan", "--request", str(tmp_path / "typo.json"))
    assert typo.exit_code == 2 and "Unknown key(s)" in typo.stderr and "ouput_stage" in typo.stderr
    missing = person.run("plan", "--model", CHURN)
    assert (
        missing.exit_code == 2
        and "Missing: --table, --query or --files-stage; --output-stage; --pool" in (missing.stderr)
    )


def test_results_preview_and_save_after_a_run(person: Person) -> None:
    assert person.run("run", *job_flags("to-save"), "--yes").exit_code == 0
    (job_id,) = person.job_ids()

    rows = person.json("results", "preview", "--job", job_id, "--limit", "3")
    assert len(rows["rows"]) == 3 and rows["total_rows"] == ROWS

    person.at_a_terminal()
    declined = person.run(
        "results", "save", "--job", job_id, "--table", "ML.PUBLIC.CHURN_SCORES", answer="n\n"
    )
    assert declined.exit_code == 1 and "into table ML.PUBLIC.CHURN_SCORES (a new table)" in declined.stdout
    saved = person.run("results", "save", "--job", job_id, "--table", "ML.PUBLIC.CHURN_SCORES", answer="y\n")
    assert saved.exit_code == 0 and f"Wrote {ROWS:,} rows to ML.PUBLIC.CHURN_SCORES." in saved.stdout
    again = person.run("results", "save", "--job", job_id, "--table", "ML.PUBLIC.CHURN_SCORES", "--yes")
    assert again.exit_code == 2 and "already exists and mode is error" in again.stderr


def test_warehouse_preview_writes_nothing_and_run_writes_the_table(person: Person) -> None:
    shown = person.run("warehouse", "preview", "--model", PRICE, "--table", TABLE, "--limit", "2")
    assert shown.exit_code == 0 and "2 row(s); nothing was written." in shown.stdout
    assert shown.stdout.splitlines()[1].split("\t")[-1] == "output_feature_0"

    flags = ["--model", PRICE, "--table", TABLE, "--output-table", "ML.PUBLIC.PRICES"]
    result = person.run("warehouse", "run", *flags, "--yes")
    assert result.exit_code == 0, result.output
    assert "writes   table ML.PUBLIC.PRICES (new)" in result.stdout
    (job_id,) = person.job_ids()
    assert f"{job_id}  DONE  {ROWS:,}/{ROWS:,} rows" in result.stdout
    again = person.run("warehouse", "run", *flags, "--yes")
    assert again.exit_code == 2 and "ML.PUBLIC.PRICES already exists" in again.stderr


def test_a_nightly_schedule_from_the_terminal_is_one_yes_and_runs_on_demand_here(person: Person) -> None:
    """`run --only-new KEY:TABLE --schedule CRON`: the summary says what the task does, one yes creates
    it, `local tasks` lists it and `local execute-task` runs it (scoring, verifying, appending)."""
    first = [*job_flags("first"), "--query", f"SELECT * FROM {TABLE} WHERE CUSTOMER_ID <= 100"]
    first.remove("--table"), first.remove(TABLE)
    assert person.run("run", *first, "--yes").exit_code == 0
    (job_id,) = person.job_ids()
    saved = person.run("results", "save", "--job", job_id, "--table", "ML.PUBLIC.CHURN_SCORES", "--yes")
    assert saved.exit_code == 0, saved.output
    nightly = [*job_flags("nightly"), "--only-new", "CUSTOMER_ID:ML.PUBLIC.CHURN_SCORES"]
    nightly += ["--schedule", "0 2 * * * UTC", "--job-name", "CHURN_NIGHTLY"]

    person.at_a_terminal()
    made = person.run("run", *nightly, answer="y\n")
    assert made.exit_code == 0, made.output
    assert "Create this schedule?" in made.output and "Created task ML.PUBLIC.CHURN_NIGHTLY" in made.stdout
    assert f"({ROWS - 100:,} new rows" in made.stdout
    assert person.run("local", "tasks").stdout.split() == ["ML.PUBLIC.CHURN_NIGHTLY"]
    ran = person.run("local", "execute-task", "ML.PUBLIC.CHURN_NIGHTLY")
    said = " ".join(ran.stdout.split())  # the terminal wraps long lines
    assert ran.exit_code == 0, ran.output
    assert said.endswith(f"{ROWS - 100:,} new rows scored, {ROWS - 100:,} appended to ML.PUBLIC.CHURN_SCORES")
    again = person.run("local", "execute-task", "CHURN_NIGHTLY")  # unqualified: the default schema's
    assert again.stdout.strip() == "No new rows: nothing scored."
