"""What each snowflake-ml-python release offers for batch inference: the one table, and profiles from it.

Every fact here was read in the released wheels (see docs `reference/snowml-batch-api.md`); the wheel
tests (`tests/wheelcheck`) check rendered code against those wheels. Code generation and the Snowflake
backend branch on a profile's *features*, never on raw version strings, so a new release is one more
row here rather than an `if` in every template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from snowbatch.core.errors import InvalidRequest

Version = tuple[int, int, int]

SUPPORTED_MIN: Version = (1, 28, 0)
SUPPORTED_MAX_MINOR: tuple[int, int] = (2, 6)  # every 2.6.x patch release is accepted


@dataclass(frozen=True)
class Feature:
    """One capability: present in releases `since` <= v < `until` (no `until`: still present)."""

    name: str
    since: Version
    until: Version | None
    what: str

    def in_release(self, version: Version) -> bool:
        return self.since <= version and (self.until is None or version < self.until)


V2: Version = (2, 0, 0)

FEATURES: tuple[Feature, ...] = (
    # Where the spec classes (InputSpec, OutputSpec, SaveMode, ...) are imported from.
    Feature("specs_in_model", (1, 24, 0), (1, 28, 0), "spec classes exported by snowflake.ml.model"),
    Feature("specs_in_batch", (1, 28, 0), V2, "spec classes in snowflake.ml.model.batch (JobSpec)"),
    Feature(
        "v2_specs_preview",
        (1, 50, 0),
        V2,
        "snowflake.ml.model.batch_inference exists beside .batch for the private _run_batch_v2; "
        "its InputSpec/OutputSpec do not fit the public run_batch (never mix the modules)",
    ),
    Feature(
        "specs_in_batch_inference",
        V2,
        None,
        "spec classes in snowflake.ml.model.batch_inference (ResourcesSpec, InferenceSpec, ...)",
    ),
    # The two run_batch forms.
    Feature(
        "job_spec",
        (1, 18, 0),
        V2,
        "run_batch(X, *, compute_pool, input_spec, output_spec, job_spec, inference_engine_options)",
    ),
    Feature(
        "run_batch_v2",
        V2,
        None,
        "run_batch(X, *, compute_pool, output_spec, input_spec, resources_spec, inference_spec, "
        "image_build_spec, function_name, job_name, replicas, async_)",
    ),
    Feature("run_batch_deprecation_warning", (1, 50, 0), V2, "v1 run_batch emits a DeprecationWarning"),
    # Inputs.
    Feature("list_stage_files", (1, 26, 0), None, "snowflake.ml.utils.stage_file.list_stage_files"),
    Feature(
        "list_stage_files_from_directory_tables",
        (1, 38, 0),
        None,
        "snowflake.ml.utils.stage_file.list_stage_files_from_directory_tables",
    ),
    Feature("partition_column", (1, 31, 0), None, "InputSpec.partition_column"),
    Feature("input_stage_location", V2, None, "run_batch(input_stage_location=...) reads staged Parquet"),
    # Job settings.
    Feature("job_name_prefix", (1, 34, 0), V2, "JobSpec.job_name_prefix"),
    Feature("server_named_jobs", (1, 34, 0), None, "the server names a job when job_name is absent"),
    Feature("job_spec_block", (1, 35, 0), V2, "JobSpec.block waits for the job"),
    Feature("async_kwarg", V2, None, "run_batch(async_=False) waits for the job"),
    Feature("max_batch_rows_auto", (1, 33, 0), None, "max_batch_rows defaults to auto (None), not 1024"),
    # Output.
    Feature("base_stage_location", (1, 37, 0), V2, "OutputSpec.base_stage_location (<base>/<job_name>/)"),
    Feature("per_job_output_folder", V2, None, "results go to <stage_location>/<job_name>/"),
    Feature("server_side_save_mode", V2, None, "SaveMode is applied by the server, not by a client LIST"),
    # Engines and chat.
    Feature(
        "engine_options_dict",
        (1, 23, 0),
        V2,
        "run_batch(inference_engine_options={'engine': InferenceEngine.X, 'engine_args_override': [...]})",
    ),
    Feature("engine_options_class", V2, None, "InferenceSpec(engine_options=EngineOptions(...))"),
    Feature("python_generic_engine", (1, 29, 0), None, "InferenceEngine.PYTHON_GENERIC"),
    Feature("engine_from_string", (1, 43, 0), None, "engines accepted as case-insensitive strings"),
    Feature(
        "client_adds_tensor_parallel",
        (1, 23, 0),
        V2,
        "the client appends --tensor-parallel-size=<gpu_requests> to vLLM arguments",
    ),
    Feature(
        "chat_with_params_auto_signature",
        (1, 38, 0),
        None,
        "HF chat/*-text-to-text models log with OPENAI_CHAT_WITH_PARAMS (knobs are params)",
    ),
    Feature("response_format_column", (1, 47, 0), None, "chat signatures take response_format"),
    Feature("lora_adapters", (2, 4, 0), None, "InferenceSpec.adapters (LoRA)"),
)

FEATURE_NAMES = frozenset(f.name for f in FEATURES)

# Modules that never move within the supported range (checked against every wheel in tests/wheelcheck).
INFERENCE_ENGINE_MODULE = "snowflake.ml.model.inference_engine"

_VERSION = re.compile(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:[.+\-]?(?:a|b|rc|dev|post)?\d*.*)?\s*\Z")


def parse_version(text: str) -> Version:
    """`'2.6.0'`, `'1.38'`, `'2.6.1rc1'` → (major, minor, patch)."""
    match = _VERSION.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidRequest(
            f"{text!r} is not a snowflake-ml-python version.",
            "Give it as MAJOR.MINOR.PATCH, e.g. '2.6.0' (see `pip show snowflake-ml-python`).",
        )
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def format_version(version: Version) -> str:
    return ".".join(str(p) for p in version)


def _check_supported(version: Version, text: str) -> None:
    if version < SUPPORTED_MIN:
        raise InvalidRequest(
            f"snowflake-ml-python {text} is older than {format_version(SUPPORTED_MIN)}, the oldest release "
            "snowbatch writes code for (its batch API moved to snowflake.ml.model.batch in 1.28).",
            "Upgrade with `pip install 'snowflake-ml-python>=1.28'`, or ask for code for a newer release.",
        )
    if version[:2] > SUPPORTED_MAX_MINOR:
        top = ".".join(str(p) for p in SUPPORTED_MAX_MINOR)
        raise InvalidRequest(
            f"snowflake-ml-python {text} is newer than {top}.x, the newest release snowbatch knows.",
            f"Ask for code for snowml_version='{top}.0' (and check it against your release), "
            "or upgrade snowbatch.",
        )


@dataclass(frozen=True)
class ApiProfile:
    """The batch API of one release, as the set of features it has."""

    version: Version
    features: frozenset[str] = field(repr=False)

    def has(self, name: str) -> bool:
        if name not in FEATURE_NAMES:
            raise KeyError(f"unknown feature {name!r}")
        return name in self.features

    @property
    def version_text(self) -> str:
        return format_version(self.version)

    @property
    def spec_module(self) -> str:
        """The module whose InputSpec/OutputSpec/SaveMode run_batch accepts in this release."""
        if self.has("specs_in_batch_inference"):
            return "snowflake.ml.model.batch_inference"
        if self.has("specs_in_batch"):
            return "snowflake.ml.model.batch"
        return "snowflake.ml.model"

    @property
    def inference_engine_module(self) -> str:
        return INFERENCE_ENGINE_MODULE

    @property
    def generation(self) -> str:
        """'2.x' or '1.x': for people reading notes, not for branching."""
        return "2.x" if self.has("run_batch_v2") else "1.x"

    def as_template_context(self) -> dict[str, object]:
        """Every feature as a boolean plus the derived names, for templates (`api.partition_column`)."""
        context: dict[str, object] = {name: name in self.features for name in sorted(FEATURE_NAMES)}
        context.update(
            version=self.version_text,
            generation=self.generation,
            spec_module=self.spec_module,
            inference_engine_module=self.inference_engine_module,
        )
        return context


def profile_for(version: str) -> ApiProfile:
    """The profile of a supported release; a clear InvalidRequest for anything outside 1.28 – 2.6.x."""
    parsed = parse_version(version)
    _check_supported(parsed, version.strip())
    return ApiProfile(parsed, frozenset(f.name for f in FEATURES if f.in_release(parsed)))
