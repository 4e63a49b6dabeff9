"""IMAGE_CHAT_DEMO — a demo model, NOT an LLM.

A deterministic program with the OpenAI chat signature (``OPENAI_CHAT_WITH_PARAMS_SIGNATURE``: messages
in; generation settings as params; ``id, object, created, model, choices, usage`` out). For each image
attached to the last user message it reports the format, size and dominant colour; for audio and video
parts their byte size; and it echoes the prompt. It generates no language: it exists so the chat
(template) flow — building message lists, resolving stage paths inside ``image_url`` / ``video_url`` /
``input_audio``, params, the chat output columns — can run end to end offline.

Image decoding: sizes come from the file headers (PNG, JPEG, GIF, BMP, PPM) in pure Python; the dominant
colour from Pillow when it is installed (any format), else from a pure-Python decoder for PNG and PPM.
The module needs nothing from snowbatch, so the pickled class loads anywhere snowflake-ml does.
"""

import base64
import hashlib
import json
import re
import struct
import zlib
from collections import Counter
from typing import Any

import pandas as pd
from snowflake.ml.model import custom_model

MODEL_LABEL = "image-chat-demo (deterministic demo model, not an LLM)"
DISCLAIMER = "(demo model, not an LLM)"
_SAMPLE_PIXELS = 20_000
_PALETTE = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "red": (200, 30, 30),
    "green": (40, 160, 60),
    "blue": (40, 80, 200),
    "yellow": (230, 210, 40),
    "orange": (240, 140, 30),
    "purple": (130, 60, 160),
    "pink": (240, 150, 180),
    "brown": (120, 80, 40),
    "cyan": (40, 190, 210),
    "navy": (20, 30, 90),
    "olive": (110, 110, 40),
    "beige": (220, 200, 160),
    "dark green": (20, 70, 30),
}


