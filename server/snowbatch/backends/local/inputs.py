"""Turning a job's input rows into what the model's function receives, as the job container would:
files named by stage paths read with the chosen encoding (`column_handling`), and stage paths inside
OpenAI chat messages (`image_url.url`, `video_url.url`, `input_audio.data`) resolved to data.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Callable
from typing import Any

from snowbatch.core.requests import chat_messages_for_file

__all__ = ["apply_column_handling", "chat_messages_for_file", "encode_file", "resolve_chat_messages"]

ReadFile = Callable[[str], bytes]

_AUDIO_MIME = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg"}


def guess_mime(path: str) -> str:
    mime, _ = mimetypes.guess_type(path)
    if mime:
        return mime
    return _AUDIO_MIME.get(path.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def encode_file(path: str, data: bytes, encoding: str) -> bytes | str:
    if encoding == "RAW_BYTES":
        return data
    b64 = base64.b64encode(data).decode("ascii")
    if encoding == "BASE64":
        return b64
    if encoding == "BASE64_DATA_URL":
        return f"data:{guess_mime(path)};base64,{b64}"
    raise ValueError(f"unknown file encoding {encoding!r}")


def apply_column_handling(values: list[Any], encoding: str, read_file: ReadFile) -> list[Any]:
    """Replace each stage path in a column by the file's content in `encoding` (None stays None)."""
    return [None if v is None else encode_file(str(v), read_file(str(v)), encoding) for v in values]


def _resolve_part(part: dict[str, Any], read_file: ReadFile) -> dict[str, Any]:
    part = dict(part)
    for key in ("image_url", "video_url"):
        media = part.get(key)
        if isinstance(media, dict) and str(media.get("url", "")).startswith("@"):
            url = str(media["url"])
            part[key] = {**media, "url": encode_file(url, read_file(url), "BASE64_DATA_URL")}
    audio = part.get("input_audio")
    if isinstance(audio, dict) and str(audio.get("data", "")).startswith("@"):
        path = str(audio["data"])
        part["input_audio"] = {
            **audio,
            "data": encode_file(path, read_file(path), "BASE64"),
            "format": audio.get("format") or path.rsplit(".", 1)[-1].lower(),
        }
    return part


def resolve_chat_messages(messages: Any, read_file: ReadFile) -> list[dict[str, Any]]:
    """A message list (JSON text or list) with every stage path in its media parts replaced by data."""
    parsed = json.loads(messages) if isinstance(messages, str) else messages
    out = []
    for message in parsed:
        content = message.get("content")
        if isinstance(content, list):
            message = {**message, "content": [_resolve_part(p, read_file) for p in content]}
        out.append(message)
    return out
