"""What a function's outputs mean, where the model tells us, and an honest assumption where it does not.

A scikit-learn-style classifier's predict_proba returns one column per class, in the order of the
estimator's `classes_` (scikit-learn's documentation of predict_proba), and snowflake-ml names them
output_feature_0 … output_feature_{k-1} in that order. snowflake-ml keeps no class labels in the model's
metadata, so only the pickled estimator knows them (docs/research/sql-forms.md §4): the local backend
reads them; on Snowflake the order is an assumption the person confirms.
"""

from __future__ import annotations

from snowbatch.core.signatures import FunctionInfo

PER_CLASS = {"predict_proba": "P", "predict_log_proba": "log P", "decision_function": "score"}


def output_meaning(function: FunctionInfo, task: str | None, labels: list[str] | None) -> str | None:
    """One line on what each output of `function` is, or None when there is nothing to say."""
    what = PER_CLASS.get(function.target_method.lower())
    if what is None or len(function.outputs) < 2 or "CLASSIFICATION" not in (task or "").upper():
        return None
    names = [o.name for o in function.outputs]
    if labels is not None and len(labels) == len(names):
        pairs = ", ".join(f"{n} = {what}({label!r})" for n, label in zip(names, labels, strict=True))
        return f"{pairs} (classes_ read from the packaged model)"
    return (
        f"{names[0]} … {names[-1]} = {what}(each class) in the estimator's classes_ order (sorted labels; "
        f"for labels 0/1, {names[1]} is class 1). ASSUMED: the model's metadata holds no labels; "
        "check classes_ on the estimator that was logged."
    )
