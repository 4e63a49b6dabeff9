"""Signatures from model.yaml / model_spec, and the input kind that routes a function to its flow."""

import pytest

from snowbatch.core.errors import InvalidRequest, NotFound
from snowbatch.core.signatures import FeatureInfo, find_function, functions_from_model_spec, sql_type_fits

TABULAR = {
    "inputs": [{"name": "A", "type": "DOUBLE"}, {"name": "B", "type": "INT64"}],
    "outputs": [{"name": "output_feature_0", "type": "DOUBLE"}],
    "params": [],
}
AUDIO = {
    "inputs": [{"name": "audio", "type": "BYTES"}],
    "outputs": [{"name": "text", "type": "STRING"}],
    "params": [{"name": "language", "dtype": "STRING", "default_value": "en"}],
}
B64_IMAGE = {
    "inputs": [{"name": "image_b64", "type": "STRING"}],
    "outputs": [{"name": "label", "type": "STRING"}],
}
CHAT = {
    "inputs": [
        {
            "name": "messages",
            "shape": [-1],
            "specs": [{"name": "role", "type": "STRING"}, {"name": "content", "type": "STRING"}],
        }
    ],
    "outputs": [{"name": "id", "type": "STRING"}],
    "params": [{"name": "temperature", "dtype": "DOUBLE", "default_value": 1.0}],
}


def spec(**sigs: dict) -> dict:
    return {"signatures": sigs}


def test_tabular_functions_are_classified_tabular() -> None:
    (fn,) = functions_from_model_spec(spec(predict=TABULAR))
    assert (fn.name, fn.target_method, fn.input_kind) == ("PREDICT", "predict", "tabular")
    assert [i.dtype for i in fn.inputs] == ["DOUBLE", "INT64"]


def test_bytes_and_base64_named_strings_are_file_inputs() -> None:
    audio, image = functions_from_model_spec(spec(transcribe=AUDIO, classify=B64_IMAGE))
    assert {audio.input_kind, image.input_kind} == {"files"}


def test_openai_messages_are_chat_and_params_are_read() -> None:
    (fn,) = functions_from_model_spec(spec(__call__=CHAT))
    assert fn.name == "__CALL__"
    assert fn.input_kind == "chat"
    assert [(p.name, p.default) for p in fn.params] == [("temperature", 1.0)]
    assert "temperature" not in {f.name.lower() for f in fn.inputs}  # a param, not a column


def test_methods_with_non_identifier_names_get_quoted_sql_names() -> None:
    (fn,) = functions_from_model_spec(spec(**{"predict-proba": TABULAR}))
    assert fn.name == '"predict-proba"'


def test_the_only_function_is_chosen_when_none_is_named() -> None:
    fns = functions_from_model_spec(spec(predict=TABULAR))
    assert find_function(fns, None).name == "PREDICT"


def test_a_function_must_be_named_when_there_are_several() -> None:
    fns = functions_from_model_spec(spec(predict=TABULAR, predict_proba=TABULAR))
    with pytest.raises(InvalidRequest, match="2 functions"):
        find_function(fns, None)


def test_functions_match_by_sql_or_python_name_and_suggest_close_names() -> None:
    fns = functions_from_model_spec(spec(predict=TABULAR, predict_proba=TABULAR))
    assert find_function(fns, "predict_proba").name == "PREDICT_PROBA"
    assert find_function(fns, "PREDICT").name == "PREDICT"
    with pytest.raises(NotFound, match="Did you mean PREDICT_PROBA"):
        find_function(fns, "predict_probe")


@pytest.mark.parametrize(
    ("sql_type", "dtype", "fits"),
    [
        ("NUMBER(38,0)", "INT64", True),
        ("NUMBER(38,0)", "DOUBLE", True),
        ("FLOAT", "INT64", False),
        ("VARCHAR", "DOUBLE", False),
        ("BINARY", "BYTES", True),
        ("VARCHAR", "STRING", True),
        ("BOOLEAN", "BOOL", True),
        ("TIMESTAMP_NTZ", "TIMESTAMP_NTZ", True),
    ],
)
def test_column_types_fit_signature_types(sql_type: str, dtype: str, fits: bool) -> None:
    assert sql_type_fits(sql_type, FeatureInfo(name="X", dtype=dtype)) is fits
