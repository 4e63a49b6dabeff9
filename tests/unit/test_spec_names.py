"""Names and SQL literals at their edges: every input either parses to exactly the name Snowflake would
store, or is refused; every name and literal renders so that no input can change a statement's shape."""

from __future__ import annotations

import pytest

from snowbatch.core.errors import InvalidName
from snowbatch.core.names import (
    MAX_IDENTIFIER_LENGTH,
    MAX_STAGE_PATH_LENGTH,
    Identifier,
    ObjectName,
    SchemaName,
    StageLocation,
    qualify,
    sql_string,
)


# --- identifiers ----------------------------------------------------------------------------------
def test_an_identifier_may_be_as_long_as_snowflake_allows_and_no_longer() -> None:
    assert Identifier.parse("A" * MAX_IDENTIFIER_LENGTH).name == "A" * MAX_IDENTIFIER_LENGTH
    with pytest.raises(InvalidName, match="longer than"):
        Identifier.parse("A" * (MAX_IDENTIFIER_LENGTH + 1))
    with pytest.raises(InvalidName, match="empty"):
        Identifier("")


@pytest.mark.parametrize("text", ['"a\x00b"', '"tab\there"', '"bell\x07"', '"del\x7f"'])
def test_control_characters_are_refused_even_quoted(text: str) -> None:
    with pytest.raises(InvalidName, match="control characters"):
        Identifier.parse(text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("_private", "_PRIVATE"),
        ("a1$", "A1$"),
        ('""""', '"'),
        ('"a""b""c"', 'a"b"c'),
        ('"."', "."),
        ('" lead"', " lead"),
        ('"a"""', 'a"'),
    ],
)
def test_names_parse_to_what_snowflake_stores(text: str, stored: str) -> None:
    assert Identifier.parse(text).name == stored


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('"', "closing quote"),
        ('""', "empty"),
        ('"abc', "closing quote"),
        ('"a"b"', "doubled"),
        ("$a", "unquoted names"),
        ("a-b", "unquoted names"),
    ],
)
def test_malformed_names_are_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(InvalidName, match=why):
        Identifier.parse(text)


def test_a_name_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidName, match="not text"):
        Identifier.parse(42)  # type: ignore[arg-type]


def test_where_quoted_names_are_not_supported_they_are_refused() -> None:
    with pytest.raises(InvalidName, match="quoted"):
        Identifier.parse('"lower pool"', allow_quoted=False)
    assert Identifier.parse("pool", allow_quoted=False).name == "POOL"


@pytest.mark.parametrize("name", ['a"b', '"', 'x""y', "plain"])
def test_sql_form_is_always_quoted_with_inner_quotes_doubled(name: str) -> None:
    sql = Identifier(name).sql
    assert sql == '"' + name.replace('"', '""') + '"'
    assert Identifier.parse(sql).name == name  # and reads back as the same name


# --- qualified names ------------------------------------------------------------------------------
def test_one_two_and_three_parts_fill_name_schema_and_database_in_order() -> None:
    assert ObjectName.parse("t") == ObjectName(Identifier("T"))
    assert ObjectName.parse("s.t") == ObjectName(Identifier("T"), Identifier("S"))
    assert ObjectName.parse("d.s.t") == ObjectName(Identifier("T"), Identifier("S"), Identifier("D"))
    assert ObjectName.parse("d.s.t").is_qualified and not ObjectName.parse("s.t").is_qualified


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ('d."a.b".t', ["D", "a.b", "T"]),
        ('"x""y.z".t', ['x"y.z', "T"]),
        ('"a"".b"', ['a".b']),
        ('"""".t', ['"', "T"]),
    ],
)
def test_dots_and_doubled_quotes_inside_quotes_stay_in_their_part(text: str, parts: list[str]) -> None:
    assert [p.name for p in ObjectName.parse(text).parts()] == parts


@pytest.mark.parametrize("text", ["", "   ", "a..b", "a.", ".a", 'd."open.t', "a.b.c.d"])
def test_malformed_qualified_names_are_refused(text: str) -> None:
    with pytest.raises(InvalidName):
        ObjectName.parse(text)


def test_a_plain_name_renders_bare_where_quoted_names_are_refused() -> None:
    plain = ObjectName.parse("ml.public.job_1")
    assert plain.is_plain and plain.plain_sql == "ML.PUBLIC.JOB_1"
    for text in ('ml.public."job_1"', 'ml."Public".JOB', 'ML.PUBLIC."A B"'):
        name = ObjectName.parse(text)
        assert not name.is_plain
        with pytest.raises(InvalidName):
            _ = name.plain_sql


