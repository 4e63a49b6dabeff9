"""tools/list is portable: every input schema is plain JSON Schema (2020-12) that a strict validator
accepts, with no OpenAPI-only keywords; the plan's `input` says in the schema itself that `kind` is
required. Arguments the schema refuses are refused by the server in our words, not pydantic's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import Client

from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.integration.helpers import TABLE_PLAN, call_error

pytestmark = pytest.mark.anyio
LIBRARY_WORDS = (
    "validation error",
    "Field required",
    "pydantic",
    "union_tag",
    "Input should",
    "errors.pydantic",
)


async def schemas(tmp_path: Path) -> dict[str, dict[str, Any]]:
    async with Client(build_server(Settings(backend="local", home=tmp_path))) as client:
        return {t.name: dict(t.input_schema or {}) for t in (await client.list_tools()).tools}


def keys_anywhere(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in keys_anywhere(v)}
    if isinstance(node, list):
        return {k for v in node for k in keys_anywhere(v)}
    return set()


async def test_every_input_schema_is_strict_json_schema_without_openapi_keywords(tmp_path: Path) -> None:
    tools = await schemas(tmp_path)
    assert len(tools) >= 20
    for name, schema in tools.items():
        Draft202012Validator.check_schema(schema)  # raises on anything not JSON Schema
        assert not keys_anywhere(schema) & {"discriminator", "nullable", "example"}, name


async def test_the_plan_input_requires_kind_in_every_alternative(tmp_path: Path) -> None:
    schema = (await schemas(tmp_path))["plan_batch_job"]
    validator = Draft202012Validator(schema)
    alternatives = schema["properties"]["input"]["oneOf"]
    defs = schema.get("$defs", {})
    kinds = set()
    for alt in alternatives:
        target = defs[alt["$ref"].rsplit("/", 1)[1]] if "$ref" in alt else alt
        assert "kind" in target["required"], target
        kinds.add(target["properties"]["kind"]["const"])
    assert kinds == {"table", "rows", "files", "chat"}
    assert validator.is_valid(TABLE_PLAN)
    no_kind = {**TABLE_PLAN, "input": {"table": "ML.PUBLIC.CUSTOMERS"}}
    assert not validator.is_valid(no_kind)  # a client that validates catches it before calling


@pytest.mark.parametrize(
    ("bad_input", "said"),
    [
        ({"table": "ML.PUBLIC.CUSTOMERS"}, "input.kind must be given, as one of table, rows, files, chat"),
        ({"kind": "parquet", "table": "X"}, "input.kind must be given, as one of table, rows, files, chat"),
        ({"kind": "table"}, "input: give exactly one of table, query, job_id, parquet (given: none)"),
        ({"kind": "table", "table": "T", "job_id": "J"}, "give exactly one of table, query, job_id, parquet"),
        ({"kind": "rows", "rows": []}, "input.rows takes at least 1 item(s)"),
        ({"kind": "rows", "rows": [{"TENURE_MONTHS": 1}] * 10_001}, "load them into a table"),
        (
            {"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/", "limit": 0},
            "input.limit must be at least 1",
        ),
    ],
)
async def test_arguments_the_schema_refuses_get_our_error(
    tmp_path: Path, bad_input: dict[str, Any], said: str
) -> None:
    async with Client(build_server(Settings(backend="local", home=tmp_path))) as client:
        text = await call_error(client, "plan_batch_job", {**TABLE_PLAN, "input": bad_input})
    assert said in text and "Next step" in text and "Nothing was done" in text, text
    assert not any(w in text for w in LIBRARY_WORDS), text
    assert json.dumps(bad_input)[:40] not in text  # the input itself is not echoed back
