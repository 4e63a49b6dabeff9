"""SnowflakeBackend over the SQL-level fake: the exact statements, their quoting and their number."""

from __future__ import annotations

from pathlib import Path

import pytest

from snowbatch.backends.base import Backend
from snowbatch.core.errors import Conflict, InvalidName, NotFound, PermissionDenied
from snowbatch.core.names import Identifier, ObjectName, SchemaName, StageLocation
from snowbatch.core.requests import BatchJobSpec, ResolvedInput
from tests.fakes import make_fake_snowflake_backend, submitted
from tests.fakes.jobs import finish

SCHEMA = SchemaName.parse("ML.PUBLIC")
CHURN = ObjectName.parse("ML.PUBLIC.CHURN_CLASSIFIER")
PRICE = ObjectName.parse("ML.PUBLIC.PRICE_REGRESSOR")
FEATURES = ["CUSTOMER_ID", "TENURE_MONTHS", "MONTHLY_CHARGES", "SUPPORT_CALLS", "CONTRACT_MONTHS"]


@pytest.fixture
def backend(tmp_path: Path):
    return make_fake_snowflake_backend(tmp_path)


def sql(backend) -> list[str]:
    log = backend.fake_account.sql_log()
    backend.fake_account.clear_statements()
    return log


def spec(job: str = "JOB_1", **changes) -> BatchJobSpec:
    base = dict(
        model="ML.PUBLIC.CHURN_CLASSIFIER",
        version="V1",
        function_name="PREDICT_PROBA",
        target_method="predict_proba",
        input=ResolvedInput(kind="table", table="ML.PUBLIC.CUSTOMERS", columns=FEATURES),
        output_stage="@ML.PUBLIC.BATCH_OUT/runs/",
        compute_pool="CPU_POOL",
        mode="error",
        job_name=f"ML.PUBLIC.{job}",
    )
    return BatchJobSpec(**{**base, **changes})


def test_it_implements_the_backend_protocol(backend):
    assert isinstance(backend, Backend)
    assert backend.name == "snowflake"


def test_environment_is_one_statement(backend):
    env = backend.environment()
    assert (env.role, env.warehouse, env.database, env.schema_) == ("ML_ENGINEER", "ML_WH", "ML", "PUBLIC")
    assert env.snowml_version == "2.6.0"
    assert sql(backend) == [
        "SELECT CURRENT_ACCOUNT(), CURRENT_USER(), CURRENT_ROLE(), CURRENT_WAREHOUSE(), "
        "CURRENT_DATABASE(), CURRENT_SCHEMA()"
    ]


def test_list_models_is_one_show_with_quoted_schema(backend):
    page = backend.list_models(SCHEMA, like=None, limit=1, cursor=None)
    assert (
        [m.name for m in page.items] == ["ML.PUBLIC.CHURN_CLASSIFIER"]
        and page.next_cursor == "1"
        and page.total == 2
    )
    assert sql(backend) == ['SHOW MODELS IN SCHEMA "ML"."PUBLIC"']
    page = backend.list_models(SCHEMA, like="price%", limit=10, cursor=None)
    assert [(m.name, m.versions, m.default_version) for m in page.items] == [
        ("ML.PUBLIC.PRICE_REGRESSOR", 2, "V2")
    ]
    assert sql(backend) == ['SHOW MODELS LIKE \'price%\' IN SCHEMA "ML"."PUBLIC"']


def test_like_text_cannot_break_out_of_its_literal(backend):
    backend.list_models(SCHEMA, like="x' OR 1=1 --", limit=10, cursor=None)
    assert sql(backend) == ["SHOW MODELS LIKE 'x'' OR 1=1 --' IN SCHEMA \"ML\".\"PUBLIC\""]


def test_list_model_versions_is_one_show_versions_with_details(backend):
    versions = backend.list_model_versions(PRICE)
    assert [(v.version, v.is_default, v.model_type) for v in versions] == [
        ("V1", False, "sklearn"),
        ("V2", True, "sklearn"),
    ]
    stmts = backend.fake_account.statements
    assert [s.sql for s in stmts] == ['SHOW VERSIONS IN MODEL "ML"."PUBLIC"."PRICE_REGRESSOR"']
    assert dict(stmts[0].statement_params)["SHOW_MODEL_DETAILS_IN_SHOW_VERSIONS_IN_MODEL"] is True


def test_version_detail_of_the_default_version_is_one_statement(backend):
    detail = backend.version_detail(CHURN, None)
    assert detail.version == "V1" and detail.model_type == "sklearn"
    assert [f.name for f in detail.functions] == [
        "DECISION_FUNCTION",
        "PREDICT",
        "PREDICT_LOG_PROBA",
        "PREDICT_PROBA",
    ]
    assert [i.name for i in detail.functions[1].inputs] == [
        "TENURE_MONTHS",
        "MONTHLY_CHARGES",
        "SUPPORT_CALLS",
        "CONTRACT_MONTHS",
    ]
    assert sql(backend) == ['SHOW VERSIONS IN MODEL "ML"."PUBLIC"."CHURN_CLASSIFIER"']


