"""Rendered code binds to the real API of the release it was written for (checked in the real wheels)."""

from __future__ import annotations

import pytest

from snowbatch.templates import list_templates, render
from tests.templates.cases import TARGET_RELEASES, case_id, cases_for
from tests.wheelcheck.binding import check_bindings
from tests.wheelcheck.wheels import api_index

pytestmark = pytest.mark.wheels

# scheduled_job is SQL around a Python procedure: its Python is checked (the code between $$)
PYTHON_TEMPLATES = {t.name for t in list_templates() if t.language == "python"} | {"scheduled_job"}
PYTHON_CASES = [
    pytest.param(template, params, version, id=case_id(template, name, version))
    for version in TARGET_RELEASES
    for template, name, params in cases_for(version)
    if template in PYTHON_TEMPLATES
]

# What each kind of template must have been checked for, so a pass cannot come from skipping.
MUST_CHECK = {
    "run_batch": ["ModelVersion.run_batch", "OutputSpec", "MLJob.id", "Registry.get_model"],
    "scheduled_job": ["ModelVersion.run_batch", "OutputSpec", "MLJob.wait", "MLJob.id", "Registry.get_model"],
    "warehouse_run": ["ModelVersion.run"],
    "job_list": ["call snowflake.ml.jobs.manager.list_jobs"],
    "job_": ["call snowflake.ml.jobs.manager.get_job"],
    "read_results": ["DataFrameReader.parquet", "Session.sql"],
    "session_setup": ["Session.get_current_role"],
}


@pytest.mark.parametrize(("template", "params", "version"), PYTHON_CASES)
def test_code_binds_to_its_release(template: str, params: dict, version: str) -> None:
    code = render(template, params, version).code
    if template == "scheduled_job":
        code = code.split("$$\n", 1)[1].split("\n$$", 1)[0]
    report = check_bindings(code, api_index(version))
    assert report.problems == [], "\n".join(report.problems) + "\n\n" + code
    for prefix, fragments in MUST_CHECK.items():
        if template.startswith(prefix) and not (prefix == "job_" and template == "job_list"):
            missing = [f for f in fragments if not report.checked_any(f)]
            assert missing == [], f"not checked: {missing}"


def test_every_python_template_is_checked_in_every_release() -> None:
    for version in TARGET_RELEASES:
        checked = {p.values[0] for p in PYTHON_CASES if p.values[2] == version}
        assert checked == PYTHON_TEMPLATES, version
