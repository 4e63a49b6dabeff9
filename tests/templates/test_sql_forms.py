"""The SQL templates (sql_model_function, dbt_model, dynamic_table and the stage/pool statements) write SQL
that Snowflake's grammar accepts for any name a person may have: plain, and quoted lower-case, mixed-case
or spaced names stay exactly what they are. A scalar model function returns an OBJECT of all outputs;
`outputs` turns chosen outputs into typed columns by their exact (case-sensitive) names, calling the model
once, in a form that also evaluates on a DuckDB STRUCT. `limit` limits the rows the model sees.

Parsing uses sqlglot's snowflake dialect; a round trip is generated with normalize_functions=False,
which keeps a quoted method name's case (docs/research/sql-forms.md §6)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from snowbatch.core.errors import InvalidRequest, SnowbatchError
from snowbatch.core.names import Identifier
from snowbatch.templates import list_templates, render

RELEASE = "2.6.0"
ENGINE_TEXT = re.compile(r"jinja|undefined|dict object|has no attribute|traceback|pydantic", re.I)

# The same request in four spellings of every name: plain, and quoted lower-case, mixed-case, spaced.
NAMES: dict[str, dict[str, Any]] = {
    "plain": {
        "model": "ML.PUBLIC.CHURN",
        "version": "V1",
        "function_name": "predict_proba",
        "input_table": "ML.PUBLIC.CUSTOMERS",
        "columns": ["TENURE", "SPEND"],
        "output_column": "PREDICTION",
        "as": "CHURN_PROBABILITY",
        "dynamic_table": "ML.PUBLIC.CHURN_SCORES",
        "partition_column": "STORE_ID",
    },
    "lower-case quoted": {
        "model": 'ML.PUBLIC."my_model"',
        "version": '"v1"',
        "function_name": '"predict_proba"',
        "input_table": 'ML."my_schema"."customers"',
        "columns": ['"tenure"', '"spend"'],
        "output_column": '"prediction"',
        "as": '"churn_probability"',
        "dynamic_table": 'ML.PUBLIC."churn_scores"',
        "partition_column": '"store_id"',
    },
    "mixed-case quoted": {
        "model": 'ML.PUBLIC."MyModel"',
        "version": '"Version1"',
        "function_name": '"predictProba"',
        "input_table": 'ML.PUBLIC."Customers"',
        "columns": ['"Tenure"', '"MonthlySpend"'],
        "output_column": '"Prediction"',
        "as": '"ChurnProbability"',
        "dynamic_table": 'ML.PUBLIC."ChurnScores"',
        "partition_column": '"StoreId"',
    },
    "spaced": {
        "model": 'ML.PUBLIC."my model"',
        "version": '"v 1"',
        "function_name": '"predict proba"',
        "input_table": 'ML."my schema"."customer table"',
        "columns": ['"tenure months"', '"monthly spend"'],
        "output_column": '"my prediction"',
        "as": '"churn probability"',
        "dynamic_table": 'ML.PUBLIC."churn scores"',
        "partition_column": '"store id"',
    },
}
OUTPUT = "output_feature_1"


def request(template: str, names: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The parameters of `template` for one spelling of the names."""
    params = {k: names[k] for k in ("model", "version", "function_name", "columns", "output_column")}
    if template == "dbt_model":
        params["dbt_ref"] = "stg_customers"
    else:
        params["input_table"] = names["input_table"]
    if template == "dynamic_table":
        params |= {"dynamic_table": names["dynamic_table"], "refresh_warehouse": "ML_WH"}
    return params | extra


def outputs(names: dict[str, Any], kind: str = "DOUBLE") -> list[dict[str, str]]:
    return [{"name": OUTPUT, "type": kind, "as": names["as"]}]


def parsed(template: str, code: str) -> list[exp.Expression]:
    """The rendered SQL as sqlglot's snowflake dialect reads it (dbt's own Jinja replaced by a table)."""
    if template == "dbt_model":
        code = re.sub(r"^\{\{ config\(.*\) \}\}$", "", code, flags=re.MULTILINE)
        code = code.replace("{{ ref('stg_customers') }}", "ML.PUBLIC.STG_CUSTOMERS")
    statements = [s for s in sqlglot.parse(code, read="snowflake") if s is not None]
    assert statements, code
    return statements