# --- image facts --------------------------------------------------------------------------------
def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) read from the header, or None when the format is not recognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return "PNG", w, h
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return "JPEG", w, h
            i += 2 + length
        return None
    if data[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", data[6:10])
        return "GIF", w, h
    if data.startswith(b"BM") and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return "BMP", w, abs(h)
    ppm = _ppm_header(data)
    if ppm:
        return "PPM", ppm[0], ppm[1]
    return None


def _ppm_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, maxval, offset of the pixels) of a binary PPM (P6)."""
    m = re.match(rb"P6\s+(?:#.*\s+)*(\d+)\s+(?:#.*\s+)*(\d+)\s+(?:#.*\s+)*(\d+)\s", data[:200])
    return (int(m[1]), int(m[2]), int(m[3]), m.end()) if m else None


def _png_pixels(data: bytes) -> list[tuple[int, int, int]] | None:
    """RGB pixels of an 8-bit, non-interlaced grey/RGB/RGBA PNG (else None): enough for the samples."""
    width, height, depth, ctype, _c, _f, interlace = struct.unpack(">IIBBBBB", data[16:29])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        return None
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    prev, rows = bytearray(stride), []
    for y in range(height):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = prev[x], prev[x - channels] if x >= channels else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 0xFF
            elif ftype == 2:
                line[x] = (line[x] + b) & 0xFF
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    out = []
    for row in rows:
        for x in range(0, stride, channels):
            px = row[x : x + channels]
            out.append((px[0], px[0], px[0]) if channels <= 2 else (px[0], px[1], px[2]))
    return out


def _pixels(data: bytes, *, pillow: bool = True) -> list[tuple[int, int, int]] | None:
    from importlib.util import find_spec

    if pillow and find_spec("PIL") is not None:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            return list(img.convert("RGB").getdata())
    if data.startswith(b"\x89PNG"):
        return _png_pixels(data)
    ppm = _ppm_header(data)
    if ppm and ppm[2] == 255:
        w, h, _m, off = ppm
        body = data[off : off + w * h * 3]
        return [(body[i], body[i + 1], body[i + 2]) for i in range(0, len(body) - 2, 3)]
    return None


def dominant_colour(data: bytes, *, pillow: bool = True) -> tuple[str, str, float] | None:
    """(hex, nearest colour name, share of pixels) of the most common colour bucket, or None.

    Pixels are sampled evenly (at most 20,000), put in 32-level buckets per channel, and the fullest
    bucket's mean colour is reported. The same pixels give the same answer with or without Pillow.
    """
    pixels = _pixels(data, pillow=pillow)
    if not pixels:
        return None
    step = max(1, len(pixels) // _SAMPLE_PIXELS)
    sample = pixels[::step]
    buckets = Counter((r >> 5, g >> 5, b >> 5) for r, g, b in sample)
    top, count = min(buckets.items(), key=lambda kv: (-kv[1], kv[0]))
    members = [p for p in sample if (p[0] >> 5, p[1] >> 5, p[2] >> 5) == top]
    mean = tuple(round(sum(p[i] for p in members) / len(members)) for i in range(3))
    name = min(_PALETTE, key=lambda n: sum((a - b) ** 2 for a, b in zip(_PALETTE[n], mean, strict=True)))
    return "#{:02x}{:02x}{:02x}".format(*mean), name, count / len(sample)


# --- chat ---------------------------------------------------------------------------------------
def _decode_data(value: str) -> tuple[str, bytes] | None:
    """(mime, bytes) of a data URL or plain base64 text; None for anything else (e.g. http URLs)."""
    mime = ""
    if value.startswith("data:"):
        header, _, value = value.partition(",")
        mime = header[5:].split(";")[0]
    try:
        return mime, base64.b64decode(value, validate=True)
    except ValueError:
        return None


def describe_part(part: dict[str, Any], n: int) -> str | None:
    kind = part.get("type")
    if kind == "image_url" or (kind is None and part.get("image_url")):
        url = str((part.get("image_url") or {}).get("url") or "")
        decoded = _decode_data(url)
        if decoded is None:
            return f"image {n}: {url[:80]!r} was not fetched (this demo model works offline only)"
        data = decoded[1]
        size = image_size(data)
        if size is None:
            return f"image {n}: {len(data):,} bytes in an unrecognised format"
        text = f"image {n}: {size[0]} {size[1]}×{size[2]}"
        colour = dominant_colour(data)
        if colour:
            text += f", dominant colour {colour[0]} ({colour[1]}, {colour[2]:.0%} of sampled pixels)"
        else:
            text += ", dominant colour unknown (install pillow to decode this format)"
        return text
    if kind == "video_url" or (kind is None and part.get("video_url")):
        decoded = _decode_data(str((part.get("video_url") or {}).get("url") or ""))
        return f"video {n}: {len(decoded[1]):,} bytes" if decoded else f"video {n}: not fetched"
    if kind == "input_audio" or (kind is None and part.get("input_audio")):
        audio = part.get("input_audio") or {}
        decoded = _decode_data(str(audio.get("data") or ""))
        fmt = audio.get("format") or "?"
        return f"audio {n} ({fmt}): {len(decoded[1]):,} bytes" if decoded else f"audio {n}: not decoded"
    return None


def _parse_messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        value = json.loads(value)
    if hasattr(value, "tolist"):
        value = value.tolist()
    return [dict(m) for m in value]


def reply(messages: list[dict[str, Any]], max_completion_tokens: int) -> dict[str, Any]:
    """One chat completion, deterministically: same messages and settings → same output."""
    prompt_words, facts, n = [], [], 0
    for message in messages:
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        for part in parts:
            part = dict(part)
            if part.get("type") == "text" or (part.get("type") is None and part.get("text")):
                prompt_words += str(part.get("text") or "").split()
                continue
            n += 1
            fact = describe_part(part, n)
            if fact:
                facts.append(fact)
    last_user: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    user_text = last_user.get("content")
    if isinstance(user_text, list):
        user_text = " ".join(str(p.get("text")) for p in user_text if p.get("text"))
    words = [DISCLAIMER]
    if user_text:
        words += f"You asked: {user_text!s}".split()
    words += ("; ".join(facts) + "." if facts else "No media attached.").split()
    truncated = len(words) > max_completion_tokens
    words = words[: max(1, max_completion_tokens)]
    digest = hashlib.sha256(json.dumps(messages, sort_keys=True, default=str).encode()).hexdigest()
    return {
        "id": f"chatcmpl-demo-{digest[:24]}",
        "object": "chat.completion",
        "created": 0.0,  # deterministic on purpose: this is a demo model, not a service
        "model": MODEL_LABEL,
        "choices": [
            {
                "index": 0,
                "message": {"content": " ".join(words), "name": None, "role": "assistant"},
                "logprobs": None,
                "finish_reason": "length" if truncated else "stop",
            }
        ],
        "usage": {
            "completion_tokens": len(words),
            "prompt_tokens": len(prompt_words) + n,
            "total_tokens": len(words) + len(prompt_words) + n,
        },
    }


class ImageChatDemo(custom_model.CustomModel):
    """Demo model — not an LLM. Reports image sizes and dominant colours in OpenAI chat format."""

    @custom_model.inference_api
    def __call__(
        self,
        df: pd.DataFrame,
        *,
        temperature: float = 1.0,
        max_completion_tokens: int = 250,
        stop: list[str] = [],  # noqa: B006 - the signature's default; never mutated
        n: int = 1,
        stream: bool = False,
        top_p: float = 1.0,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        response_format: dict = {},  # noqa: B006 - never mutated
        model: str = "",
    ) -> pd.DataFrame:
        column = next(c for c in df.columns if str(c).lower() == "messages")
        rows = [reply(_parse_messages(m), int(max_completion_tokens)) for m in df[column]]
        return pd.DataFrame(rows, columns=["id", "object", "created", "model", "choices", "usage"])


def signatures() -> dict[str, Any]:
    from snowflake.ml.model.openai_signatures import OPENAI_CHAT_WITH_PARAMS_SIGNATURE

    return dict(OPENAI_CHAT_WITH_PARAMS_SIGNATURE)


# --- sample images without Pillow -----------------------------------------------------------------
def png_bytes(width: int, height: int, pixel: Any) -> bytes:
    """An 8-bit RGB PNG whose pixel (x, y) is `pixel(x, y)` — for making test images with no libraries."""
    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
