"""The api_profiles table agrees with the real releases: each feature with an API shape is probed with a
snippet that must bind exactly in the releases whose profile has the feature, and fail in the others."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from snowbatch.core.api_profiles import FEATURE_NAMES, ApiProfile, profile_for
from tests.templates.cases import TARGET_RELEASES
from tests.wheelcheck.binding import check_bindings
from tests.wheelcheck.wheels import api_index

pytestmark = pytest.mark.wheels

# A ModelVersion, typed for the checker (the calls are never run).
PRELUDE = """\
from snowflake.ml.registry import Registry

mv = Registry(session).get_model("M").version("V")
"""

# feature -> (probe code for a profile, which profiles must accept it)
PROBES: dict[str, tuple[Callable[[ApiProfile], str], Callable[[ApiProfile], bool]]] = {
    "specs_in_batch": (
        lambda p: "from snowflake.ml.model.batch import InputSpec, JobSpec, OutputSpec, SaveMode\n",
        lambda p: p.has("specs_in_batch"),
    ),
    "specs_in_batch_inference": (
        lambda p: (
            "from snowflake.ml.model.batch_inference import InferenceSpec, ResourcesSpec, "
            "ImageBuildSpec, OutputSpec\n"
        ),
        lambda p: p.has("specs_in_batch_inference") or p.has("v2_specs_preview"),
    ),
    "job_spec": (
        lambda p: PRELUDE + "mv.run_batch(df, compute_pool='P', output_spec=o, job_spec=None)\n",
        lambda p: p.has("job_spec"),
    ),
    "run_batch_v2": (
        lambda p: (
            PRELUDE + "mv.run_batch(df, compute_pool='P', output_spec=o, function_name='F', "
            "job_name='J', replicas=2, resources_spec=None, inference_spec=None)\n"
        ),
        lambda p: p.has("run_batch_v2"),
    ),
    "input_stage_location": (
        lambda p: PRELUDE + "mv.run_batch(input_stage_location='@S/', compute_pool='P', output_spec=o)\n",
        lambda p: p.has("input_stage_location"),
    ),
    "async_kwarg": (
        lambda p: PRELUDE + "mv.run_batch(df, compute_pool='P', output_spec=o, async_=False)\n",
        lambda p: p.has("async_kwarg"),
    ),
    "engine_options_dict": (
        lambda p: (
            PRELUDE + "mv.run_batch(df, compute_pool='P', output_spec=o, inference_engine_options={})\n"
        ),
        lambda p: p.has("engine_options_dict"),
    ),
    "engine_options_class": (
        lambda p: (
            "from snowflake.ml.model.batch_inference import EngineOptions, InferenceSpec\n"
            "InferenceSpec(engine_options=EngineOptions(engine='vllm', engine_args_override=[]))\n"
        ),
        lambda p: p.has("engine_options_class") or p.has("v2_specs_preview"),
    ),
    "list_stage_files": (
        lambda p: (
            "from snowflake.ml.utils.stage_file import list_stage_files\n"
            "list_stage_files(session, '@S/', pattern='.*', column_name='C')\n"
        ),
        lambda p: p.has("list_stage_files"),
    ),
    "list_stage_files_from_directory_tables": (
        lambda p: "from snowflake.ml.utils.stage_file import list_stage_files_from_directory_tables\n",
        lambda p: p.has("list_stage_files_from_directory_tables"),
    ),
    "partition_column": (
        lambda p: f"from {p.spec_module} import InputSpec\nInputSpec(partition_column='P')\n",
        lambda p: p.has("partition_column"),
    ),
    "job_name_prefix": (
        lambda p: "from snowflake.ml.model.batch import JobSpec\nJobSpec(job_name_prefix='X')\n",
        lambda p: p.has("job_name_prefix"),
    ),
    "job_spec_block": (
        lambda p: "from snowflake.ml.model.batch import JobSpec\nJobSpec(block=True)\n",
        lambda p: p.has("job_spec_block"),
    ),
    "base_stage_location": (
        lambda p: f"from {p.spec_module} import OutputSpec\nOutputSpec(base_stage_location='@S/')\n",
        lambda p: p.has("base_stage_location"),
    ),
    "python_generic_engine": (
        lambda p: (
            "from snowflake.ml.model.inference_engine import InferenceEngine\n"
            "InferenceEngine.PYTHON_GENERIC\n"
        ),
        lambda p: p.has("python_generic_engine"),
    ),
    "engine_from_string": (
        lambda p: (
            "from snowflake.ml.model.inference_engine import InferenceEngine\n"
            "InferenceEngine.from_value('vllm')\n"
        ),
        lambda p: p.has("engine_from_string"),
    ),
    "lora_adapters": (
        lambda p: (
            "from snowflake.ml.model.batch_inference import InferenceSpec\nInferenceSpec(adapters={})\n"
        ),
        lambda p: p.has("lora_adapters"),
    ),
}

# Behaviour rather than API shape: taken from the reference (client code read per release), not probed.
NOT_PROBED = {
    "specs_in_model",
    "v2_specs_preview",
    "run_batch_deprecation_warning",
    "server_named_jobs",
    "max_batch_rows_auto",
    "per_job_output_folder",
    "server_side_save_mode",
    "client_adds_tensor_parallel",
    "chat_with_params_auto_signature",
    "response_format_column",
}


def test_every_feature_is_probed_or_explained() -> None:
    assert set(PROBES) | NOT_PROBED == FEATURE_NAMES
    assert not set(PROBES) & NOT_PROBED


@pytest.mark.parametrize("version", TARGET_RELEASES)
@pytest.mark.parametrize("feature", sorted(PROBES))
def test_probe_binds_exactly_where_the_profile_has_the_feature(feature: str, version: str) -> None:
    profile = profile_for(version)
    probe, expected = PROBES[feature]
    report = check_bindings(probe(profile), api_index(version))
    assert (report.problems == []) == expected(profile), (
        f"{feature} in {version}: profile says {expected(profile)}, wheel says problems={report.problems}"
    )