def round_trip(statement: exp.Expression) -> exp.Expression:
    """Generated back as snowflake SQL, parsed again and generated again: the same SQL text (sqlglot
    moves or drops comments, so they are left out)."""
    text = statement.sql(dialect="snowflake", normalize_functions=False, comments=False)
    again = sqlglot.parse_one(text, read="snowflake")
    assert again.sql(dialect="snowflake", normalize_functions=False, comments=False) == text
    return again


def identifiers(tree: exp.Expression) -> set[tuple[str, bool]]:
    return {(i.this, bool(i.quoted)) for i in tree.find_all(exp.Identifier)}


def as_written(text: str) -> tuple[str, bool]:
    """A name's exact stored form, and whether SQL must quote it to mean that name."""
    return Identifier.parse(text).name, text.startswith('"')


def assert_the_call_keeps_its_names(tree: exp.Expression, names: dict[str, Any]) -> None:
    """The MODEL(...)!METHOD(...) node names the model, version, method and columns exactly as given."""
    call = tree.find(exp.ModelAttribute)
    assert call is not None
    model, version = call.this.expressions
    assert isinstance(model, exp.Dot) and isinstance(model.expression, exp.Identifier)
    model_name = model.expression
    assert (model_name.this, bool(model_name.quoted)) == as_written(names["model"].split(".", 2)[2])
    assert (version.this, bool(version.quoted)) == as_written(names["version"])
    method = call.expression.this if isinstance(call.expression, exp.Window) else call.expression
    name, quoted = as_written(names["function_name"])
    if quoted:
        assert isinstance(method.this, exp.Identifier)
        assert (method.this.this, method.this.quoted) == (name, True)
    else:
        assert method.this == name
    arguments = [(c.this.this, bool(c.this.quoted)) for c in method.expressions]
    assert arguments == [as_written(c) for c in names["columns"]]


def code_of(template: str, params: dict[str, Any]) -> str:
    return render(template, params, RELEASE).code


# -- every SQL template parses, and keeps every name -----------------------------------------------

SQL_FORMS = [
    pytest.param(template, spelling, extra, id=f"{template}[{spelling}]{label}")
    for spelling in NAMES
    for template, label, extra in [
        ("sql_model_function", "", {}),
        ("sql_model_function", " outputs", {"outputs": True}),
        ("sql_model_function", " outputs+limit", {"outputs": True, "limit": 10}),
        ("sql_model_function", " single_value", {"outputs": True, "single_value": True}),
        ("sql_model_function", " table_function", {"table_function": True}),
        ("sql_model_function", " table_function+outputs", {"table_function": True, "outputs": True}),
        ("sql_model_function", " partitioned+outputs", {"table_function": True, "outputs": True, "by": 1}),
        ("dbt_model", "", {}),
        ("dbt_model", " outputs", {"outputs": True}),
        ("dbt_model", " single_value", {"outputs": True, "single_value": True}),
        ("dynamic_table", "", {}),
        ("dynamic_table", " outputs", {"outputs": True}),
        ("dynamic_table", " single_value", {"outputs": True, "single_value": True}),
    ]
]


@pytest.mark.parametrize(("template", "spelling", "extra"), SQL_FORMS)
def test_the_model_call_parses_as_snowflake_sql_and_keeps_every_name(
    template: str, spelling: str, extra: dict[str, Any]
) -> None:
    names = NAMES[spelling]
    options = {k: v for k, v in extra.items() if k not in ("outputs", "by")}
    if extra.get("outputs"):
        options["outputs"] = outputs(names)
    if extra.get("by"):
        options["partition_column"] = names["partition_column"]
    (statement,) = parsed(template, code_of(template, request(template, names, **options)))
    tree = round_trip(statement)
    assert_the_call_keeps_its_names(tree, names)
    found = identifiers(tree)
    table = names["input_table"] if template != "dbt_model" else "ML.PUBLIC.STG_CUSTOMERS"
    assert as_written(table.split(".", 2)[2]) in found
    if template == "dynamic_table":
        assert isinstance(tree, exp.Create)
        assert as_written(names["dynamic_table"].split(".", 2)[2]) in found
    if options.get("outputs"):
        assert as_written(names["as"]) in found  # the typed column's name
    if not options.get("table_function") and not options.get("single_value"):
        assert as_written(names["output_column"]) in found  # the OBJECT column
    if options.get("partition_column"):
        window = tree.find(exp.Window)
        assert window is not None
        (by,) = window.args["partition_by"]
        assert (by.this.this, bool(by.this.quoted)) == as_written(names["partition_column"])