def test_version_detail_by_name_is_one_statement_and_by_alias_two(backend):
    assert backend.version_detail(PRICE, Identifier.parse("v1")).version == "V1"
    assert sql(backend) == ['SHOW VERSIONS LIKE \'V1\' IN MODEL "ML"."PUBLIC"."PRICE_REGRESSOR"']
    assert backend.version_detail(PRICE, Identifier.parse("last")).version == "V2"
    assert len(sql(backend)) == 2


def test_missing_model_names_the_closest(backend):
    with pytest.raises(NotFound, match=r"Did you mean ML\.PUBLIC\.CHURN_CLASSIFIER") as err:
        backend.version_detail(ObjectName.parse("ML.PUBLIC.CHURN_CLASIFIER"), None)
    assert "list_models" in err.value.next_step


def test_missing_version_names_the_closest(backend):
    with pytest.raises(NotFound, match="Did you mean V2") as err:
        backend.version_detail(PRICE, Identifier.parse("V3"))
    assert "list_model_versions" in err.value.next_step


def test_describe_table_uses_describe_and_an_optional_bounded_count(backend):
    info = backend.describe_table(ObjectName.parse("ML.PUBLIC.CUSTOMERS"), count_rows=False)
    assert [(c.name, c.sql_type) for c in info.columns][:3] == [
        ("CUSTOMER_ID", "NUMBER(38,0)"),
        ("TENURE_MONTHS", "NUMBER(38,0)"),
        ("MONTHLY_CHARGES", "FLOAT"),
    ]
    assert info.row_count is None
    assert sql(backend) == ['DESCRIBE TABLE "ML"."PUBLIC"."CUSTOMERS"']
    assert backend.describe_table(ObjectName.parse("ML.PUBLIC.CUSTOMERS"), count_rows=True).row_count == 3000
    stmts = backend.fake_account.statements
    assert [s.sql for s in stmts][1] == 'SELECT COUNT(*) FROM "ML"."PUBLIC"."CUSTOMERS"'
    assert dict(stmts[1].statement_params) == {"STATEMENT_TIMEOUT_IN_SECONDS": 20}


def test_stages_report_encryption_with_evidence(backend):
    stages = {s.name: s for s in backend.list_stages(SCHEMA)}
    assert stages["ML.PUBLIC.BATCH_OUT"].encryption == "SNOWFLAKE_SSE"
    assert "UNVERIFIED" in stages["ML.PUBLIC.BATCH_OUT"].encryption_evidence
    assert stages["ML.PUBLIC.LEGACY_STAGE"].encryption == "SNOWFLAKE_FULL"
    assert sql(backend) == ['SHOW STAGES IN SCHEMA "ML"."PUBLIC"']


def test_create_stage_is_sse_and_quotes_everything(backend):
    created = backend.create_stage(ObjectName.parse('ML.PUBLIC."my out"'), comment="it's mine")
    assert created.encryption == "SNOWFLAKE_SSE" and created.name == 'ML.PUBLIC."my out"'
    assert sql(backend) == [
        'CREATE STAGE "ML"."PUBLIC"."my out" ENCRYPTION = (TYPE = \'SNOWFLAKE_SSE\') '
        "COMMENT = 'it''s mine'"
    ]
    with pytest.raises(Conflict, match="already exists"):
        backend.create_stage(ObjectName.parse("ML.PUBLIC.BATCH_OUT"), comment=None)


def test_missing_stage_names_the_closest(backend):
    with pytest.raises(NotFound, match="Did you mean BATCH_OUT"):
        backend.describe_stage(ObjectName.parse("ML.PUBLIC.BATCH_OUTT"))


def test_pools_list_create_resume(backend):
    pools = {p.name: p for p in backend.list_compute_pools()}
    assert (pools["CPU_POOL"].state, pools["CPU_POOL"].vcpu, pools["GPU_POOL"].gpus) == ("IDLE", 3, 1)
    assert pools["GPU_POOL"].state == "SUSPENDED"
    assert sql(backend) == ["SHOW COMPUTE POOLS"]
    assert backend.resume_compute_pool(Identifier.parse("gpu_pool")).state == "STARTING"
    assert sql(backend) == ["ALTER COMPUTE POOL GPU_POOL RESUME", "SHOW COMPUTE POOLS LIKE 'GPU_POOL'"]
    backend.create_compute_pool(
        Identifier.parse("big"), instance_family="cpu_x64_m", min_nodes=1, max_nodes=2, auto_suspend_secs=600
    )
    assert sql(backend) == [
        "CREATE COMPUTE POOL BIG MIN_NODES = 1 MAX_NODES = 2 INSTANCE_FAMILY = CPU_X64_M "
        "AUTO_RESUME = TRUE AUTO_SUSPEND_SECS = 600"
    ]


