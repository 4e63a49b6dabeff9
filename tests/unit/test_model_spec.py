"""Both layouts of a version's model spec read alike: the packager's model.yaml and the 2.0 layout that
snowflake-ml-python 2.6 parses (`_client/model_spec/model_spec_parser.py`)."""

from snowbatch.core import model_spec
from snowbatch.core.signatures import functions_from_model_spec

SIGNATURE = {
    "inputs": [{"name": "TENURE", "type": "DOUBLE"}],
    "outputs": [{"name": "output_feature_0", "type": "DOUBLE"}],
}
LEGACY = {"model_type": "sklearn", "task": "TABULAR_REGRESSION", "signatures": {"predict": SIGNATURE}}
V2 = {
    "version": "2.0",
    "model": {
        "type": "USER_MODEL",
        "framework": "SKLEARN",
        "task": "TABULAR_REGRESSION",
        "details": {"models": {"m": {"model_type": "sklearn"}}},
        "target_platforms": ["warehouse", "SNOWPARK_CONTAINER_SERVICES"],
    },
    "serving": {
        "env": {"cpu": {"python_version": "3.11"}},
        "functions": {
            "predict": {"signature": SIGNATURE},
            "explain": {
                "type": "TABLE_FUNCTION",
                "signature": SIGNATURE,
                "properties": {"is_partition": False},
            },
        },
    },
}


def test_a_version_2_spec_shows_the_same_functions_as_its_legacy_twin() -> None:
    legacy = {f.name: f for f in functions_from_model_spec(LEGACY)}
    v2 = {f.name: f for f in functions_from_model_spec(V2)}
    assert legacy["PREDICT"] == v2["PREDICT"]
    assert v2["EXPLAIN"].function_type == "TABLE_FUNCTION" and not v2["EXPLAIN"].is_partitioned


def test_framework_task_and_platforms_come_from_either_layout() -> None:
    assert model_spec.model_type(LEGACY) == model_spec.model_type(V2) == "sklearn"  # 2.0 writes SKLEARN
    assert model_spec.task(LEGACY) == model_spec.task(V2) == "TABULAR_REGRESSION"
    assert model_spec.target_platforms(LEGACY) == []
    assert model_spec.target_platforms(V2) == ["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"]


def test_only_a_model_packaged_for_gpu_alone_is_gpu_only() -> None:
    cpu = {"runtimes": {"cpu": {}}}
    both = {"runtimes": {"cpu": {}, "gpu": {}}, "env": {"cuda_version": "12.4"}}
    gpu = {"runtimes": {"gpu": {}}}
    assert [model_spec.gpu_only(s) for s in (cpu, both, gpu)] == [False, False, True]
    assert [model_spec.has_gpu_runtime(s) for s in (cpu, both, gpu)] == [False, True, True]


def test_a_version_2_spec_is_gpu_only_when_every_environment_names_cuda() -> None:
    def with_envs(**envs: dict) -> dict:
        return {**V2, "serving": {**V2["serving"], "env": envs}}

    mixed = with_envs(cpu={}, gpu={"cuda_version": "12.4"})
    gpu = with_envs(gpu={"cuda_version": "12.4"})
    assert not model_spec.gpu_only(mixed) and model_spec.has_gpu_runtime(mixed)
    assert model_spec.gpu_only(gpu)


def test_table_functions_follow_snowflake_mls_partition_defaults() -> None:
    def shape(method: str, **spec: object) -> tuple[str, bool]:
        return model_spec.function_shape({"signatures": {method: SIGNATURE}, **spec}, method)

    assert shape("predict") == ("FUNCTION", False)
    # explain is a table function; without the PARTITIONED property a legacy spec counts it partitioned
    assert shape("explain") == ("TABLE_FUNCTION", True)
    assert shape("explain", function_properties={"explain": {"PARTITIONED": False}}) == (
        "TABLE_FUNCTION",
        False,
    )
    # a partitioned custom method is a table function even when no method option says so
    assert shape("predict", function_properties={"predict": {"PARTITIONED": True}}) == (
        "TABLE_FUNCTION",
        True,
    )
    assert shape("predict", model_type="prophet") == ("TABLE_FUNCTION", True)