@pytest.mark.parametrize(
    ("template", "params"),
    [
        ("create_stage", {"stage": "ML.PUBLIC.BATCH_OUT"}),
        ("create_stage", {"stage": 'ML.PUBLIC."my stage"', "directory_table": True, "comment": "it's"}),
        ("create_stage", {"stage": 'ML."Batch"."MixedStage"'}),
        ("create_compute_pool", {"pool": "cpu_pool", "instance_family": "CPU_X64_S", "comment": "it's"}),
        ("resume_compute_pool", {"pool": "CPU_POOL"}),
    ],
)
def test_the_stage_and_pool_statements_parse_as_snowflake_sql(template: str, params: dict[str, Any]) -> None:
    # sqlglot has no grammar for compute pools: those statements parse as generic commands
    statements = parsed(template, code_of(template, params))
    for statement in statements:
        round_trip(statement)
    if template == "create_stage":
        (create,) = statements
        assert as_written(params["stage"].split(".", 2)[2]) in identifiers(create)


def test_the_sql_templates_are_all_covered_here() -> None:
    sql = {t.name for t in list_templates() if t.language == "sql"}
    assert sql == {
        "sql_model_function",
        "dbt_model",
        "dynamic_table",
        "create_stage",
        "create_compute_pool",
        "resume_compute_pool",
        "scheduled_job",  # these two: test_scheduled_job.py
        "warehouse_task",
    }


def test_without_outputs_the_column_is_said_to_be_an_object_of_all_outputs() -> None:
    for template in ("sql_model_function", "dbt_model", "dynamic_table"):
        code = code_of(template, request(template, NAMES["plain"]))
        assert "PREDICTION is an OBJECT of all the model's outputs, not one value" in code
        assert "outputs for typed columns" in code


# -- outputs: the exact key, the signature's type ---------------------------------------------------


def extracted(code: str, template: str = "sql_model_function") -> list[tuple[str, str, str]]:
    """(key, cast type, result column) of each field read from the OBJECT column."""
    (tree,) = parsed(template, code)
    found = []
    for cast in tree.find_all(exp.Cast):
        if isinstance(cast.this, exp.Bracket):
            (key,) = cast.this.expressions
            assert key.is_string
            alias = cast.parent
            assert isinstance(alias, exp.Alias)
            found.append((key.this, cast.to.sql(dialect="snowflake"), alias.alias))
    return found


@pytest.mark.parametrize(
    ("signature_type", "cast"),
    [
        ("DOUBLE", "DOUBLE"),
        ("FLOAT", "DOUBLE"),
        ("float", "DOUBLE"),
        ("INT64", "BIGINT"),
        ("INT32", "INT"),  # sqlglot prints INTEGER as INT
        ("INT16", "SMALLINT"),
        ("INT8", "TINYINT"),
        ("UINT8", "SMALLINT"),
        ("UINT16", "INT"),
        ("UINT32", "BIGINT"),
        ("UINT64", "BIGINT"),
        ("STRING", "VARCHAR"),
        ("BOOL", "BOOLEAN"),
    ],
)
def test_a_field_is_read_by_its_exact_name_and_cast_to_its_signature_type(
    signature_type: str, cast: str
) -> None:
    params = request("sql_model_function", NAMES["plain"], outputs=outputs(NAMES["plain"], signature_type))
    code = code_of("sql_model_function", params)
    assert f"PREDICTION['{OUTPUT}']::" in code and "OUTPUT_FEATURE_1'" not in code
    assert extracted(code) == [(OUTPUT, cast, "CHURN_PROBABILITY")]
    assert "FLOAT" not in code.upper()