def test_quoted_pool_names_are_refused_before_any_sql(backend):
    with pytest.raises(InvalidName):
        backend.resume_compute_pool(Identifier.parse('"lower pool"'))
    assert sql(backend) == []


def test_submit_answers_at_once_and_runs_run_batch_in_the_background(backend):
    job = backend.submit_job(spec())
    assert (job.job_id, job.status, job.output_location) == (
        "ML.PUBLIC.JOB_1",
        "PENDING",
        "@ML.PUBLIC.BATCH_OUT/runs/JOB_1/",
    )
    assert "container image" in (job.message or "")
    assert backend._jobs.submitter.join(job.job_id, 30)
    log = sql(backend)
    assert log[0] == 'LIST \'@"ML"."PUBLIC"."BATCH_OUT"/runs/\''  # SaveMode.ERROR: the whole base (D14)
    assert log[1:4] == [
        "SHOW DATABASES LIKE 'ML';",
        "SHOW SCHEMAS LIKE 'PUBLIC' IN DATABASE ML;",
        "SELECT SYSTEM$ML_PLATFORM_CAPABILITIES() AS FEATURES;",
    ]  # Registry(...)
    assert log[-2].startswith('COPY INTO \'@"ML"."PUBLIC"."BATCH_OUT"/runs/_snowflake_temporary/')
    assert 'FROM (SELECT "CUSTOMER_ID", "TENURE_MONTHS"' in log[-2]
    assert log[-1].startswith("EXECUTE INFERENCE JOB SERVICE IN COMPUTE POOL CPU_POOL WITH SPECIFICATION")
    assert log[-1].endswith(
        "MODEL = ML.PUBLIC.CHURN_CLASSIFIER VERSION = V1 FUNCTION = 'predict_proba' "
        "NAME = ML.PUBLIC.JOB_1 ASYNC = TRUE REPLICAS = 1"
    )
    assert len(log) == 12
    second = backend.submit_job(spec("JOB_2", output_stage="@ML.PUBLIC.BATCH_OUT/runs2/"))
    assert backend._jobs.submitter.join(second.job_id, 30)
    assert len(sql(backend)) == 9  # the Registry is reused: 3 statements fewer


def test_submit_refuses_an_output_base_holding_other_results_under_save_mode_error(backend):
    submitted(backend, spec())
    sql(backend)
    with pytest.raises(Conflict, match="save mode is ERROR") as err:
        backend.submit_job(spec("JOB_2"))
    assert "mode='overwrite'" in err.value.next_step
    assert len(sql(backend)) == 1


def test_a_refused_submission_becomes_a_failed_job_that_says_which_grant(backend):
    backend.fake_account.deny(
        r"^EXECUTE INFERENCE JOB SERVICE", "Insufficient privileges to operate on schema 'PUBLIC'"
    )
    job = submitted(backend, spec())
    assert job.status == "FAILED"
    assert "CREATE SERVICE on the job's schema" in (job.message or "")


def test_job_status_logs_list_cancel_delete(backend):
    backend.fake_account.job_behaviour = "pending"
    submitted(backend, spec())
    sql(backend)
    job_id = ObjectName.parse("ML.PUBLIC.JOB_1")
    info = backend.get_job(job_id)
    assert (info.status, info.compute_pool, info.model, info.function) == (
        "PENDING",
        "CPU_POOL",
        "ML.PUBLIC.CHURN_CLASSIFIER",
        "PREDICT_PROBA",
    )
    assert sql(backend) == ["DESCRIBE SERVICE IDENTIFIER(?)"]
    page = backend.list_jobs(limit=10, cursor=None)
    assert [j.job_id for j in page.items] == ["ML.PUBLIC.JOB_1"] and page.next_cursor is None
    assert "Older jobs may exist" in (page.note or "")
    assert len(sql(backend)) == 2  # job history and SHOW JOB SERVICES
    logs = backend.job_logs(job_id, tail=1, offset=0)
    assert logs.lines == ["Model ML.PUBLIC.CHURN_CLASSIFIER version V1"] and logs.next_offset == 1
    assert sql(backend) == ["DESCRIBE SERVICE IDENTIFIER(?)", "SELECT SYSTEM$GET_SERVICE_LOGS(?, ?, ?)"]
    assert backend.cancel_job(job_id).status == "CANCELLED"
    assert sql(backend) == ["CALL ML.PUBLIC.JOB_1!spcs_cancel_job()", "DESCRIBE SERVICE IDENTIFIER(?)"]
    assert backend.delete_job(job_id).status == "DELETED"
    assert sql(backend) == ["DROP SERVICE IDENTIFIER(?)"]


