"""A schedule as Snowflake reads it: five cron fields in their ranges (with *, lists, ranges, steps and
L where allowed) and a time zone; the words a summary uses; the script split into the statements sent;
the release a procedure installs; and every reason a schedule cannot be made, said before the yes."""

from __future__ import annotations

import pytest

from snowbatch.core.checks_schedule import check_schedule, pick_release
from snowbatch.core.errors import InvalidRequest
from snowbatch.core.names import ObjectName
from snowbatch.core.schedule import ScheduleFacts, check_cron, parse_schedule, script_statements, when

JOB = ObjectName.parse("ML.PUBLIC.CHURN_NIGHTLY")
ONLY_NEW = {"key": "CUSTOMER_ID", "against": "ML.PUBLIC.CHURN_SCORES"}
CHANNEL = {
    "2.6.0": ["3.11", "3.12"],
    "2.7.0": ["3.12"],
    "2.5.1": ["3.11"],
    "1.20.0": ["3.10"],
    "1.28.0": ["3.11"],
}


@pytest.mark.parametrize(
    ("cron", "normal"),
    [
        ("0 2 * * *", "0 2 * * *"),
        ("*/15  *  *  * mon-fri", "*/15 * * * MON-FRI"),
        ("0 0 L * *", "0 0 L * *"),
        ("0 3 * * 5L", "0 3 * * 5L"),
        ("30 1 1,15 JAN-JUL *", "30 1 1,15 JAN-JUL *"),
        ("0 4/3 * 4/3 0", "0 4/3 * 4/3 0"),
    ],
)
def test_a_cron_snowflake_takes_is_accepted_and_written_one_way(cron: str, normal: str) -> None:
    assert check_cron(cron) == normal


@pytest.mark.parametrize(
    ("cron", "says"),
    [
        ("0 2 * *", "has 4 fields, not 5"),
        ("60 2 * * *", "minute '60' is not in 0-59"),
        ("0 24 * * *", "hour '24' is not in 0-23"),
        ("0 2 0 * *", "day of month '0' is not in 1-31"),
        ("0 2 * 13 *", "month '13' is not in 1-12"),
        ("0 2 * * 7", "day of week '7' is not in 0-6"),
        ("0 L * * *", "hour 'L' is not a value"),
        ("0 5-2 * * *", "range '5-2' runs backwards"),
        ("0 2 * JAN-XYZ *", "month 'XYZ'"),
        ("*/0 * * * *", "step /0 is out of range"),
        ("0 2 ? * *", "day of month '?' is not a value"),
    ],
)
def test_a_cron_it_would_refuse_is_refused_naming_the_field(cron: str, says: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_cron(cron)
    assert says in caught.value.problem and "'0 2 * * * UTC'" in caught.value.next_step


def test_a_schedule_is_the_cron_then_its_zone_as_snowflakes_schedule_clause_writes_it() -> None:
    assert parse_schedule("0 2 * * *") == ("0 2 * * *", "UTC")
    assert parse_schedule("using cron 0 2 * * * America/New_York") == ("0 2 * * *", "America/New_York")
    with pytest.raises(InvalidRequest):
        parse_schedule("nightly")


def test_common_schedules_are_said_in_words_the_rest_as_written() -> None:
    assert when("0 2 * * *", "UTC") == "every day at 02:00 UTC (cron '0 2 * * *')"
    assert (
        when("30 6 * * MON-FRI", "Europe/Paris")
        == "on days MON-FRI at 06:30 Europe/Paris (cron '30 6 * * MON-FRI')"
    )
    assert when("0 0 L * *", "UTC") == "on cron '0 0 L * *' in UTC"


def test_a_script_is_split_where_each_statement_ends_never_inside_a_dollar_body() -> None:
    script = (
        "-- what this does\n"
        "CREATE PROCEDURE P()\n  AS\n$$\nx = 1;\ny = ';'\n$$;\n\n"
        "-- the task\nCREATE TASK T\n  AS\n    CALL P();\n"
        "ALTER TASK T RESUME"
    )
    assert script_statements(script) == [
        "CREATE PROCEDURE P()\n  AS\n$$\nx = 1;\ny = ';'\n$$",
        "CREATE TASK T\n  AS\n    CALL P()",
        "ALTER TASK T RESUME",
    ]


def test_the_release_asked_for_is_used_only_if_the_channel_has_it() -> None:
    assert pick_release("2.5.1", CHANNEL)[0] == "2.5.1"
    missing, why = pick_release("2.3.0", CHANNEL)
    assert missing is None and why.endswith("(newest there: 2.6.0, 2.5.1, 1.28.0)")


def test_with_none_asked_the_newest_release_snowbatch_writes_code_for_is_chosen() -> None:
    assert pick_release(None, CHANNEL)[0] == "2.6.0"  # 2.7.0 is newer than snowbatch knows; 1.20 too old
    assert pick_release(None, {"1.20.0": []})[0] is None


def test_the_local_backend_targets_the_release_asked_else_the_one_installed() -> None:
    assert pick_release(None, None, "2.6.0")[0] == "2.6.0"
    assert pick_release("1.28.0", None, "2.6.0")[0] == "1.28.0"


def facts(**changes: object) -> ScheduleFacts:
    return ScheduleFacts(**{"warehouse": "ML_WH", "time_zone_known": True, "ml_versions": CHANNEL, **changes})


def test_a_schedule_that_can_be_made_names_its_task_procedure_release_and_runtime() -> None:
    checks, run = check_schedule("0 2 * * *", facts(), ONLY_NEW, JOB, None)
    assert [c.status for c in checks] == ["pass"] and run is not None
    assert (run.task, run.procedure) == ("ML.PUBLIC.CHURN_NIGHTLY", "ML.PUBLIC.CHURN_NIGHTLY_RUN")
    assert (run.snowml_version, run.python_runtime, run.warehouse) == ("2.6.0", "3.12", "ML_WH")
    assert run.results_table == "ML.PUBLIC.CHURN_SCORES"


@pytest.mark.parametrize(
    ("only_new", "found", "says"),
    [
        (None, {}, "A schedule needs only_new"),
        (ONLY_NEW, {"task_exists": True}, "A task ML.PUBLIC.CHURN_NIGHTLY already exists."),
        (ONLY_NEW, {"procedure_exists": True}, "A procedure ML.PUBLIC.CHURN_NIGHTLY_RUN already exists."),
        (ONLY_NEW, {"warehouse": None}, "The task needs a warehouse"),
        (ONLY_NEW, {"time_zone_known": False}, "is not an IANA name"),
        (ONLY_NEW, {"ml_versions": {}}, "no snowflake-ml-python release from 1.28 to 2.6"),
        (ONLY_NEW, {"error": "SHOW TASKS: insufficient privileges."}, "insufficient privileges"),
    ],
)
def test_every_reason_a_schedule_cannot_be_made_fails_its_check_with_a_fix(
    only_new: dict[str, str] | None, found: dict[str, object], says: str
) -> None:
    checks, run = check_schedule("0 2 * * *", facts(**found), only_new, JOB, None)
    (check,) = checks
    assert run is None and check.status == "fail" and says in check.message and check.fix
