"""Model function signatures, read from the `signatures` mapping of a model's model.yaml.

The same YAML is what Snowflake returns as `model_spec` from SHOW VERSIONS IN MODEL, so both backends
build `FunctionInfo` from one parser. The derived *input kind* drives routing, pool advice and codegen:
`tabular` (ordinary columns), `files` (BYTES inputs, or strings that carry encoded files: the
non-template flow) and `chat` (an OpenAI `messages` input: the template flow).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

InputKind = Literal["tabular", "files", "chat"]
FunctionType = Literal["FUNCTION", "TABLE_FUNCTION"]

# Types a table column can carry into each signature type (Snowflake SQL types, upper-cased base names).
_NUMERIC_SQL = {"NUMBER", "DECIMAL", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"}
_FLOAT_SQL = {"FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"}
_STRING_SQL = {"VARCHAR", "STRING", "TEXT", "CHAR", "CHARACTER", "NCHAR", "NVARCHAR"}
_COMPATIBLE: dict[str, set[str]] = {
    "INT": _NUMERIC_SQL,
    "FLOAT": _NUMERIC_SQL | _FLOAT_SQL,
    "BOOL": {"BOOLEAN"} | _NUMERIC_SQL,
    "STRING": _STRING_SQL,
    "BYTES": {"BINARY", "VARBINARY"} | _STRING_SQL,
    "TIMESTAMP": {"TIMESTAMP_NTZ", "TIMESTAMP", "DATETIME", "TIMESTAMP_LTZ", "TIMESTAMP_TZ", "DATE"},
    "OBJECT": {"OBJECT", "VARIANT", "ARRAY"} | _STRING_SQL,
}
# A STRING input whose name says it carries an encoded file (base64 or a data URL).
_FILE_STRING_NAME = re.compile(r"(image|img|audio|video|file|b64|base64|bytes|data_url|pdf)", re.I)
_CHAT_SIGNAL = {"role", "content"}


def dtype_family(dtype: str) -> str:
    """Collapse snowflake-ml DataType names into families that decide column compatibility."""
    d = dtype.upper()
    if d.startswith(("INT", "UINT")):
        return "INT"
    if d in ("FLOAT", "DOUBLE"):
        return "FLOAT"
    if d.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    return d


def sql_type_fits(sql_type: str, feature: FeatureInfo) -> bool:
    """Whether a column of `sql_type` can feed `feature` without a cast."""
    if feature.is_group or feature.shape:
        return sql_type.upper().split("(")[0] in {"ARRAY", "OBJECT", "VARIANT"} | _STRING_SQL
    base = sql_type.upper().split("(")[0].strip()
    allowed = _COMPATIBLE.get(dtype_family(feature.dtype))
    return True if allowed is None else base in allowed


class FeatureInfo(BaseModel):
    name: str
    dtype: str = Field(description="snowflake-ml DataType name, or GROUP for a nested group")
    shape: list[int] | None = None
    nullable: bool = True
    fields: list[FeatureInfo] = Field(default_factory=list, description="members of a feature group")

    @property
    def is_group(self) -> bool:
        return self.dtype == "GROUP"

    def describe(self) -> str:
        """`NAME: TYPE`, the name as it would be typed back (quoted when case or characters need it)."""
        from snowbatch.core.input_columns import shown_column

        shape = f"{self.shape}" if self.shape else ""
        return f"{shown_column(self.name)}: {self.dtype}{shape}"


class ParamInfo(BaseModel):
    name: str
    dtype: str
    default: Any = None
    shape: list[int] | None = None


class FunctionInfo(BaseModel):
    """One callable function of a model version, as SHOW FUNCTIONS / show_functions() would list it."""

    name: str = Field(description="SQL name, e.g. PREDICT or __CALL__")
    target_method: str = Field(description="Python method the job runs, e.g. predict or __call__")
    function_type: FunctionType = "FUNCTION"
    is_partitioned: bool = False
    inputs: list[FeatureInfo]
    outputs: list[FeatureInfo]
    params: list[ParamInfo] = Field(default_factory=list)

    @property
    def input_kind(self) -> InputKind:
        return classify_inputs(self.inputs)

    @property
    def file_inputs(self) -> list[FeatureInfo]:
        return [f for f in self.inputs if is_file_input(f)]


def is_file_input(feature: FeatureInfo) -> bool:
    if feature.is_group:
        return False
    if feature.dtype.upper() == "BYTES":
        return True
    return feature.dtype.upper() == "STRING" and bool(_FILE_STRING_NAME.search(feature.name))


def is_chat_input(feature: FeatureInfo) -> bool:
    if not feature.is_group or feature.name.lower() != "messages":
        return False
    return {f.name.lower() for f in feature.fields} >= _CHAT_SIGNAL


def classify_inputs(inputs: list[FeatureInfo]) -> InputKind:
    if any(is_chat_input(f) for f in inputs):
        return "chat"
    if any(is_file_input(f) for f in inputs):
        return "files"
    return "tabular"


def _feature_from_dict(raw: Mapping[str, Any]) -> FeatureInfo:
    if "feature_group" in raw:  # older to_dict() layout
        raw = raw["feature_group"]
    shape = list(raw["shape"]) if raw.get("shape") else None
    if "specs" in raw:
        return FeatureInfo(
            name=raw["name"],
            dtype="GROUP",
            shape=shape,
            fields=[_feature_from_dict(s) for s in raw["specs"]],
        )
    return FeatureInfo(
        name=raw["name"],
        dtype=str(raw.get("type") or raw.get("dtype")),
        shape=shape,
        nullable=bool(raw.get("nullable", True)),
    )


def _param_from_dict(raw: Mapping[str, Any]) -> ParamInfo:
    if "specs" in raw:
        return ParamInfo(name=raw["name"], dtype="GROUP", default=None)
    shape = list(raw["shape"]) if raw.get("shape") else None
    return ParamInfo(
        name=raw["name"],
        dtype=str(raw.get("dtype") or raw.get("type")),
        default=raw.get("default_value"),
        shape=shape,
    )


def sql_function_name(method: str) -> str:
    """The SQL name Snowflake gives a Python method: upper-cased when that is a plain identifier."""
    return method.upper() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", method) else f'"{method}"'


def functions_from_model_spec(spec: Mapping[str, Any]) -> list[FunctionInfo]:
    """FunctionInfo for every method in a model spec (either layout, `core.model_spec`), by SQL name."""
    from snowbatch.core import model_spec

    functions = []
    for method, sig in model_spec.method_signatures(spec).items():
        function_type, partitioned = model_spec.function_shape(spec, method)
        functions.append(
            FunctionInfo(
                name=sql_function_name(method),
                target_method=method,
                function_type="TABLE_FUNCTION" if function_type == "TABLE_FUNCTION" else "FUNCTION",
                is_partitioned=partitioned,
                inputs=[_feature_from_dict(f) for f in sig.get("inputs", [])],
                outputs=[_feature_from_dict(f) for f in sig.get("outputs", [])],
                params=[_param_from_dict(p) for p in sig.get("params", []) or []],
            )
        )
    return sorted(functions, key=lambda f: f.name)


def find_function(functions: list[FunctionInfo], wanted: str | None) -> FunctionInfo:
    """Pick a function the way run_batch does: by SQL or Python name; none given → the only one."""
    from snowbatch.core.errors import InvalidRequest, NotFound, did_you_mean

    names = [f.name for f in functions]
    if wanted is None:
        if len(functions) == 1:
            return functions[0]
        raise InvalidRequest(
            f"This model has {len(functions)} functions ({', '.join(names)}), so one must be chosen.",
            "Pass function= with one of them (show_model_functions lists what each returns).",
        )
    key = wanted.strip()
    for f in functions:
        if key in (f.name, f.target_method) or (not key.startswith('"') and key.upper() == f.name):
            return f
    raise NotFound(
        f"The model has no function {wanted!r}.{did_you_mean(wanted, names)}",
        f"Use one of: {', '.join(names)}.",
    )
