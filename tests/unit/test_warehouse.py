"""core.warehouse: the query check (the one place a person's SQL is accepted), the run checks, the
approval summary and warehouse job ids; and the local scoring rule (input columns + outputs)."""

import pandas as pd
import pytest

from snowbatch.core.errors import InvalidRequest
from snowbatch.core.records import ColumnInfo, VersionDetail
from snowbatch.core.signatures import FeatureInfo, FunctionInfo
from snowbatch.core.warehouse import (
    WarehouseRunSpec,
    check_query,
    check_run,
    is_warehouse_job,
    job_name_for_query,
    make_spec,
    query_as_relation,
    query_id_for_job_name,
    summarize_write,
)

ACCEPTED = [
    ("SELECT a, b FROM t", "SELECT a, b FROM t"),
    ("select * from t;", "select * from t"),
    ("  SELECT 1 ;  ; \n", "SELECT 1"),
    ("WITH x AS (SELECT a FROM t) SELECT * FROM x", "WITH x AS (SELECT a FROM t) SELECT * FROM x"),
    ("(SELECT a FROM t)", "(SELECT a FROM t)"),
    ("SELECT 'a;b', \"odd;name\" FROM t", "SELECT 'a;b', \"odd;name\" FROM t"),
    ("SELECT 'it''s' AS s FROM t -- trailing; comment", "SELECT 'it''s' AS s FROM t -- trailing; comment"),
    ("SELECT /* a; b */ a FROM t", "SELECT /* a; b */ a FROM t"),
    ("SELECT updated_at, created_by FROM t", "SELECT updated_at, created_by FROM t"),
    ("SELECT (SELECT MAX(a) FROM u) AS m FROM t", "SELECT (SELECT MAX(a) FROM u) AS m FROM t"),
]

REFUSED = [
    ("", "empty"),
    ("   ", "empty"),
    ("SELECT 1; DROP TABLE t", "more than one statement"),
    ("SELECT 1;; SELECT 2", "more than one statement"),
    ("DELETE FROM t", "starts with DELETE"),
    ("INSERT INTO t SELECT 1", "starts with INSERT"),
    ("CREATE TABLE x AS SELECT 1", "starts with CREATE"),
    ("SHOW TABLES", "starts with SHOW"),
    ("CALL p()", "starts with CALL"),
    ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "contains INSERT"),
    ("WITH x AS (SELECT 1) DELETE FROM t", "contains DELETE"),
    ("SELECT 'open", "string is not closed"),
    ('SELECT "open FROM t', "quoted name is not closed"),
    ("SELECT (1", "'(' is not closed"),
    ("SELECT 1)", "no matching '('"),
    ("SELECT 'a\\'; DROP TABLE t; --' FROM t", "escaped with a backslash"),
    ("/* /* */ ' */ ; DROP TABLE t; --' SELECT 1", "nested"),
    ("SELECT /* never closed", "comment is not closed"),
    ("-- only a comment", "no statement"),
]


@pytest.mark.parametrize(("query", "checked"), ACCEPTED)
def test_one_select_is_accepted_and_returned_without_its_final_semicolon(query: str, checked: str) -> None:
    assert check_query(query) == checked


