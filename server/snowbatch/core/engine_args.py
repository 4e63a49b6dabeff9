"""vLLM engine arguments as a batch job gives them (`engine_args`), read the way vLLM's own parser reads
them: `--flag=value` or `--flag value`, the aliases `-tp` and `-pp` (vllm-project/vllm
`vllm/engine/arg_utils.py`, `EngineArgs.add_cli_args`), underscores for dashes in names
(`FlexibleArgumentParser`, vLLM `vllm/utils`), the last of a repeated flag winning as with argparse.
core.engine_checks checks the values against the pool and the input."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

TENSOR_PARALLEL = "--tensor-parallel-size"
PIPELINE_PARALLEL = "--pipeline-parallel-size"
MAX_MODEL_LEN = "--max-model-len"
GPU_MEMORY = "--gpu-memory-utilization"
MEDIA_LIMIT = "--limit-mm-per-prompt"
ALIASES = {"-tp": TENSOR_PARALLEL, "-pp": PIPELINE_PARALLEL}
# the flags checked here, in the order the summary shows them, with their readable names
LABELS = {
    TENSOR_PARALLEL: "tensor parallel",
    PIPELINE_PARALLEL: "pipeline parallel",
    MAX_MODEL_LEN: "max model length",
    GPU_MEMORY: "GPU memory use",
    MEDIA_LIMIT: "media per prompt",
}
CHECK_NAMES = {
    TENSOR_PARALLEL: "engine_parallel",
    PIPELINE_PARALLEL: "engine_parallel",
    MAX_MODEL_LEN: "engine_max_model_len",
    GPU_MEMORY: "engine_gpu_memory",
    MEDIA_LIMIT: "engine_media_limit",
}
MEDIA_PARTS = {"image_url": "image", "video_url": "video", "input_audio": "audio"}
# `--max-model-len` with a suffix: vLLM's `human_readable_int` ("Parse human-readable integers like '1k',
# '2M'": `1k` is 1,000, `1K` is 1,024), seen in vllm-project/vllm `vllm/engine/arg_utils.py` of the
# 0.8-0.10 era; older releases parsed a plain int. The release that added it is UNVERIFIED.
HUMAN_INT = re.compile(r"\d+(?:\.\d+)?[kKmMgGtT]")
_NEGATIVE_NUMBER = re.compile(r"-\d+(?:\.\d+)?")
# a flag and, in the same item, its value after `=` or after white space
_FLAG = re.compile(r"(-{1,2}[^=\s]+)(?:=(.*)|\s+(.*))?", re.DOTALL)
_KEY_VALUE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*")


@dataclass(frozen=True)
class EngineArgs:
    """engine_args read the way vLLM's parser reads them: the checked flags' values (by canonical name;
    the last given wins), the checked flags given without a value, and every other item untouched."""

    values: dict[str, str]
    missing: tuple[str, ...]
    others: tuple[str, ...]


def _canonical(name: str) -> str:
    if name in ALIASES:
        return ALIASES[name]
    return "--" + name[2:].replace("_", "-") if name.startswith("--") else name


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _is_value(item: str) -> bool:
    """An item that follows a flag is its value unless it is itself a flag (argparse reads `-1` as a value
    when no option looks like a negative number)."""
    text = item.strip()
    return bool(text) and (not text.startswith("-") or bool(_NEGATIVE_NUMBER.fullmatch(text)))


def parse_engine_args(args: list[str] | None) -> EngineArgs:
    items = list(args or [])
    values: dict[str, str] = {}
    missing: list[str] = []
    others: list[str] = []
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        text = item.strip()
        if not text.startswith("-"):
            others.append(item)  # a value of an unchecked flag, or a stray word: untouched
            continue
        match = _FLAG.fullmatch(text)
        if match is None:
            others.append(item)
            continue
        name, value = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
        flag = _canonical(name)
        if flag not in LABELS:
            others.append(item)
            continue
        if value is None and i < len(items) and _is_value(items[i]):
            value = items[i]
            i += 1
        if value is None or not value.strip():
            missing.append(flag)
            values.pop(flag, None)
            continue
        values[flag] = _unquote(value)
        missing = [m for m in missing if m != flag]
    return EngineArgs(values=values, missing=tuple(missing), others=tuple(others))


def parse_media_limit(raw: str) -> dict[str, int] | None:
    """`--limit-mm-per-prompt` as a count per modality, or None when it is malformed.

    Two syntaxes, by vLLM release (which one Snowflake's inference image runs is UNVERIFIED):
    * JSON, `{"image": 16, "video": 2}`: vLLM 0.11 docs, `MultiModalConfig.limit_per_prompt`
      (https://docs.vllm.ai/en/v0.11.0/api/vllm/config/multimodal.html); newer releases also take
      `{"image": {"count": 5, "width": 512}}`, a missing count being 999 (vllm-project/vllm
      `vllm/config/multimodal.py`, `BaseDummyOptions.count = Field(999, ge=0)`).
    * `image=16,video=2`: the engine-argument help of the vLLM 0.6/0.7 docs (`vllm serve` CLI reference:
      "Expects a comma-separated list of items, e.g.: image=16,video=2 allows a maximum of 16 images and 2
      videos per prompt. Defaults to 1 for each modality.").
    The release that dropped the second form is UNVERIFIED, so both are accepted.
    """
    text = _unquote(raw)
    if text.startswith("{"):
        try:
            data: Any = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        limits: dict[str, int] = {}
        for key, value in data.items():
            count = value.get("count", 999) if isinstance(value, dict) else value
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                return None
            limits[str(key)] = count
        return limits
    matches = [_KEY_VALUE.fullmatch(p) for p in text.split(",")]
    if not all(matches):
        return None
    return {m.group(1): int(m.group(2)) for m in matches if m}


def whole_number(raw: str) -> int | None:
    text = raw.strip()
    return int(text) if text.isdigit() else None