def test_schema_names_have_exactly_two_parts() -> None:
    assert SchemaName.parse('ml."My Schema"').sql == '"ML"."My Schema"'
    for text in ("ml", "a.b.c"):
        with pytest.raises(InvalidName):
            SchemaName.parse(text)


def test_unqualified_names_take_the_default_schema_and_qualified_ones_keep_theirs() -> None:
    default = SchemaName.parse("ML.PUBLIC")
    assert str(qualify(ObjectName.parse("t"), default)) == "ML.PUBLIC.T"
    assert str(qualify(ObjectName.parse("other.t"), default)) == "ML.OTHER.T"
    assert str(qualify(ObjectName.parse("db.other.t"), None)) == "DB.OTHER.T"
    assert str(qualify(StageLocation.parse("@out/x/"), default)) == "@ML.PUBLIC.OUT/x/"
    with pytest.raises(InvalidName):
        qualify(ObjectName.parse("t"), None)


# --- stage locations and literals -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "stage", "path"),
    [
        ("@ML.PUBLIC.OUT", "ML.PUBLIC.OUT", ""),
        ("@ML.PUBLIC.OUT/", "ML.PUBLIC.OUT", ""),
        ("@ML.PUBLIC.OUT//a/./b//", "ML.PUBLIC.OUT", "a/b/"),
        ("@ML.PUBLIC.OUT/a/b", "ML.PUBLIC.OUT", "a/b"),
        ('@ML.PUBLIC."a/b"/c/', 'ML.PUBLIC."a/b"', "c/"),
        ("'@ML.PUBLIC.OUT/it''s/'", "ML.PUBLIC.OUT", "it's/"),
        ("  @ML.PUBLIC.OUT/x/  ", "ML.PUBLIC.OUT", "x/"),
    ],
)
def test_stage_locations_split_into_stage_and_exact_path(text: str, stage: str, path: str) -> None:
    loc = StageLocation.parse(text)
    assert (str(loc.stage), loc.path) == (stage, path)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ML.PUBLIC.OUT/",
        "@~/x",
        "@%table/x",
        '@"~me"/x',
        '@"%t"/x',
        "@ML.PUBLIC.OUT/a/../b",
        "@ML.PUBLIC.OUT/a\x01b",
        "@ML.PUBLIC.OUT/" + "x" * (MAX_STAGE_PATH_LENGTH + 1),
    ],
)
def test_bad_stage_locations_are_refused(text: str) -> None:
    with pytest.raises(InvalidName):
        StageLocation.parse(text)


def test_a_path_as_long_as_allowed_is_kept() -> None:
    path = "x" * MAX_STAGE_PATH_LENGTH
    assert StageLocation.parse("@ML.PUBLIC.OUT/" + path).path == path


def test_a_location_is_one_quoted_literal_whatever_its_path() -> None:
    loc = StageLocation.parse("@ml.public.out/it's \\ here\\/")
    assert loc.sql == '\'@"ML"."PUBLIC"."OUT"/it\'\'s \\\\ here\\\\/\''
    assert StageLocation.parse('@ML.PUBLIC."o""ut"/x').sql == '\'@"ML"."PUBLIC"."o""ut"/x\''


def test_children_and_directories_stay_inside_the_stage() -> None:
    base = StageLocation.parse("@ML.PUBLIC.OUT/runs")
    assert base.as_directory().path == "runs/" and base.as_directory().as_directory().path == "runs/"
    assert StageLocation.parse("@ML.PUBLIC.OUT").as_directory().path == ""
    with pytest.raises(InvalidName):
        base.child("../other")


def test_string_literals_keep_newlines_and_tabs_and_refuse_other_control_characters() -> None:
    assert sql_string("a\nb\tc") == "'a\nb\tc'"
    assert sql_string("") == "''"
    assert sql_string("'\\'") == "'''\\\\'''"
    for bad in ("a\x00b", "a\rb", "a\x1bb"):
        with pytest.raises(InvalidName):
            sql_string(bad)


@pytest.mark.parametrize(("text", "what"), [("", "table"), ("   ", "job")])
def test_an_empty_name_says_which_name_is_missing(text: str, what: str) -> None:
    with pytest.raises(InvalidName, match=f"The {what} name is empty"):
        ObjectName.parse(text, what=what)
    with pytest.raises(InvalidName, match="The stage location is empty"):
        StageLocation.parse(text)
    with pytest.raises(InvalidName, match="The stage name is empty"):
        StageLocation.parse("@/x/")