def test_bind_parameters_carry_the_quoted_job_name(backend):
    submitted(backend, spec())
    sql(backend)
    backend.get_job(ObjectName.parse("ML.PUBLIC.JOB_1"))
    assert backend.fake_account.statements[0].params == ('"ML"."PUBLIC"."JOB_1"',)


def test_list_jobs_falls_back_to_show_job_services(backend):
    submitted(backend, spec())
    backend.fake_account.job_history_enabled = False
    sql(backend)
    page = backend.list_jobs(limit=5, cursor=None)
    assert [j.job_id for j in page.items] == ["ML.PUBLIC.JOB_1"]
    assert sql(backend)[1] == 'SHOW JOB SERVICES IN SCHEMA "ML"."PUBLIC"'
    assert "only live job services" in (page.note or "")


def test_output_inspect_preview_and_save(backend):
    submitted(backend, spec())
    sql(backend)
    out = StageLocation.parse("@ML.PUBLIC.BATCH_OUT/runs/JOB_1/")
    info = backend.inspect_output(out)
    assert (info.state, info.success_marker, len(info.files)) == ("complete", True, 1)
    assert sql(backend) == ['LIST \'@"ML"."PUBLIC"."BATCH_OUT"/runs/JOB_1/\'']
    preview = backend.preview_results(out, limit=3, max_cell_chars=50)
    assert preview.columns[:2] == ["CUSTOMER_ID", "TENURE_MONTHS"] and len(preview.rows) == 3
    assert "output_feature_1" in preview.columns and preview.total_rows == 3000
    assert len(sql(backend)) == 2
    assert backend.save_results_to_table(out, ObjectName.parse("ML.PUBLIC.SCORES"), mode="error") == 3000
    assert len(sql(backend)) == 4
    with pytest.raises(Conflict):
        backend.save_results_to_table(out, ObjectName.parse("ML.PUBLIC.SCORES"), mode="error")


def test_partial_output_without_success_marker(backend):
    backend.fake_account.job_behaviour = "pending"
    submitted(backend, spec())
    out = StageLocation.parse("@ML.PUBLIC.BATCH_OUT/runs/JOB_1/")
    assert backend.inspect_output(out).state == "empty"
    finish(backend.fake_account, "ML.PUBLIC.JOB_1")
    (backend.fake_account.stages[("ML", "PUBLIC", "BATCH_OUT")].folder / "runs/JOB_1/_SUCCESS").unlink()
    info = backend.inspect_output(out)
    assert info.state == "partial" and "do not use these rows as a full result" in (info.advice or "")


def test_list_stage_files_reports_full_stage_paths(backend):
    submitted(backend, spec())
    sql(backend)
    listing = backend.list_stage_files(
        StageLocation.parse("@ML.PUBLIC.BATCH_OUT/runs/JOB_1/"), pattern=None, limit=1
    )
    assert listing.count == 2 and listing.truncated
    assert listing.files[0].path == "@ML.PUBLIC.BATCH_OUT/runs/JOB_1/_SUCCESS"
    assert sql(backend) == ['LIST \'@"ML"."PUBLIC"."BATCH_OUT"/runs/JOB_1/\'']


def test_an_expired_session_is_recreated_once(backend):
    backend.list_compute_pools()
    first = backend.fake_account.connections[-1]
    backend.fake_account.expire_next = 1
    assert len(backend.list_compute_pools()) == 2
    assert backend.fake_account.connections[-1] is not first
    backend.fake_account.expire_next = 10  # still expired after the one retry: the error reaches the caller
    with pytest.raises(Exception, match="Session no longer exists"):
        backend.list_compute_pools()


def test_permission_denied_on_show_names_the_grant(backend):
    backend.fake_account.deny(r"^SHOW COMPUTE POOLS", "Insufficient privileges to operate on account")
    with pytest.raises(PermissionDenied) as err:
        backend.list_compute_pools()
    assert "USAGE" in err.value.next_step


def test_planning_facts_stay_within_eight_statements(backend):
    backend.version_detail(CHURN, None)
    backend.describe_table(ObjectName.parse("ML.PUBLIC.CUSTOMERS"), count_rows=True)
    backend.describe_stage(ObjectName.parse("ML.PUBLIC.BATCH_OUT"))
    backend.list_compute_pools()
    backend.list_stage_files(StageLocation.parse("@ML.PUBLIC.BATCH_OUT/runs/JOB_9/"), pattern=None, limit=1)
    assert len(sql(backend)) <= 8
