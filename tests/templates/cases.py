"""Representative parameter sets for every template: each names the situation it stands for.

Two kinds: the hand-written CASES below (run_batch_chat's, the template with the most combinations, in
tests/templates/chat_cases.py), and REQUIRED_ONLY_CASES generated from every template's own parameter
docs (tests/templates/required_only.py), so optional keys left out are covered for every template. The
fast tests (tests/templates/test_rendered_code.py) render every case for every target release and check
the code compiles, passes ruff and leaks no placeholder; the wheel tests (tests/wheelcheck) check the
same code binds to each release's real API.
"""

from __future__ import annotations

from typing import Any

from snowbatch.templates import list_templates
from tests.templates.chat_cases import CHAT_CASES, OUT
from tests.templates.required_only import required_only

TARGET_RELEASES = ("1.28.0", "1.33.0", "1.38.0", "1.45.0", "1.54.0", "2.0.0", "2.6.0")

MODEL = "ML.PUBLIC.CHURN_MODEL"

# (template, case name, parameters, oldest release the case is valid for)
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("session_setup", "active session", {}, "1.28.0"),
    ("session_setup", "named connection", {"connection_name": "dev", "warehouse": "ML_WH"}, "1.28.0"),
    (
        "run_batch_tabular",
        "table, only function",
        {
            "model": MODEL,
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
        },
        "1.28.0",
    ),
    (
        "run_batch_tabular",
        "query, several functions, named job",
        {
            "connection_name": "dev",
            "warehouse": "ML_WH",
            "model": MODEL,
            "version": "V2",
            "function_name": "predict_proba",
            "input_query": "SELECT * FROM ML.PUBLIC.CUSTOMERS WHERE ACTIVE",
            "columns": ["AGE", "PLAN", '"tenure months"'],
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
            "mode": "overwrite",
            "job_name": "churn_nightly",
            "wait": False,
        },
        "1.28.0",
    ),
    (
        "run_batch_tabular",
        "inline rows with params",
        {
            "model": MODEL,
            "input_rows": [{"AGE": 41, "PLAN": "gold"}, {"AGE": 29, "PLAN": None}],
            "params": {"threshold": 0.5},
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
        },
        "1.28.0",
    ),
    (
        "run_batch_tabular",
        "partitioned model",
        {
            "model": "ML.PUBLIC.FORECAST",
            "function_name": "forecast",
            "input_table": "ML.PUBLIC.SALES",
            "partition_column": "STORE_ID",
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
        },
        "1.31.0",
    ),
    (
        "run_batch_tabular",
        "staged parquet input",
        {
            "model": MODEL,
            "input_stage_location": "@ML.PUBLIC.BATCH_IN/customers/",
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
        },
        "2.0.0",
    ),
    (
        "run_batch_scaled",
        "replicas and workers",
        {
            "model": MODEL,
            "function_name": "predict",
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
            "replicas": 4,
            "num_workers": 8,
            "max_batch_rows": 2048,
        },
        "1.28.0",
    ),
    (
        "run_batch_scaled",
        "resources on a GPU",
        {
            "model": "ML.PUBLIC.EMBEDDER",
            "function_name": "encode",
            "input_table": "ML.PUBLIC.DOCS",
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
            "replicas": 2,
            "cpu_requests": "4",
            "memory_requests": "16Gi",
            "gpu_requests": "1",
            "warehouse": "ML_WH",
            "job_name": "EMBED_DOCS",
        },
        "1.28.0",
    ),
    (
        "run_batch_scaled",
        "python_generic engine",
        {
            "model": MODEL,
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
            "replicas": 1,
            "engine": "python_generic",
        },
        "1.29.0",
    ),
    (
        "run_batch_files",
        "images from a stage folder",
        {
            "model": "ML.PUBLIC.VIT",
            "file_stage": "@ML.PUBLIC.MEDIA/images/",
            "pattern": ".*\\.jpg",
            "limit": 10,
            "file_column": "images",
            "encoding": "RAW_BYTES",
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
            "gpu_requests": "1",
        },
        "1.28.0",
    ),
    (
        "run_batch_files",
        "audio list with params",
        {
            "model": "ML.PUBLIC.WHISPER",
            "version": "V1",
            "function_name": "__call__",
            "files": ["@ML.PUBLIC.MEDIA/calls/a.mp3", "@ML.PUBLIC.MEDIA/calls/b.mp3"],
            "file_column": "audio",
            "encoding": "BASE64",
            "params": {"language": "en"},
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
            "replicas": 2,
            "job_name": "TRANSCRIBE_CALLS",
        },
        "1.28.0",
    ),
    *CHAT_CASES,
    (
        "warehouse_run_snowpark",
        "preview",
        {
            "model": MODEL,
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "function_name": "predict",
        },
        "1.28.0",
    ),
    (
        "warehouse_run_snowpark",
        "save to table, partitioned",
        {
            "connection_name": "dev",
            "model": "ML.PUBLIC.FORECAST",
            "version": "LAST",
            "input_query": "SELECT * FROM ML.PUBLIC.SALES",
            "partition_column": "STORE_ID",
            "output_table": "ML.PUBLIC.FORECASTS",
            "save_mode": "overwrite",
            "params": {"horizon": 7},
        },
        "1.28.0",
    ),
    (
        "warehouse_run_pandas",
        "sample",
        {
            "model": MODEL,
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "columns": ["AGE", "PLAN"],
            "limit": 50,
        },
        "1.28.0",
    ),
    (
        "sql_model_function",
        "scalar function",
        {
            "model": MODEL,
            "version": "V1",
            "function_name": "predict",
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "columns": ["AGE", "PLAN", '"tenure months"'],
            "limit": 100,
        },
        "1.28.0",
    ),
    (
        "sql_model_function",
        "partitioned table function",
        {
            "model": "ML.PUBLIC.FORECAST",
            "version": "V3",
            "function_name": "forecast",
            "input_table": "ML.PUBLIC.SALES",
            "columns": ["STORE_ID", "DAY", "AMOUNT"],
            "table_function": True,
            "partition_column": "STORE_ID",
        },
        "1.28.0",
    ),
    (
        "dbt_model",
        "table",
        {
            "model": MODEL,
            "version": "V1",
            "function_name": "predict",
            "dbt_ref": "stg_customers",
            "columns": ["AGE", "PLAN"],
        },
        "1.28.0",
    ),
    (
        "dynamic_table",
        "hourly",
        {
            "model": MODEL,
            "version": "V1",
            "function_name": "predict",
            "dynamic_table": "ML.PUBLIC.CHURN_SCORES",
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "columns": ["AGE", "PLAN"],
            "refresh_warehouse": "ML_WH",
        },
        "1.28.0",
    ),
    (
        "scheduled_job",
        "new customers nightly",
        {
            "model": MODEL,
            "version": "V1",
            "function_name": "predict_proba",
            "input_query": (
                'SELECT "SNOWBATCH_INPUT".* FROM ML.PUBLIC.CUSTOMERS AS "SNOWBATCH_INPUT" WHERE NOT EXISTS '
                '(SELECT 1 FROM ML.PUBLIC.CHURN_SCORES AS "SNOWBATCH_SCORED" '
                'WHERE "SNOWBATCH_SCORED".CUSTOMER_ID = "SNOWBATCH_INPUT".CUSTOMER_ID)'
            ),
            "columns": ["AGE", "PLAN"],
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
            "output_table": "ML.PUBLIC.CHURN_SCORES",
            "job_name": "ML.PUBLIC.CHURN_NIGHTLY",
            "task": "ML.PUBLIC.CHURN_NIGHTLY",
            "procedure": "ML.PUBLIC.CHURN_NIGHTLY_RUN",
            "cron": "0 2 * * *",
            "time_zone": "Europe/Paris",
            "task_warehouse": "ML_WH",
        },
        "1.28.0",
    ),
    (
        "scheduled_job",
        "scaled, params, weekdays",
        {
            "model": MODEL,
            "input_query": "SELECT * FROM ML.PUBLIC.EVENTS WHERE NOT SCORED",
            "params": {"threshold": 0.5},
            "output_stage": OUT,
            "compute_pool": "CPU_POOL",
            "output_table": "ML.PUBLIC.EVENT_SCORES",
            "job_name": "EVENTS_HOURLY",
            "task": "ML.PUBLIC.EVENTS_HOURLY",
            "procedure": "ML.PUBLIC.EVENTS_HOURLY_RUN",
            "cron": "0 * * * MON-FRI",
            "task_warehouse": "ML_WH",
            "python_runtime": "3.12",
            "replicas": 2,
            "num_workers": 4,
        },
        "1.28.0",
    ),
    (
        "warehouse_task",
        "new customers nightly, one typed output",
        {
            "model": MODEL,
            "version": "V1",
            "function_name": "predict_proba",
            "input_table": "ML.PUBLIC.CUSTOMERS",
            "columns": ["AGE", "PLAN"],
            "new_key": "CUSTOMER_ID",
            "output_table": "ML.PUBLIC.CHURN_SCORES",
            "task": "ML.PUBLIC.CHURN_WH_NIGHTLY",
            "cron": "0 2 * * *",
            "time_zone": "Europe/Paris",
            "task_warehouse": "ML_WH",
            "outputs": [{"name": "output_feature_1", "type": "DOUBLE", "as": "CHURN_PROBABILITY"}],
        },
        "1.28.0",
    ),
    ("create_stage", "output stage", {"stage": "ML.PUBLIC.BATCH_OUT"}, "1.28.0"),
    (
        "create_stage",
        "files stage with directory",
        {
            "stage": "ML.PUBLIC.MEDIA",
            "directory_table": True,
            "comment": "images for batch jobs",
        },
        "1.28.0",
    ),
    (
        "create_compute_pool",
        "GPU pool",
        {
            "pool": "gpu_pool",
            "instance_family": "GPU_NV_S",
            "max_nodes": 2,
            "comment": "batch inference",
        },
        "1.28.0",
    ),
    ("resume_compute_pool", "resume", {"pool": "CPU_POOL"}, "1.28.0"),
    ("job_status", "status", {"job_id": "ML.PUBLIC.CHURN_NIGHTLY"}, "1.28.0"),
    (
        "job_status",
        "bounded wait",
        {"job_id": "ML.PUBLIC.CHURN_NIGHTLY", "wait_timeout_seconds": 600},
        "1.28.0",
    ),
    ("job_logs", "logs", {"job_id": "ML.PUBLIC.CHURN_NIGHTLY", "log_lines": 50}, "1.28.0"),
    ("job_cancel", "cancel", {"job_id": "ML.PUBLIC.CHURN_NIGHTLY", "connection_name": "dev"}, "1.28.0"),
    ("job_list", "list", {"database": "ML", "schema": "PUBLIC", "limit": 20}, "1.28.0"),
    ("job_delete", "delete", {"job_id": "ML.PUBLIC.CHURN_NIGHTLY"}, "1.28.0"),
    ("read_results", "preview", {"output_stage": OUT, "job_name": "CHURN_NIGHTLY"}, "1.28.0"),
    (
        "read_results",
        "save",
        {
            "output_stage": OUT,
            "job_name": "CHURN_NIGHTLY",
            "output_table": "ML.PUBLIC.CHURN_SCORES",
            "save_mode": "errorifexists",
            "preview_rows": 5,
        },
        "1.28.0",
    ),
]


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


REQUIRED_ONLY_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    (info.name, name, params, since or TARGET_RELEASES[0])
    for info in list_templates()
    for name, params, since in required_only(info)
]


def cases_for(version: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The cases valid for a release (features a case needs may be newer than the release)."""
    return [
        (t, name, params)
        for t, name, params, since in [*CASES, *REQUIRED_ONLY_CASES]
        if _key(version) >= _key(since)
    ]


def case_id(template: str, name: str, version: str) -> str:
    return f"{template}[{name}]@{version}"
