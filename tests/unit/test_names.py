"""Snowflake names: parsed once with Snowflake's rules, always rendered quoted."""

import pytest

from snowbatch.core.errors import InvalidName
from snowbatch.core.names import Identifier, ObjectName, StageLocation, sql_string


@pytest.mark.parametrize(
    ("text", "stored", "sql"),
    [
        ("my_model", "MY_MODEL", '"MY_MODEL"'),
        ('"my_model"', "my_model", '"my_model"'),
        ('"My Model"', "My Model", '"My Model"'),
        ('"a""b"', 'a"b', '"a""b"'),
        ("a$b", "A$B", '"A$B"'),
        ("  spaced  ", "SPACED", '"SPACED"'),
    ],
)
def test_identifiers_follow_snowflake_rules(text: str, stored: str, sql: str) -> None:
    ident = Identifier.parse(text)
    assert ident.name == stored
    assert ident.sql == sql


@pytest.mark.parametrize(
    "text", ["my model", "1abc", "a;drop table x", "a--b", '"unclosed', '"a"b"', "", "x" * 256]
)
def test_invalid_identifiers_are_rejected_with_a_fix(text: str) -> None:
    with pytest.raises(InvalidName) as err:
        Identifier.parse(text)
    assert err.value.next_step


def test_display_form_is_bare_only_when_that_means_the_same_name() -> None:
    assert str(Identifier.parse("churn")) == "CHURN"
    assert str(Identifier.parse('"churn"')) == '"churn"'


def test_qualified_names_split_on_unquoted_dots_only() -> None:
    name = ObjectName.parse('ml."my.schema".churn')
    assert [p.name for p in name.parts()] == ["ML", "my.schema", "CHURN"]
    assert name.sql == '"ML"."my.schema"."CHURN"'


def test_partial_names_are_qualified_from_defaults() -> None:
    name = ObjectName.parse("churn").qualified(Identifier("ML"), Identifier("PUBLIC"))
    assert str(name) == "ML.PUBLIC.CHURN"
    assert ObjectName.parse("other.churn").qualified(
        Identifier("ML"), Identifier("PUBLIC")
    ).database == Identifier("ML")


def test_unqualified_name_without_defaults_is_an_error() -> None:
    with pytest.raises(InvalidName):
        ObjectName.parse("churn").qualified(None, None)


def test_more_than_three_parts_is_an_error() -> None:
    with pytest.raises(InvalidName, match="at most three parts"):
        ObjectName.parse("a.b.c.d")


def test_stage_locations_keep_the_path_exact_and_render_as_one_literal() -> None:
    loc = StageLocation.parse("@ml.public.out/Run 1/it's/")
    assert str(loc.stage) == "ML.PUBLIC.OUT"
    assert loc.path == "Run 1/it's/"
    assert loc.sql == '\'@"ML"."PUBLIC"."OUT"/Run 1/it\'\'s/\''


def test_stage_location_children() -> None:
    base = StageLocation.parse("@ML.PUBLIC.OUT/runs")
    assert str(base.child("JOB_1/")) == "@ML.PUBLIC.OUT/runs/JOB_1/"


@pytest.mark.parametrize(
    "text", ["ML.PUBLIC.OUT/x", "@ML.PUBLIC.OUT/../secrets", "@~/x", "@ML.PUBLIC.OUT/a\x00b"]
)
def test_bad_stage_locations_are_rejected(text: str) -> None:
    with pytest.raises(InvalidName):
        StageLocation.parse(text)


def test_string_literals_escape_quotes_and_backslashes() -> None:
    assert sql_string("it's a \\ test") == "'it''s a \\\\ test'"
