"""Column names a person gives for a job's input resolve once to exact names, as SQL reads them."""

from __future__ import annotations

from snowbatch.core.input_columns import resolve_rows, select_columns, shown_column
from snowbatch.core.records import ColumnInfo


def test_row_keys_follow_sqls_rule_plain_upper_quoted_exact_odd_as_is() -> None:
    rows, problem = resolve_rows([{"tenure": 1, '"Mixed"': 2, "monthly charges": 3, 'a"q': 4}])
    assert problem is None
    assert list(rows[0]) == ["TENURE", "Mixed", "monthly charges", 'a"q']


def test_unquoted_mixed_case_is_upper_cased_and_shown_back_quoted_only_when_needed() -> None:
    rows, _ = resolve_rows([{"Mixed": 1}])
    assert list(rows[0]) == ["MIXED"]
    assert [shown_column(c) for c in ["MIXED", "Mixed", "monthly charges", 'a"q']] == [
        "MIXED",
        '"Mixed"',
        '"monthly charges"',
        '"a""q"',
    ]


def test_keys_that_clash_or_differ_between_rows_are_a_problem_not_a_guess() -> None:
    _, clash = resolve_rows([{"tenure": 1, "TENURE": 2}])
    assert clash == "Keys tenure, TENURE name the same column (TENURE)"
    _, differ = resolve_rows([{"A": 1, "B": 2}, {"A": 1, "C": 3}])
    assert differ == "Row 2 has other keys than row 1: it adds C; it lacks B"


def test_picked_columns_read_back_from_their_shown_form_and_unknown_ones_are_named() -> None:
    table = [ColumnInfo(name=n, sql_type="FLOAT") for n in ["TENURE", "Mixed", "monthly charges"]]
    picked, problem = select_columns(table, ['"monthly charges"', "tenure", '"Mixed"'])
    assert problem is None and [c.name for c in picked] == ["monthly charges", "TENURE", "Mixed"]
    _, unknown = select_columns(table, ["Mixed"])
    assert unknown == 'The table has no column MIXED (it has TENURE, "Mixed", "monthly charges")'
    assert select_columns(table, []) == (table, None)