def test_the_model_is_called_once_and_every_field_read_from_that_call() -> None:
    fields = [
        {"name": "output_feature_0", "type": "DOUBLE"},
        {"name": "output_feature_1", "type": "FLOAT", "as": '"p churn"'},
        {"name": "Label Name", "type": "STRING"},
        {"name": "it's", "type": "INT64", "as": "QUOTE_KEY"},
    ]
    code = code_of("sql_model_function", request("sql_model_function", NAMES["plain"], outputs=fields))
    assert code.count("MODEL(") == 1
    assert extracted(code) == [
        ("output_feature_0", "DOUBLE", "OUTPUT_FEATURE_0"),  # a plain name is upper-cased, as SQL would
        ("output_feature_1", "DOUBLE", "p churn"),
        ("Label Name", "VARCHAR", "Label Name"),  # any other name is kept exactly, quoted
        ("it's", "BIGINT", "QUOTE_KEY"),
    ]
    assert "['it''s']" in code  # a quote in a key is escaped in the literal
    (tree,) = parsed("sql_model_function", code)
    star = tree.expressions[0]
    assert isinstance(star, exp.Star) and [c.name for c in star.args["except_"]] == ["PREDICTION"]


def test_a_single_value_function_is_cast_directly() -> None:
    params = request(
        "sql_model_function",
        NAMES["plain"],
        outputs=[{"name": "output_feature_0", "type": "INT64", "as": "LABEL"}],
        single_value=True,
    )
    code = code_of("sql_model_function", params)
    assert "!PREDICT_PROBA(src.TENURE, src.SPEND)::BIGINT AS LABEL" in code
    (tree,) = parsed("sql_model_function", code)
    assert not list(tree.find_all(exp.Bracket)) and tree.find(exp.Subquery) is None
    (cast,) = tree.find_all(exp.Cast)
    assert isinstance(cast.this, exp.ModelAttribute) and cast.to.sql() == "BIGINT"


def test_a_table_function_output_is_its_upper_case_column() -> None:
    params = request(
        "sql_model_function",
        NAMES["spaced"],
        table_function=True,
        partition_column='"store id"',
        outputs=[{"name": "output_feature_0", "type": "DOUBLE"}, {"name": "my forecast", "type": "FLOAT"}],
    )
    code = code_of("sql_model_function", params)
    assert "result.OUTPUT_FEATURE_0::DOUBLE AS OUTPUT_FEATURE_0" in code
    assert 'result."MY FORECAST"::DOUBLE AS "my forecast"' in code
    assert 'OVER (PARTITION BY src."store id")) AS result' in code
    assert "result.*" not in code
    code = code_of("sql_model_function", request("sql_model_function", NAMES["plain"], table_function=True))
    assert "result.*" in code


# -- the form evaluates on a STRUCT (DuckDB) --------------------------------------------------------

STRUCT = "STRUCT(output_feature_0 DOUBLE, output_feature_1 DOUBLE, label VARCHAR, n BIGINT, flag BOOLEAN)"


def on_duckdb(code: str, function: str = "score") -> str:
    """The rendered SELECT with MODEL(...)!FN(args) replaced by function(args), as snowflake SQL."""
    (tree,) = parsed("sql_model_function", code)
    for call in list(tree.find_all(exp.ModelAttribute)):
        arguments = [a.copy() for a in call.expression.expressions]
        call.replace(exp.Anonymous(this=function, expressions=arguments))
    assert tree.find(exp.ModelAttribute) is None
    return tree.sql(dialect="snowflake", normalize_functions=False)


