"""What each snowflake-ml-python release offers, as profiles: resolved from a version string, with the
supported range enforced and every feature boundary where the reference puts it."""

from __future__ import annotations

import pytest

from snowbatch.core.api_profiles import FEATURE_NAMES, FEATURES, parse_version, profile_for
from snowbatch.core.errors import InvalidRequest


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("2.6.0", (2, 6, 0)),
        ("1.38", (1, 38, 0)),
        (" v1.45.2 ", (1, 45, 2)),
        ("2.6.1rc1", (2, 6, 1)),
        ("2.0.0.post1", (2, 0, 0)),
    ],
)
def test_versions_parse_as_people_write_them(text: str, version: tuple[int, int, int]) -> None:
    assert parse_version(text) == version


@pytest.mark.parametrize("text", ["", "two", "2", "latest"])
def test_a_non_version_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(InvalidRequest, match=r"MAJOR\.MINOR\.PATCH"):
        parse_version(text)


@pytest.mark.parametrize("version", ["1.28.0", "1.33.0", "1.54.2", "2.0.0", "2.6.0", "2.6.9"])
def test_the_supported_range_is_1_28_to_2_6_x(version: str) -> None:
    assert profile_for(version).version == parse_version(version)


def test_older_releases_are_refused_with_the_upgrade_to_make() -> None:
    with pytest.raises(InvalidRequest) as caught:
        profile_for("1.27.1")
    assert "older than 1.28.0" in caught.value.problem
    assert "pip install 'snowflake-ml-python>=1.28'" in caught.value.next_step


def test_newer_releases_are_refused_with_the_newest_known_target() -> None:
    with pytest.raises(InvalidRequest) as caught:
        profile_for("2.7.0")
    assert "newer than 2.6.x" in caught.value.problem
    assert "snowml_version='2.6.0'" in caught.value.next_step


@pytest.mark.parametrize(
    ("version", "module"),
    [
        ("1.28.0", "snowflake.ml.model.batch"),
        ("1.54.0", "snowflake.ml.model.batch"),
        ("2.0.0", "snowflake.ml.model.batch_inference"),
        ("2.6.0", "snowflake.ml.model.batch_inference"),
    ],
)
def test_spec_classes_come_from_the_module_of_that_release(version: str, module: str) -> None:
    assert profile_for(version).spec_module == module


# (feature, last release without it, first release with it) — from reference/snowml-batch-api.md.
INTRODUCED = [
    ("partition_column", "1.30.9", "1.31.0"),
    ("python_generic_engine", "1.28.0", "1.29.0"),
    ("max_batch_rows_auto", "1.32.0", "1.33.0"),
    ("job_name_prefix", "1.33.0", "1.34.0"),
    ("job_spec_block", "1.34.0", "1.35.0"),
    ("base_stage_location", "1.36.0", "1.37.0"),
    ("chat_with_params_auto_signature", "1.37.0", "1.38.0"),
    ("list_stage_files_from_directory_tables", "1.37.0", "1.38.0"),
    ("engine_from_string", "1.42.0", "1.43.0"),
    ("response_format_column", "1.46.0", "1.47.0"),
    ("run_batch_deprecation_warning", "1.49.0", "1.50.0"),
    ("run_batch_v2", "1.54.0", "2.0.0"),
    ("per_job_output_folder", "1.54.0", "2.0.0"),
    ("input_stage_location", "1.54.0", "2.0.0"),
    ("engine_options_class", "1.54.0", "2.0.0"),
    ("async_kwarg", "1.54.0", "2.0.0"),
    ("lora_adapters", "2.3.0", "2.4.0"),
]


@pytest.mark.parametrize(("feature", "before", "since"), INTRODUCED)
def test_features_start_at_their_release(feature: str, before: str, since: str) -> None:
    assert not profile_for(before).has(feature)
    assert profile_for(since).has(feature)


@pytest.mark.parametrize(
    "feature",
    [
        "job_spec",
        "specs_in_batch",
        "engine_options_dict",
        "job_name_prefix",
        "job_spec_block",
        "base_stage_location",
        "client_adds_tensor_parallel",
        "v2_specs_preview",
    ],
)
def test_1_x_only_features_are_gone_in_2_0(feature: str) -> None:
    assert profile_for("1.54.0").has(feature)
    assert not profile_for("2.0.0").has(feature)


def test_the_two_run_batch_forms_never_overlap() -> None:
    for minor in range(28, 55):
        profile = profile_for(f"1.{minor}.0")
        assert profile.has("job_spec") and not profile.has("run_batch_v2")
    for minor in range(7):
        profile = profile_for(f"2.{minor}.0")
        assert profile.has("run_batch_v2") and not profile.has("job_spec")


def test_templates_see_every_feature_as_a_boolean() -> None:
    context = profile_for("1.45.0").as_template_context()
    assert {k for k, v in context.items() if isinstance(v, bool)} == FEATURE_NAMES
    assert context["version"] == "1.45.0" and context["generation"] == "1.x"


def test_asking_for_an_unknown_feature_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        profile_for("2.6.0").has("partition_columns")


def test_feature_names_are_unique_and_ranges_not_empty() -> None:
    assert len(FEATURE_NAMES) == len(FEATURES)
    for feature in FEATURES:
        assert feature.until is None or feature.since < feature.until, feature.name
