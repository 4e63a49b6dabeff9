"""run_batch_chat's generation settings: as params (WITH_PARAMS signatures) or as input columns (the plain
OpenAI chat signatures), any subset of them, each written with the name and type the signature declares
(checked against snowflake-ml-python's own `openai_signatures`)."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from snowbatch.core.errors import InvalidRequest
from snowbatch.templates import render

CHAT = {
    "model": "ML.PUBLIC.LLAMA",
    "prompt": "Hi",
    "output_stage": "@ML.PUBLIC.OUT/",
    "compute_pool": "GPU_POOL",
}
TABLE_CHAT = {**{k: v for k, v in CHAT.items() if k != "prompt"}, "messages_table": "ML.PUBLIC.CONVERSATIONS"}
EVERY_SETTING = {
    "temperature": 1,  # a whole number for a DOUBLE input
    "max_completion_tokens": 128,
    "stop": ["</s>", "END"],
    "n": 1,
    "top_p": 0.9,
    "frequency_penalty": 0,
    "presence_penalty": 0.5,
}


def _plain_signature_inputs() -> dict[str, dict[str, Any]]:
    """The plain signature's inputs as snowflake-ml writes them: name → {type, shape, ...}."""
    from snowflake.ml.model.openai_signatures import OPENAI_CHAT_SIGNATURE

    return {f.name: f.to_dict() for f in OPENAI_CHAT_SIGNATURE["__call__"].inputs}


def _with_params_signature_params() -> set[str]:
    from snowflake.ml.model.openai_signatures import OPENAI_CHAT_WITH_PARAMS_SIGNATURE

    return {p.name for p in OPENAI_CHAT_WITH_PARAMS_SIGNATURE["__call__"].params or []}


def _columns_written(code: str) -> dict[str, ast.expr]:
    """input_df.with_column(NAME, value) calls, in order: column name → value expression."""
    calls = [
        n
        for n in ast.walk(ast.parse(code))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "with_column"
    ]
    return {ast.literal_eval(c.args[0]): c.args[1] for c in sorted(calls, key=lambda c: c.lineno)}


def _literal_in(call: ast.expr) -> Any:
    assert isinstance(call, ast.Call) and ast.unparse(call.func) == "lit", ast.unparse(call)
    return ast.literal_eval(call.args[0])


@pytest.mark.parametrize("version", ["1.28.0", "1.54.0", "2.6.0"])
def test_settings_as_columns_are_the_plain_signature_inputs_with_their_types(version: str) -> None:
    rendered = render(
        "run_batch_chat", {**CHAT, "generation": EVERY_SETTING, "generation_as": "columns"}, version
    )
    compile(rendered.code, "chat", "exec")
    inputs = _plain_signature_inputs()
    written = _columns_written(rendered.code)
    assert list(written) == [k.upper() for k in EVERY_SETTING]
    for column, value in written.items():
        feature = inputs[column.lower()]
        if feature.get("shape"):  # stop: a list of STRING, written as an ARRAY
            assert feature["type"] == "STRING" and isinstance(value, ast.Call)
            assert ast.unparse(value.func) == "array_construct"
            assert [_literal_in(v) for v in value.args] == EVERY_SETTING["stop"]
        elif feature["type"] == "DOUBLE":
            assert isinstance(_literal_in(value), float), column
        else:
            assert feature["type"] in ("INT64", "INT32") and type(_literal_in(value)) is int, column
    assert _literal_in(written["TEMPERATURE"]) == 1.0
    assert "InputSpec" not in rendered.code


@pytest.mark.parametrize("version", ["1.28.0", "2.6.0"])
def test_settings_as_columns_render_without_stop(version: str) -> None:
    settings = {"temperature": 0.2, "max_completion_tokens": 64}
    code = render(
        "run_batch_chat", {**CHAT, "generation": settings, "generation_as": "columns"}, version
    ).code
    compile(code, "chat", "exec")
    assert list(_columns_written(code)) == ["TEMPERATURE", "MAX_COMPLETION_TOKENS"]
    assert "from snowflake.snowpark.functions import lit\n" in code
    assert "array_construct" not in code and "STOP" not in code