@pytest.fixture
def duck() -> Iterator[tuple[duckdb.DuckDBPyConnection, list[float]]]:
    """A DuckDB holding the input tables of the plain and spaced spellings, and a model stand-in that
    records the rows it scores and returns an OBJECT-like STRUCT."""
    connection = duckdb.connect()
    connection.execute("ATTACH ':memory:' AS ML")
    connection.execute('CREATE SCHEMA ML.PUBLIC; CREATE SCHEMA ML."my schema"')
    for table, columns in [
        ("ML.PUBLIC.CUSTOMERS", "TENURE DOUBLE, SPEND DOUBLE"),
        ('ML."my schema"."customer table"', '"tenure months" DOUBLE, "monthly spend" DOUBLE'),
    ]:
        connection.execute(f"CREATE TABLE {table} ({columns})")
        connection.execute(f"INSERT INTO {table} VALUES (1, 10), (2, 20), (3, 30), (4, 40), (5, 50)")
    scored: list[float] = []

    def score(tenure: float, spend: float) -> dict[str, Any]:
        scored.append(tenure)
        return {
            "output_feature_0": 1 - tenure / 10,
            "output_feature_1": tenure / 10,
            "label": f"t{int(tenure)}",
            "n": int(spend),
            "flag": tenure > 2,
        }

    connection.create_function("score", score, ["DOUBLE", "DOUBLE"], STRUCT, side_effects=True)
    connection.create_function(
        "score_one", lambda t, s: t / 10, ["DOUBLE", "DOUBLE"], "DOUBLE", side_effects=True
    )
    yield connection, scored
    connection.close()


@pytest.mark.parametrize("spelling", ["plain", "spaced"])
def test_the_typed_columns_evaluate_on_a_struct(duck: Any, spelling: str) -> None:
    connection, scored = duck
    names = NAMES[spelling]
    fields = [
        {"name": "output_feature_1", "type": "DOUBLE", "as": names["as"]},
        {"name": "output_feature_0", "type": "FLOAT"},
        {"name": "label", "type": "STRING"},
        {"name": "n", "type": "INT32"},
        {"name": "flag", "type": "BOOL"},
    ]
    code = code_of("sql_model_function", request("sql_model_function", names, outputs=fields))
    result = connection.execute(on_duckdb(code) + " ORDER BY 1")
    columns = [(d[0], str(d[1])) for d in result.description]
    rows = result.fetchall()
    tenure, spend = (Identifier.parse(c).name for c in names["columns"])
    assert columns == [
        (tenure, "DOUBLE"),
        (spend, "DOUBLE"),
        (Identifier.parse(names["as"]).name, "DOUBLE"),
        ("OUTPUT_FEATURE_0", "DOUBLE"),
        ("LABEL", "VARCHAR"),
        ("N", "INTEGER"),
        ("FLAG", "BOOLEAN"),
    ]
    assert rows[0] == (1.0, 10.0, 0.1, 0.9, "t1", 10, False)
    assert rows[4] == (5.0, 50.0, 0.5, 0.5, "t5", 50, True)
    assert sorted(scored) == [1.0, 2.0, 3.0, 4.0, 5.0]  # once per row


def test_a_single_value_evaluates_as_a_typed_column(duck: Any) -> None:
    connection, _ = duck
    params = request(
        "sql_model_function",
        NAMES["plain"],
        outputs=[{"name": "output_feature_0", "type": "DOUBLE", "as": "P"}],
        single_value=True,
    )
    result = connection.execute(on_duckdb(code_of("sql_model_function", params), "score_one") + " ORDER BY 1")
    assert [d[0] for d in result.description] == ["TENURE", "SPEND", "P"]
    assert [r[2] for r in result.fetchall()] == [0.1, 0.2, 0.3, 0.4, 0.5]


# -- limit: the model never sees more rows -----------------------------------------------------------


def test_limit_limits_the_input_rows_before_the_model_runs(duck: Any) -> None:
    connection, scored = duck
    for extra in ({}, {"outputs": outputs(NAMES["plain"])}):
        params = request("sql_model_function", NAMES["plain"], limit=2, **extra)
        code = code_of("sql_model_function", params)
        assert "FROM (SELECT * FROM ML.PUBLIC.CUSTOMERS LIMIT 2) AS src" in code
        (tree,) = parsed("sql_model_function", code)
        (limit,) = tree.find_all(exp.Limit)
        limited = limit.parent
        assert isinstance(limited, exp.Select) and limited.find(exp.ModelAttribute) is None
        assert limited.find(exp.Table).name == "CUSTOMERS"
        assert tree.args.get("limit") is None  # nothing is cut after scoring
        scored.clear()
        rows = connection.execute(on_duckdb(code)).fetchall()
        assert len(rows) == 2 and len(scored) == 2


