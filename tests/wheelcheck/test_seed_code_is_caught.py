"""The check tells right from wrong: the seed skill's 1.x code fails against 2.x and ours passes, and
code written for one API generation fails against the other."""

from __future__ import annotations

import pytest

from snowbatch.templates import render
from tests.wheelcheck.binding import check_bindings
from tests.wheelcheck.wheels import api_index

pytestmark = pytest.mark.wheels

# The seed skill's "Basic Tabular Inference" template, with its placeholders filled in.
SEED_CODE = """\
from snowflake.ml.model.batch import JobSpec, OutputSpec, SaveMode
from snowflake.ml.registry import Registry
from snowflake.snowpark.context import get_active_session

session = get_active_session()
session.use_database("ML")
session.use_schema("PUBLIC")
reg = Registry(session=session)
mv = reg.get_model("CHURN_MODEL").version("V1")
input_df = session.table("ML.PUBLIC.CUSTOMERS")
output_location = "@ML.PUBLIC.OUT/output/"
job = mv.run_batch(
    X=input_df,
    compute_pool="CPU_POOL",
    output_spec=OutputSpec(
        stage_location=output_location,
        mode=SaveMode.OVERWRITE,
    ),
    job_spec=JobSpec(),
)
job.wait()
print(job.status)
"""

SAME_JOB = {
    "model": "ML.PUBLIC.CHURN_MODEL",
    "version": "V1",
    "input_table": "ML.PUBLIC.CUSTOMERS",
    "output_stage": "@ML.PUBLIC.OUT/output/",
    "compute_pool": "CPU_POOL",
    "mode": "overwrite",
}


def test_seed_code_binds_to_1_x() -> None:
    report = check_bindings(SEED_CODE, api_index("1.54.0"))
    assert report.problems == []
    assert report.checked_any("call snowflake.ml.model._client.model.model_version_impl.ModelVersion")


@pytest.mark.parametrize("version", ["2.0.0", "2.6.0"])
def test_seed_code_fails_on_2_x_while_ours_passes(version: str) -> None:
    seed = check_bindings(SEED_CODE, api_index(version))
    assert any("module snowflake.ml.model.batch does not exist" in p for p in seed.problems)
    assert any("run_batch() has no parameter 'job_spec'" in p for p in seed.problems)

    ours = check_bindings(render("run_batch_tabular", SAME_JOB, version).code, api_index(version))
    assert ours.problems == []
    assert ours.checked_any("ModelVersion.run_batch")


def test_1_x_code_fails_on_2_x() -> None:
    code = render("run_batch_scaled", {**SAME_JOB, "replicas": 2, "gpu_requests": "1"}, "1.54.0").code
    problems = check_bindings(code, api_index("2.6.0")).problems
    assert any("snowflake.ml.model.batch does not exist" in p for p in problems)


def test_2_x_code_fails_on_1_x_even_where_batch_inference_exists() -> None:
    # 1.54 ships snowflake.ml.model.batch_inference for a private prototype: the import binds, the
    # public run_batch does not take the 2.x keywords.
    code = render("run_batch_scaled", {**SAME_JOB, "replicas": 2, "gpu_requests": "1"}, "2.0.0").code
    problems = check_bindings(code, api_index("1.54.0")).problems
    assert any("run_batch() has no parameter 'resources_spec'" in p for p in problems)