def test_a_messages_table_keeps_its_own_settings_columns_and_given_settings_override_them() -> None:
    code = render(
        "run_batch_chat",
        {**TABLE_CHAT, "generation": {"top_p": 0.5}, "generation_as": "columns", "limit": 10},
        "2.6.0",
    ).code
    compile(code, "chat", "exec")
    tree = ast.parse(code)
    kept = next(
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "SETTINGS_COLUMNS"
    )
    signature_settings = {name.upper() for name in _plain_signature_inputs()} - {"MESSAGES"}
    assert set(ast.literal_eval(kept)) == signature_settings
    select = 'input_df = input_df.select("MESSAGES", *[c for c in SETTINGS_COLUMNS if c in input_df.columns])'
    assert select in code
    assert code.index(select) < code.index('input_df.with_column("TOP_P", lit(0.5))')


def test_a_messages_table_with_settings_as_columns_needs_no_given_setting() -> None:
    rendered = render("run_batch_chat", {**TABLE_CHAT, "generation_as": "columns"}, "2.6.0")
    compile(rendered.code, "chat", "exec")
    assert "SETTINGS_COLUMNS" in rendered.code and "with_column" not in rendered.code
    assert "snowflake.snowpark.functions" not in rendered.code  # nothing imported that the code does not use
    assert any("input columns" in n for n in rendered.notes)


def test_without_settings_columns_a_messages_table_passes_only_its_messages() -> None:
    code = render("run_batch_chat", {**TABLE_CHAT, "generation": {"n": 2}}, "2.6.0").code
    assert 'session.table("ML.PUBLIC.CONVERSATIONS").select("MESSAGES")' in code
    assert 'params={"n": 2}' in code and "SETTINGS_COLUMNS" not in code


def test_settings_as_params_carry_the_with_params_signature_names_and_types() -> None:
    code = render("run_batch_chat", {**CHAT, "generation": EVERY_SETTING}, "2.6.0").code
    call = next(
        n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call) and ast.unparse(n.func) == "InputSpec"
    )
    params = ast.literal_eval(call.keywords[0].value)
    assert set(params) <= _with_params_signature_params()
    assert params["temperature"] == 1.0 and isinstance(params["temperature"], float)
    assert params["frequency_penalty"] == 0.0 and isinstance(params["frequency_penalty"], float)
    assert params["stop"] == ["</s>", "END"] and params["max_completion_tokens"] == 128


def test_params_with_settings_as_columns_come_with_a_warning() -> None:
    rendered = render(
        "run_batch_chat",
        {
            **CHAT,
            "generation": {"temperature": 0.1},
            "generation_as": "columns",
            "params": {"model": "lora1"},
        },
        "2.6.0",
    )
    assert 'params={"model": "lora1"}' in rendered.code
    assert any("take no params" in n for n in rendered.notes)


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("temperature", "hot", "a number"),
        ("temperature", True, "a number"),
        ("top_p", None, "a number"),
        ("max_completion_tokens", 1.5, "a whole number"),
        ("n", 0, "a whole number of at least 1"),
        ("stop", "END", "a non-empty list"),
        ("stop", [], "a non-empty list"),
        ("stop", ["END", 3], "a non-empty list of non-empty texts"),
        ("stop", [" "], "a non-empty list of non-empty texts"),
    ],
)
@pytest.mark.parametrize("generation_as", ["params", "columns"])
def test_a_setting_of_the_wrong_type_is_refused_with_an_example(
    setting: str, value: object, expected: str, generation_as: str
) -> None:
    params = {**CHAT, "generation": {"temperature": 0.2, setting: value}, "generation_as": generation_as}
    with pytest.raises(InvalidRequest) as caught:
        render("run_batch_chat", params, "2.6.0")
    assert f"Parameter generation of template run_batch_chat is not valid: {setting} must be {expected}" in (
        caught.value.problem
    )
    assert (
        f'generation={{"{setting}": ' in caught.value.next_step and "leave it out" in caught.value.next_step
    )


def test_chat_answers_are_read_from_the_lower_case_choices_column_whatever_its_parquet_type() -> None:
    from snowbatch import templates

    params = {"output_stage": "@ML.PUBLIC.BATCH_OUT/chat/", "job_name": "ML.PUBLIC.J1", "chat_answers": True}
    code = templates.render("read_results", params).code
    # chat outputs keep the signature's lower-case names: unquoted, Snowflake would look for CHOICES
    assert "col('\"choices\"')" in code
    # to_varchar + parse_json: the same path whether Parquet holds choices nested or as JSON text
    assert 'parse_json(to_varchar(col(\'"choices"\')))[0]["message"]["content"].cast("string")' in code
    assert "ANSWER" not in templates.render("read_results", {**params, "chat_answers": False}).code
