"""Rendering templates: parameters are checked against the manifest before anything renders, values
reach the code only as literals, and the target release decides the API the code uses."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from snowbatch.core import codegen
from snowbatch.core.codegen import import_block, py_literal, sql_literal
from snowbatch.core.errors import InvalidRequest
from snowbatch.core.names import Identifier, ObjectName, StageLocation
from snowbatch.resources import templates_dir
from snowbatch.templates import bundled, list_templates, render

JOB = {
    "model": "ML.PUBLIC.CHURN",
    "input_table": "ML.PUBLIC.CUSTOMERS",
    "output_stage": "@ML.PUBLIC.OUT/x/",
    "compute_pool": "CPU_POOL",
}


def _problem(call) -> InvalidRequest:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequest) as caught:
        call()
    return caught.value


# -- the catalogue -----------------------------------------------------------------------------------


def test_every_template_has_a_file_a_summary_and_described_parameters() -> None:
    infos = list_templates()
    assert len(infos) >= 19
    for info in infos:
        assert info.summary
        assert all(p.description and p.type for p in info.parameters), info.name
        for group in info.one_of:
            assert set(group) <= {p.name for p in info.parameters}, info.name
    files = {p.name for p in templates_dir().glob("*.j2") if not p.name.startswith("_")}
    manifest_files = {bundled().manifest.templates[i.name]["file"] for i in infos}
    assert manifest_files == files


def test_required_parameters_are_listed_as_required() -> None:
    info = next(i for i in list_templates() if i.name == "run_batch_tabular")
    required = {p.name for p in info.parameters if p.required}
    assert required == {"model", "output_stage", "compute_pool"}
    mode = next(p for p in info.parameters if p.name == "mode")
    assert (mode.default, mode.choices) == ("error", ["error", "overwrite"])


# -- parameters are validated against the manifest ---------------------------------------------------


def test_an_unknown_template_is_named_with_a_suggestion() -> None:
    problem = _problem(lambda: render("run_batch_tabluar", JOB, "2.6.0"))
    assert "run_batch_tabluar" in problem.problem and "run_batch_tabular" in problem.problem
    assert "list_templates" in problem.next_step


def test_unknown_parameters_are_named_with_the_valid_ones() -> None:
    problem = _problem(lambda: render("run_batch_tabular", {**JOB, "replica": 2, "colour": 1}, "2.6.0"))
    assert "colour, replica" in problem.problem
    assert "compute_pool" in problem.next_step


def test_missing_parameters_are_named_with_what_they_mean() -> None:
    problem = _problem(lambda: render("run_batch_tabular", {"model": "ML.PUBLIC.CHURN"}, "2.6.0"))
    assert "compute_pool, output_stage" in problem.problem or "output_stage, compute_pool" in problem.problem
    assert "base output location" in problem.next_step


def test_exactly_one_input_is_required() -> None:
    both = {**JOB, "input_query": "SELECT 1"}
    problem = _problem(lambda: render("run_batch_tabular", both, "2.6.0"))
    assert "exactly one of input_table" in problem.problem
    none = {k: v for k, v in JOB.items() if k != "input_table"}
    assert "got none" in _problem(lambda: render("run_batch_tabular", none, "2.6.0")).problem


@pytest.mark.parametrize(
    ("param", "value", "why"),
    [
        ("model", "CHURN", "fully qualified"),
        ("output_stage", "ML.PUBLIC.OUT", "starts with @"),
        ("compute_pool", '"my pool"', "quoted"),
        ("mode", "append", "one of"),
        ("columns", "AGE", "list"),
        ("params", {"x": float("nan")}, "finite"),
        ("job_name", "a b", "not a valid Snowflake name"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter(param: str, value: object, why: str) -> None:
    problem = _problem(lambda: render("run_batch_tabular", {**JOB, param: value}, "2.6.0"))
    assert f"Parameter {param}" in problem.problem and why in problem.problem


def test_a_parameter_the_target_release_lacks_is_refused_with_the_release_needed() -> None:
    problem = _problem(lambda: render("run_batch_tabular", {**JOB, "partition_column": "STORE"}, "1.28.0"))
    assert "partition_column needs snowflake-ml-python 1.31.0" in problem.problem
    problem = _problem(
        lambda: render("run_batch_scaled", {**JOB, "replicas": 1, "engine": "python_generic"}, "1.28.0")
    )
    assert "engine='python_generic' needs snowflake-ml-python 1.29.0" in problem.problem
    assert (
        "input_stage_location needs"
        in _problem(
            lambda: render(
                "run_batch_tabular",
                {
                    **{k: v for k, v in JOB.items() if k != "input_table"},
                    "input_stage_location": "@ML.PUBLIC.IN/",
                },
                "1.54.0",
            )
        ).problem
    )


def test_an_unsupported_target_release_is_refused() -> None:
    assert "older than 1.28.0" in _problem(lambda: render("run_batch_tabular", JOB, "1.25.0")).problem


def test_the_default_target_is_the_installed_release(monkeypatch: pytest.MonkeyPatch) -> None:
    assert render("run_batch_tabular", JOB).target_version == metadata.version("snowflake-ml-python")
    monkeypatch.setattr("snowbatch.resources.installed_snowml_version", lambda: None)
    assert "Pass snowml_version" in _problem(lambda: render("run_batch_tabular", JOB)).next_step


# -- the target release picks the API -----------------------------------------------------------------


def test_1_x_code_uses_job_spec_and_a_per_job_stage_location() -> None:
    code = render("run_batch_scaled", {**JOB, "replicas": 3, "job_name": "nightly"}, "1.45.0").code
    assert "from snowflake.ml.model.batch import JobSpec, OutputSpec, SaveMode" in code
    assert "job_spec=JobSpec(" in code and "replicas=3," in code
    assert "OutputSpec(stage_location=output_location, mode=SaveMode.ERROR)" in code
    assert (
        "output_location = f\"{OUTPUT_BASE}{JOB_NAME.split('.')[-1]}/\"" in code
        and 'JOB_NAME = "NIGHTLY"' in code
    )


def test_2_x_code_uses_keywords_and_the_base_location() -> None:
    code = render(
        "run_batch_scaled", {**JOB, "replicas": 3, "num_workers": 2, "gpu_requests": "1"}, "2.6.0"
    ).code
    assert "from snowflake.ml.model.batch_inference import (" in code
    assert "JobSpec" not in code and "OutputSpec(stage_location=OUTPUT_BASE" in code
    assert "resources_spec=ResourcesSpec(" in code and "inference_spec=InferenceSpec(" in code
    assert "\n    replicas=3,\n" in code


def test_vllm_options_are_a_dict_in_1_x_and_engine_options_in_2_x() -> None:
    chat = {
        "model": "ML.PUBLIC.VL",
        "prompt": "Hi",
        "output_stage": "@ML.PUBLIC.OUT/",
        "compute_pool": "GPU",
        "engine": "vllm",
        "engine_args": ["--max-model-len=4096"],
        "gpu_requests": "2",
    }
    old = render("run_batch_chat", chat, "1.38.0")
    assert '"engine": InferenceEngine.VLLM,' in old.code and "inference_engine_options={" in old.code
    new = render("run_batch_chat", chat, "2.0.0")
    assert "engine_options=EngineOptions(" in new.code and "engine=InferenceEngine.VLLM," in new.code
    assert any("tensor-parallel-size" in n for n in new.notes)


def test_generation_settings_go_to_params_or_columns() -> None:
    chat = {
        "model": "ML.PUBLIC.VL",
        "prompt": "Hi",
        "output_stage": "@ML.PUBLIC.OUT/",
        "compute_pool": "GPU",
        "generation": {"temperature": 0.2, "stop": ["END"]},
    }
    as_params = render("run_batch_chat", chat, "2.6.0").code
    assert 'params={"temperature": 0.2, "stop": ["END"]}' in as_params
    as_columns = render("run_batch_chat", {**chat, "generation_as": "columns"}, "2.6.0").code
    assert 'with_column("TEMPERATURE", lit(0.2))' in as_columns
    assert 'with_column("STOP", array_construct(lit("END")))' in as_columns
    assert "InputSpec" not in as_columns


def test_chat_settings_as_params_warn_about_pre_1_38_signatures() -> None:
    chat = {
        "model": "ML.PUBLIC.VL",
        "prompt": "Hi",
        "output_stage": "@ML.PUBLIC.OUT/",
        "compute_pool": "GPU",
        "generation": {"temperature": 0.2},
    }
    assert any("before 1.38" in n for n in render("run_batch_chat", chat, "1.33.0").notes)
    assert not any("before 1.38" in n for n in render("run_batch_chat", chat, "1.38.0").notes)


def test_files_get_column_handling_under_the_stored_column_name() -> None:
    files = {
        "model": "ML.PUBLIC.VIT",
        "file_stage": "@ML.PUBLIC.MEDIA/img/",
        "file_column": "images",
        "encoding": "BASE64_DATA_URL",
        "output_stage": "@ML.PUBLIC.OUT/",
        "compute_pool": "GPU",
    }
    code = render("run_batch_files", files, "2.6.0").code
    assert (
        '"IMAGES": {"input_format": InputFormat.FULL_STAGE_PATH, "convert_to": FileEncoding.BASE64_DATA_URL}'
    ) in code
    assert 'column_name="IMAGES"' in code


def test_conflicting_chat_inputs_fail_the_render_with_what_to_do() -> None:
    chat = {
        "model": "ML.PUBLIC.VL",
        "messages_table": "ML.PUBLIC.MSGS",
        "files": ["@ML.PUBLIC.M/a.jpg"],
        "output_stage": "@ML.PUBLIC.OUT/",
        "compute_pool": "GPU",
    }
    assert "messages_table alone" in _problem(lambda: render("run_batch_chat", chat, "2.6.0")).next_step


# -- values reach the code only as literals -----------------------------------------------------------

HOSTILE = 'x"); __import__("os").system("rm -rf ~"); ("'


def test_hostile_text_stays_a_python_string() -> None:
    code = render(
        "run_batch_tabular",
        {
            **JOB,
            "input_table": None,
            "input_query": HOSTILE,
            "model": f'ML.PUBLIC."{HOSTILE.replace(chr(34), chr(34) * 2)}"',
        },
        "2.6.0",
    ).code
    tree = ast.parse(code)
    called = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not any("system" in c or "__import__" in c for c in called)
    assert HOSTILE in {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}


def test_hostile_names_stay_quoted_identifiers_in_sql() -> None:
    code = render(
        "sql_model_function",
        {
            "model": "ML.PUBLIC.CHURN",
            "version": "V1",
            "function_name": "predict",
            "input_table": 'ML.PUBLIC."t; DROP TABLE x; --"',
            "columns": ['"a"", b"'],
        },
        "2.6.0",
    ).code
    assert 'FROM ML.PUBLIC."t; DROP TABLE x; --" AS src' in code
    assert '!PREDICT(src."a"", b")' in code


def test_literals() -> None:
    assert py_literal("it's") == '"it\'s"' and py_literal('say "hi"') == "'say \"hi\"'"
    assert py_literal({"a": [1, 2.5, None, True]}) == '{"a": [1, 2.5, None, True]}'
    assert py_literal(ObjectName.parse('db."My Sc".t')) == "'DB.\"My Sc\".T'"
    assert sql_literal(Identifier.parse("select")) == '"SELECT"'  # reserved words stay quoted
    assert sql_literal(Identifier.parse("churn")) == "CHURN"
    assert sql_literal(StageLocation.parse("@ml.public.st/it's/")) == "'@ML.PUBLIC.ST/it''s/'"
    assert sql_literal("o'k") == "'o''k'"


def test_import_block_is_sorted_and_wrapped_as_isort_wants() -> None:
    block = import_block(
        "uuid",
        "",
        "snowflake.ml.registry:Registry",
        "json",
        "snowflake.ml.model.batch:SaveMode",
        "snowflake.ml.model.batch:JobSpec",
    )
    assert block.splitlines() == [
        "import json",
        "import uuid",
        "",
        "from snowflake.ml.model.batch import JobSpec, SaveMode",
        "from snowflake.ml.registry import Registry",
    ]
    long = import_block(
        *(
            f"snowflake.ml.model.batch_inference:{n}"
            for n in ("SaveMode", "OutputSpec", "InputSpec", "ResourcesSpec", "InferenceSpec")
        )
    )
    assert long.splitlines()[0] == "from snowflake.ml.model.batch_inference import ("
    assert long.splitlines()[1] == "    InferenceSpec,"


# -- rendering itself ------------------------------------------------------------------------------


def test_sql_templates_do_not_depend_on_the_release() -> None:
    params = {"pool": "gpu_pool", "instance_family": "GPU_NV_S"}
    assert (
        render("create_compute_pool", params, "1.28.0").code
        == render("create_compute_pool", params, "2.6.0").code
    )


def test_importing_codegen_loads_no_heavy_library() -> None:
    # (The bare `snowflake` namespace package is preloaded by a .pth file; its subpackages are not.)
    probe = (
        "import sys; import snowbatch.core.codegen, snowbatch.core.api_profiles; "
        "print(sorted(m for m in sys.modules if m.startswith("
        "('snowflake.', 'pandas', 'pyarrow', 'duckdb', 'sklearn', 'jinja2'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(codegen.__file__).parents[2])},
    )
    assert out.stdout.strip() == "[]"