# -- bad outputs are refused in our words, with a next step ----------------------------------------


def refusal(template: str, params: dict[str, Any]) -> InvalidRequest:
    with pytest.raises(SnowbatchError) as caught:
        render(template, params, RELEASE)
    error = caught.value
    assert isinstance(error, InvalidRequest), error
    assert error.problem and error.next_step
    assert not ENGINE_TEXT.search(str(error)), str(error)
    return error


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ([{"name": "output_feature_1", "type": "DECIMAL"}], "type 'DECIMAL'"),
        ([{"name": "output_feature_1"}], "no type"),
        ([{"type": "DOUBLE"}], "needs a name"),
        ([{"name": "", "type": "DOUBLE"}], "needs a name"),
        ([{"name": "a", "type": "DOUBLE", "alias": "X"}], "unknown keys ['alias']"),
        ([{"name": "a", "type": "DOUBLE", "as": 'bad"name'}], 'result column name ("as")'),
        ([{"name": "a", "type": "DOUBLE", "as": 7}], 'result column name ("as")'),
        (["output_feature_1"], "output 1 is not an object"),
        ([], "non-empty list"),
        ({"name": "a", "type": "DOUBLE"}, "non-empty list"),
        (
            [{"name": "output_feature_1", "type": "DOUBLE"}, {"name": "OUTPUT_FEATURE_1", "type": "STRING"}],
            "two outputs give the result column OUTPUT_FEATURE_1",
        ),
        (
            [{"name": "a", "type": "DOUBLE", "as": "P"}, {"name": "b", "type": "DOUBLE", "as": "p"}],
            "two outputs give the result column P",
        ),
    ],
)
@pytest.mark.parametrize("template", ["sql_model_function", "dbt_model", "dynamic_table"])
def test_bad_outputs_are_refused_saying_what_to_give(template: str, bad: Any, said: str) -> None:
    error = refusal(template, request(template, NAMES["plain"], outputs=bad))
    assert error.problem.startswith(f"Parameter outputs of template {template} is not valid: ")
    assert said in error.problem
    assert error.next_step.startswith("Give outputs as ") and '"name"' in error.next_step


def test_an_unknown_type_lists_the_accepted_types() -> None:
    error = refusal(
        "sql_model_function",
        request("sql_model_function", NAMES["plain"], outputs=[{"name": "a", "type": "FLOAT32"}]),
    )
    for kind in ("DOUBLE", "FLOAT", "INT64", "INT8", "UINT64", "STRING", "BOOL"):
        assert kind in error.problem


@pytest.mark.parametrize("template", ["sql_model_function", "dbt_model", "dynamic_table"])
def test_single_value_needs_exactly_one_output(template: str) -> None:
    two = [{"name": "output_feature_0", "type": "DOUBLE"}, {"name": "output_feature_1", "type": "DOUBLE"}]
    error = refusal(template, request(template, NAMES["plain"], outputs=two, single_value=True))
    assert "outputs has 2 entries" in error.problem and "exactly one entry" in error.next_step
    error = refusal(template, request(template, NAMES["plain"], single_value=True))
    assert "single_value needs outputs" in error.problem and "Add outputs" in error.next_step


def test_single_value_is_for_scalar_functions() -> None:
    params = request(
        "sql_model_function",
        NAMES["plain"],
        table_function=True,
        single_value=True,
        outputs=outputs(NAMES["plain"]),
    )
    error = refusal("sql_model_function", params)
    assert "single_value applies to scalar functions" in error.problem
    assert "Leave single_value out" in error.next_step


def test_the_new_parameters_are_documented_for_every_sql_scoring_template() -> None:
    infos = {t.name: {p.name: p for p in t.parameters} for t in list_templates()}
    for template in ("sql_model_function", "dbt_model", "dynamic_table"):
        params = infos[template]
        assert params["outputs"].type == "output_fields" and not params["outputs"].required
        assert params["single_value"].type == "boolean" and params["single_value"].default is False
    assert "before the model runs" in infos["sql_model_function"]["limit"].description
