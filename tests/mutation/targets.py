"""What the mutation run mutates (the code that guards money and data) and the tests that cover each.

A target is a module, the functions in it that are mutated (qualified names; None: the whole module) and
the test files run against each of its mutants, the fastest and most specific first (pytest stops at
the first failure). The local job modules' tests start real job processes: their mutants cost the most.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    concern: str
    module: str  # path from the repository root
    functions: frozenset[str] | None
    tests: tuple[str, ...]


def target(concern: str, module: str, functions: list[str] | None, tests: list[str]) -> Target:
    return Target(
        concern,
        f"server/snowbatch/{module}",
        frozenset(functions) if functions is not None else None,
        tuple(tests),
    )


TOKEN_TESTS = [
    "tests/unit/test_checkpoints.py",
    "tests/unit/test_spec_tokens.py",
    "tests/hardening/test_spec_approval.py",
]
GATE_TESTS = [
    *TOKEN_TESTS,
    "tests/integration/test_approval.py",
    "tests/integration/test_gated_validation.py",
]
NAME_TESTS = [
    "tests/unit/test_names.py",
    "tests/unit/test_spec_names.py",
    "tests/hardening/test_identifiers.py",
]
OUTPUT_TESTS = [
    "tests/unit/test_output_state.py",
    "tests/hardening/test_spec_output.py",
]
SECRET_TESTS = [
    "tests/unit/test_spec_scrub.py",
    "tests/unit/test_snowflake_session.py",
    "tests/hardening/test_spec_secrets.py",
    "tests/hardening/test_secrets.py",
]
LISTING_TESTS = [
    "tests/unit/test_joblist.py",
    "tests/unit/test_joblist_edges.py",
    "tests/hardening/test_spec_snowflake_jobs.py",
    "tests/integration/test_job_control_snowflake.py",
]
STOP_TESTS = ["tests/hardening/test_spec_stop_group.py", "tests/hardening/test_spec_job_stop.py"]
# the local jobs' cancel, status and listing through the tools, and a cancel whose runner is frozen
LOCAL_JOB_TESTS = [
    "tests/hardening/test_spec_local_cancel.py",
    "tests/integration/test_job_control.py",
    "tests/hardening/test_cancel_frozen_runner.py",
]

TARGETS: list[Target] = [
    # --- the approval gate and its tokens ---------------------------------------------------------
    target("gate and tokens", "core/checkpoints.py", None, TOKEN_TESTS),
    target("gate and tokens", "tools/gate.py", ["gated", "_ask", "_decide"], GATE_TESTS),
    target(
        "gate and tokens",
        "tools/pools.py",
        ["register.describe_create", "register.create_compute_pool"],
        ["tests/hardening/test_spec_approval.py", "tests/integration/test_gated_validation.py"],
    ),
    # --- names and SQL literals -------------------------------------------------------------------
    target(
        "names and SQL literals",
        "core/names.py",
        [
            "Identifier.__post_init__",
            "Identifier.parse",
            "Identifier.sql",
            "_split_parts",
            "ObjectName.parse",
            "ObjectName.is_plain",
            "ObjectName.plain_sql",
            "_clean_path",
            "StageLocation.parse",
            "StageLocation.sql",
            "sql_string",
            "qualify",
        ],
        NAME_TESTS,
    ),
    # --- preflight --------------------------------------------------------------------------------
    target(
        "preflight",
        "core/preflight.py",
        ["resolve_job_name", "run_preflight"],
        ["tests/unit/test_preflight.py", "tests/unit/test_spec_preflight.py"],
    ),
    # --- output verification and _SUCCESS ---------------------------------------------------------
    target(
        "output and _SUCCESS",
        "core/output.py",
        ["occupants", "_inner", "result_parts", "assess_output", "advise_for_job"],
        OUTPUT_TESTS,
    ),
    target(
        "output and _SUCCESS",
        "backends/local/output.py",
        ["LocalOutput._parquet_files", "LocalOutput.inspect", "LocalOutput.save"],
        OUTPUT_TESTS,
    ),
    target(
        "output and _SUCCESS",
        "backends/snowflake/output.py",
        ["Output._listing", "Output._result_files", "Output.inspect_output"],
        OUTPUT_TESTS,
    ),
    target("output and _SUCCESS", "tools/output.py", ["_require_complete"], OUTPUT_TESTS),
    # --- secret scrubbing ---------------------------------------------------------------------------
    target(
        "secret scrubbing",
        "backends/snowflake/config.py",
        [
            "ConnectionConfig.secrets",
            "ConnectionConfig.redacted",
            "resolve_connection",
            "_all_secrets",
            "scrub",
        ],
        SECRET_TESTS,
    ),
    target(
        "secret scrubbing",
        "backends/snowflake/session.py",
        ["SessionProvider.secrets", "SessionProvider._create", "SessionProvider.run"],
        SECRET_TESTS,
    ),
    target("secret scrubbing", "backends/snowflake/errors.py", ["translate"], SECRET_TESTS),
    # --- job state, cancel, listing -----------------------------------------------------------------
    target(
        "job cancel and state",
        "backends/local/jobstate.py",
        ["JobFiles.transition", "JobFiles._update", "JobFiles.update_state"],
        ["tests/unit/test_job_state.py", "tests/unit/test_job_state_edges.py", *STOP_TESTS],
    ),
    target(
        "job cancel and state",
        "backends/snowflake/jobs.py",
        ["job_status", "Jobs.cancel_job"],
        ["tests/hardening/test_spec_snowflake_jobs.py", "tests/integration/test_job_control_snowflake.py"],
    ),
    target("job listing", "core/joblist.py", None, LISTING_TESTS),
    target("job listing", "backends/snowflake/joblist.py", ["JobLister.entries"], LISTING_TESTS),
    # The local job processes: the runner, cancel and the process group it stops.
    target(
        "job cancel and state",
        "backends/local/processes.py",
        ["group_alive", "stop_group", "signal_group"],
        [*STOP_TESTS, *LOCAL_JOB_TESTS],
    ),
    target(
        "job cancel and state",
        "backends/local/runner.py",
        ["_score_in_pool", "_score_in_process", "run"],
        ["tests/hardening/test_spec_runner.py", *STOP_TESTS, "tests/hardening/test_spec_output.py"],
    ),
    target(
        "job cancel and state",
        "backends/local/jobs.py",
        ["LocalJobs.cancel", "LocalJobs._discard_unfinished", "LocalJobs.list_jobs"],
        [*LOCAL_JOB_TESTS, *STOP_TESTS, *LISTING_TESTS],
    ),
]
