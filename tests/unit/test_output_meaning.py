"""Which output is which: a classifier's per-class outputs named from its labels, or an honest assumption."""

from __future__ import annotations

from snowbatch.core.output_meaning import output_meaning
from snowbatch.core.signatures import FeatureInfo, FunctionInfo


def function(method: str, outputs: int) -> FunctionInfo:
    return FunctionInfo(
        name=method.upper(),
        target_method=method,
        inputs=[FeatureInfo(name="X", dtype="DOUBLE")],
        outputs=[FeatureInfo(name=f"output_feature_{i}", dtype="DOUBLE") for i in range(outputs)],
    )


def test_known_labels_name_each_probability_in_order() -> None:
    line = output_meaning(function("predict_proba", 2), "TABULAR_BINARY_CLASSIFICATION", ["ham", "spam"])
    assert line is not None
    assert line.startswith("output_feature_0 = P('ham'), output_feature_1 = P('spam')")


def test_unknown_labels_say_the_order_is_an_assumption_and_how_to_confirm() -> None:
    line = output_meaning(function("predict_proba", 2), "TABULAR_BINARY_CLASSIFICATION", None)
    assert (
        line is not None
        and "ASSUMED" in line
        and "classes_" in line
        and "output_feature_1 is class 1" in line
    )


def test_labels_that_do_not_match_the_outputs_are_not_trusted() -> None:
    line = output_meaning(function("predict_proba", 3), "TABULAR_MULTI_CLASSIFICATION", ["a", "b"])
    assert line is not None and "ASSUMED" in line


def test_log_probabilities_and_scores_say_so() -> None:
    task = "TABULAR_MULTI_CLASSIFICATION"
    assert "log P('a')" in (output_meaning(function("predict_log_proba", 2), task, ["a", "b"]) or "")
    assert "score('a')" in (output_meaning(function("decision_function", 2), task, ["a", "b"]) or "")


def test_nothing_is_said_where_there_is_nothing_to_say() -> None:
    assert output_meaning(function("predict", 1), "TABULAR_BINARY_CLASSIFICATION", ["0", "1"]) is None
    assert output_meaning(function("predict_proba", 2), "TABULAR_REGRESSION", None) is None
    assert output_meaning(function("predict_proba", 1), "TABULAR_BINARY_CLASSIFICATION", None) is None
