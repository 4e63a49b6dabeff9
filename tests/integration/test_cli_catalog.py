"""`snowbatch models | stages | pools | code`: what a person sees, through the MCP tools in process."""

from __future__ import annotations

import pytest
from rich.console import Console

from snowbatch.cli import common
from tests.integration.cli_person import CHURN, POOL, PRICE, Person, person

__all__ = ["person"]


def test_models_list_as_json_is_the_tool_result_with_the_sample_models(person: Person) -> None:
    page = person.json("models", "list")
    names = {m["name"]: m for m in page["items"]}
    assert {CHURN, PRICE} <= set(names)
    assert names[CHURN]["default_version"] == "V1"


def test_piped_tables_are_plain_tab_separated_lines(person: Person) -> None:
    result = person.run("models", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["model", "default version", "versions", "comment"]
    assert any(line.startswith(f"{CHURN}\tV1\t1\t") for line in lines)
    assert not any(ch in result.stdout for ch in "┏│━\x1b")  # no box, no colour


def test_at_a_terminal_tables_are_drawn(person: Person, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "console", Console(force_terminal=True, width=160, color_system=None))
    result = person.run("models", "list")
    assert result.exit_code == 0
    assert "┃ model" in result.stdout and f"│ {CHURN}" in result.stdout


def test_models_show_gives_each_function_with_its_signature(person: Person) -> None:
    result = person.run("models", "show", "CHURN_CLASSIFIER")
    assert result.exit_code == 0
    assert f"model     {CHURN} version V1" in result.stdout
    functions = {line.split("\t")[0]: line for line in result.stdout.splitlines()[1:] if "\t" in line}
    assert {"PREDICT", "PREDICT_PROBA"} <= set(functions)
    assert "TENURE_MONTHS: INT64" in functions["PREDICT_PROBA"]
    shown = person.json("models", "show", CHURN, "--version", "V1")
    assert shown["model"] == CHURN and shown["function_name_needed"] is True


def test_a_model_that_does_not_exist_is_our_error_and_exit_2(person: Person) -> None:
    result = person.run("models", "show", "ML.PUBLIC.NO_SUCH_MODEL")
    assert result.exit_code == 2
    assert "Model ML.PUBLIC.NO_SUCH_MODEL does not exist" in result.stderr
    assert "Next step:" in result.stderr and result.stdout == ""
    assert "validation error" not in result.output.lower()


def test_invalid_arguments_are_said_in_our_words(person: Person) -> None:
    result = person.run("pools", "create", "NEW_POOL", "--family", "CPU_X64_S", "--min-nodes", "3", "--yes")
    assert result.exit_code == 2
    assert "min_nodes (3) is above max_nodes (1)" in result.stderr


def test_stages_list_says_which_stage_can_take_output(person: Person) -> None:
    found = person.json("stages", "list")
    assert found["usable_for_output"] == ["ML.PUBLIC.BATCH_OUT"]
    plain = person.run("stages", "list").stdout
    assert "ML.PUBLIC.BATCH_OUT\tINTERNAL\tSNOWFLAKE_SSE\tyes" in plain
    assert "ML.PUBLIC.LEGACY_STAGE\tINTERNAL\tSNOWFLAKE_FULL\tno: " in plain


def stage_names(person: Person) -> set[str]:
    return {s["name"] for s in person.json("stages", "list")["stages"]}


def test_stages_create_shows_the_summary_and_creates_only_after_yes(person: Person) -> None:
    person.at_a_terminal()
    said_no = person.run("stages", "create", "SCORES_OUT", answer="n\n")
    assert said_no.exit_code == 1
    assert said_no.stdout.index("Create internal stage ML.PUBLIC.SCORES_OUT") < said_no.stdout.index(
        "Go ahead?"
    )
    assert "Not approved. Nothing was done." in said_no.stdout
    assert "ML.PUBLIC.SCORES_OUT" not in stage_names(person)

    said_yes = person.run("stages", "create", "SCORES_OUT", answer="y\n")
    assert said_yes.exit_code == 0
    assert "Stage ML.PUBLIC.SCORES_OUT is ready (SNOWFLAKE_SSE)." in said_yes.stdout
    assert "ML.PUBLIC.SCORES_OUT" in stage_names(person)


def test_with_no_terminal_to_ask_at_a_change_is_refused_unless_yes(person: Person) -> None:
    refused = person.run("stages", "create", "SCORES_OUT")
    assert refused.exit_code == 2
    assert "standard input is not a terminal" in refused.stderr and "--yes" in refused.stderr
    assert "ML.PUBLIC.SCORES_OUT" not in stage_names(person)

    created = person.json("stages", "create", "SCORES_OUT", "--yes")
    assert created["status"] == "done" and created["result"]["stage"]["encryption"] == "SNOWFLAKE_SSE"
    assert "ML.PUBLIC.SCORES_OUT" in stage_names(person)


def test_auto_approve_meant_for_an_assistant_does_not_skip_the_question(person: Person) -> None:
    person.monkeypatch.setenv("SNOWBATCH_AUTO_APPROVE", "1")
    result = person.run("stages", "create", "SCORES_OUT")
    assert result.exit_code == 2 and "ML.PUBLIC.SCORES_OUT" not in stage_names(person)


def test_pools_list_recommend_create_and_resume(person: Person) -> None:
    pools = {p["name"]: p for p in person.json("pools", "list")["pools"]}
    assert pools[POOL]["state"] == "IDLE" and pools["ETL_POOL"]["state"] == "SUSPENDED"

    advice = person.run("pools", "recommend", "--model", CHURN, "--function", "PREDICT")
    assert advice.exit_code == 0 and advice.stdout.startswith(f"Use {POOL} (IDLE):")

    created = person.run("pools", "create", "BIG_POOL", "--family", "CPU_X64_M", "--yes")
    assert created.exit_code == 0
    assert "INSTANCE_FAMILY = CPU_X64_M" in created.stdout  # the summary approved
    assert "BIG_POOL" in {p["name"] for p in person.json("pools", "list")["pools"]}

    resumed = person.run("pools", "resume", "ETL_POOL", "--yes")
    assert resumed.exit_code == 0 and "Resume compute pool ETL_POOL" in resumed.stdout
    again = person.run("pools", "resume", "ETL_POOL", "--yes")
    assert again.exit_code == 2 and "there is nothing to resume" in again.stderr


def test_code_render_prints_the_code_alone_when_piped(person: Person) -> None:
    result = person.run(
        "code", "render", "sql_model_function",
        "-p", f"model={PRICE}", "-p", "version=V1", "-p", "function_name=PREDICT",
        "-p", "input_table=ML.PUBLIC.CUSTOMERS", "-p", "columns=TENURE_MONTHS,SUPPORT_CALLS,CONTRACT_MONTHS",
        "-p", "limit=5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("-- ")
    assert (
        f"MODEL({PRICE}, V1)!PREDICT(src.TENURE_MONTHS, src.SUPPORT_CALLS, src.CONTRACT_MONTHS)"
        in result.stdout
    )
    assert "LIMIT 5" in result.stdout  # an integer parameter, read as one


def test_code_render_writes_a_file_and_names_a_wrong_template(person: Person) -> None:
    out = person.home.parent / "stage.sql"
    result = person.run("code", "render", "create_stage", "-p", "stage=ML.PUBLIC.NEW_OUT", "-o", str(out))
    assert result.exit_code == 0
    assert "CREATE STAGE IF NOT EXISTS ML.PUBLIC.NEW_OUT" in out.read_text()
    wrong = person.run("code", "render", "no_such_template")
    assert wrong.exit_code == 2 and "There is no template 'no_such_template'" in wrong.stderr
    assert "sql_model_function" in {t["name"] for t in person.json("code", "list")["templates"]}
