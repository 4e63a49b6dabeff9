"""Tool definitions as the assistant reads them: the same contract in fewer bytes.

Every byte of tools/list is paid for in every conversation. pydantic's schemas carry what a model
does not need: a generated `title` on every node, and `anyOf [T, null]` with `default: null` for each
optional argument (leaving an argument out already means None). Validation is unchanged: calls are
still checked against the tool's own pydantic model, which also accepts an explicit null.
"""

from __future__ import annotations

import inspect
from typing import Any

_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains")


def _is_null(node: Any) -> bool:
    return isinstance(node, dict) and node == {"type": "null"}


def compact_schema(node: Any) -> Any:
    """A JSON Schema node without titles, null defaults and optional-null unions."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if (key == "type" and "const" in node) or (key == "additionalProperties" and value is True):
            continue  # a const says its type; extra properties are allowed unless said otherwise
        if key in ("properties", "$defs", "patternProperties"):
            out[key] = {name: compact_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [compact_schema(sub) for sub in value]
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            out[key] = compact_schema(value)
        else:
            out[key] = value
    alternatives = out.get("anyOf")
    if isinstance(alternatives, list) and any(_is_null(a) for a in alternatives):
        kept = [a for a in alternatives if not _is_null(a)]
        if len(kept) == 1:  # `T or null`: an optional T (leave it out for None)
            del out["anyOf"]
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    return out


def _refs(node: Any, counts: dict[str, int]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            counts[ref] = counts.get(ref, 0) + 1
        for value in node.values():
            _refs(value, counts)
    elif isinstance(node, list):
        for value in node:
            _refs(value, counts)


def _inline(node: Any, defs: dict[str, Any], once: set[str]) -> Any:
    if isinstance(node, list):
        return [_inline(v, defs, once) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref in once:
        target = defs[ref.rsplit("/", 1)[-1]]
        return _inline({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs, once)
    return {k: _inline(v, defs, once) for k, v in node.items()}


def compact_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema compacted, with every definition used once written in place."""
    out = compact_schema(schema)
    defs = out.get("$defs")
    if not isinstance(defs, dict):
        return out
    counts: dict[str, int] = {}
    _refs({k: v for k, v in out.items() if k != "$defs"}, counts)
    _refs(defs, counts)
    once = {ref for ref, n in counts.items() if n == 1 and ref.startswith("#/$defs/")}
    inlined = _inline({k: v for k, v in out.items() if k != "$defs"}, defs, once)
    kept = {name: _inline(d, defs, once) for name, d in defs.items() if f"#/$defs/{name}" not in once}
    return {**inlined, "$defs": kept} if kept else inlined


def compact_description(text: str | None) -> str | None:
    """A docstring without its source indentation."""
    return inspect.cleandoc(text) if text else text


def compact_annotations(annotations: Any) -> Any:
    """Hints at their MCP defaults left out (destructiveHint true, idempotentHint false, openWorldHint
    true; the first two mean something only when readOnlyHint is false). readOnlyHint is always said."""
    if annotations is None:
        return None
    read_only = bool(annotations.read_only_hint)
    keep: dict[str, Any] = {"read_only_hint": read_only}
    if not read_only and annotations.destructive_hint is False:
        keep["destructive_hint"] = False
    if not read_only and annotations.idempotent_hint:
        keep["idempotent_hint"] = True
    if annotations.open_world_hint is False:
        keep["open_world_hint"] = False
    return annotations.model_copy(
        update={
            k: keep.get(k)
            for k in ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint")
        }
    )