@pytest.mark.parametrize(("query", "why"), REFUSED)
def test_anything_but_one_select_is_refused_with_the_reason(query: str, why: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        check_query(query)
    assert why in str(err.value) and "Next step" in str(err.value)


def test_a_query_runs_as_a_subquery_closed_on_its_own_line() -> None:
    relation = query_as_relation("SELECT a FROM t -- note")
    assert relation == '(\nSELECT a FROM t -- note\n) AS "SNOWBATCH_INPUT"'


def test_warehouse_job_names_carry_the_query_id_both_ways() -> None:
    query_id = "01b2c3d4-0602-5c0a-0000-00010a2b3c4d"
    name = job_name_for_query(query_id)
    assert name == "WAREHOUSE_QUERY_01B2C3D406025C0A000000010A2B3C4D"
    assert query_id_for_job_name(name) == query_id
    assert query_id_for_job_name("BATCH_INFERENCE_ABC") is None
    assert is_warehouse_job(f"ML.PUBLIC.{name}") and not is_warehouse_job("ML.PUBLIC.BATCH_INFERENCE_1")
    with pytest.raises(ValueError):
        job_name_for_query("not-a-query-id")


def feature(name: str, dtype: str = "DOUBLE") -> FeatureInfo:
    return FeatureInfo(name=name, dtype=dtype)


PREDICT = FunctionInfo(
    name="PREDICT",
    target_method="predict",
    inputs=[feature("A"), feature("B", "INT64")],
    outputs=[feature("output_feature_0")],
)
PARTITIONED = FunctionInfo(
    name="PREDICT",
    target_method="predict",
    is_partitioned=True,
    inputs=[feature("STORE", "STRING"), feature("SALES")],
    outputs=[feature("TOTAL")],
)
COLUMNS = [
    ColumnInfo(name="ID", sql_type="NUMBER(38,0)"),
    ColumnInfo(name="A", sql_type="FLOAT"),
    ColumnInfo(name="B", sql_type="NUMBER(38,0)"),
]


def detail(runnable_in: list[str] | None = None, needs_gpu: bool = False) -> VersionDetail:
    return VersionDetail(
        model="ML.PUBLIC.M",
        version="V1",
        runnable_in=runnable_in or ["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"],
        needs_gpu=needs_gpu,
        functions=[PREDICT],
    )


def failing(checks: list) -> list[str]:
    return [c.name for c in checks if c.status == "fail"]


def test_a_fitting_input_passes_and_names_the_passed_through_columns() -> None:
    checks = check_run(detail(), PREDICT, COLUMNS, None)
    assert failing(checks) == [] and "passed through unchanged: ID" in checks[0].message


def test_a_gpu_only_version_is_refused_with_the_batch_job_as_the_way_forward() -> None:
    checks = check_run(detail(["SNOWPARK_CONTAINER_SERVICES"], needs_gpu=True), PREDICT, COLUMNS, None)
    (fail,) = [c for c in checks if c.status == "fail"]
    assert "needs a GPU" in fail.message and "plan_batch_job" in (fail.fix or "")


def test_missing_and_mistyped_columns_fail() -> None:
    assert failing(check_run(detail(), PREDICT, COLUMNS[:2], None)) == ["input_columns"]
    wrong = [COLUMNS[1], ColumnInfo(name="B", sql_type="VARCHAR")]
    assert failing(check_run(detail(), PREDICT, wrong, None)) == ["input_types"]


def test_partition_column_rules() -> None:
    cols = [ColumnInfo(name="STORE", sql_type="VARCHAR"), ColumnInfo(name="SALES", sql_type="FLOAT")]
    assert failing(check_run(detail(), PREDICT, COLUMNS, "A")) == ["partition_column"]  # plain FUNCTION
    assert failing(check_run(detail(), PARTITIONED, cols, "REGION")) == ["partition_column"]
    assert failing(check_run(detail(), PARTITIONED, cols, "store")) == []
    warn = [c for c in check_run(detail(), PARTITIONED, cols, None) if c.status == "warn"]
    assert warn and "one partition" in warn[0].message


def test_the_spec_resolves_the_partition_column_to_the_inputs_exact_name() -> None:
    cols = [ColumnInfo(name="Store", sql_type="VARCHAR"), ColumnInfo(name="SALES", sql_type="FLOAT")]
    spec = make_spec(
        detail(),
        PARTITIONED,
        cols,
        input_table="ML.PUBLIC.T",
        input_query=None,
        partition_column="store",
        output_table=None,
        mode="error",
    )
    assert spec.partition_column == "Store" and spec.table_function and not spec.keeps_input_columns
    assert spec.input_sql() == '"ML"."PUBLIC"."T"'


def test_the_summary_says_model_version_function_input_table_and_mode() -> None:
    spec = make_spec(
        detail(),
        PREDICT,
        COLUMNS,
        input_table=None,
        input_query="SELECT ID, A, B FROM T",
        partition_column=None,
        output_table="ML.PUBLIC.SCORES",
        mode="overwrite",
    )
    text = summarize_write(spec, backend="local", target_exists=True)
    for fact in (
        "ML.PUBLIC.M version V1, function PREDICT",
        "SELECT ID, A, B FROM T",
        "ML.PUBLIC.SCORES (exists)",
        "OVERWRITE",
        "input columns + outputs output_feature_0",
    ):
        assert fact in text, fact
    blocked = summarize_write(spec.model_copy(update={"mode": "error"}), backend="local", target_exists=True)
    assert "BLOCKED" in blocked


class EchoModel:
    """Stands in for a packaged model: predict adds A and B; a partitioned method sums per store."""

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"output_feature_0": frame["A"] + frame["B"]})

    def totals(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"STORE": [frame["STORE"].iloc[0]], "TOTAL": [frame["SALES"].sum()]})


def test_scoring_keeps_the_input_columns_and_matches_inputs_ignoring_case() -> None:
    from snowbatch.backends.local.warehouse import score

    spec = WarehouseRunSpec(
        model="M",
        version="V1",
        function_name="PREDICT",
        target_method="predict",
        input_names=["A", "B"],
        output_names=["output_feature_0"],
    )
    frame = pd.DataFrame({"ID": [7, 8], "a": [1.0, 2.0], "B": [10, 20]}, index=[5, 9])
    out = score(EchoModel(), spec, frame)
    assert list(out.columns) == ["ID", "a", "B", "output_feature_0"]
    assert out["output_feature_0"].tolist() == [11.0, 22.0] and out["ID"].tolist() == [7, 8]


def test_scoring_a_partitioned_method_runs_it_once_per_partition_and_returns_its_outputs() -> None:
    from snowbatch.backends.local.warehouse import score

    spec = WarehouseRunSpec(
        model="M",
        version="V1",
        function_name="TOTALS",
        target_method="totals",
        partitioned=True,
        table_function=True,
        input_names=["STORE", "SALES"],
        output_names=["STORE", "TOTAL"],
        partition_column="STORE",
    )
    frame = pd.DataFrame({"STORE": ["a", "b", "a", None], "SALES": [1.0, 2.0, 3.0, 4.0]})
    out = score(EchoModel(), spec, frame).sort_values("TOTAL", ignore_index=True)
    assert out["TOTAL"].tolist() == [2.0, 4.0, 4.0] and list(out.columns) == ["STORE", "TOTAL"]
