"""Models that report exactly what a batch job handed them: the files flow's ground truth.

`FileInspector` takes a BYTES input (the job reads each stage file with ``convert_to=RAW_BYTES``);
`Base64Inspector` takes a STRING input holding plain base64 (``BASE64``) or a data URL
(``BASE64_DATA_URL``). Both decode what they receive and return its length and SHA-256, so a test can
compare them with the file on the stage byte for byte. Self-contained (stdlib + pandas) so that the
pickled class needs nothing from snowbatch when it is loaded.
"""

from typing import Any

import pandas as pd
from snowflake.ml.model import custom_model

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"BM", "bmp"),
    (b"%PDF", "pdf"),
    (b"ID3", "mp3"),
    (b"fLaC", "flac"),
    (b"OggS", "ogg"),
    (b"P6", "ppm"),
)


def sniff(data: bytes) -> str:
    """A file's kind from its first bytes (what the model saw, whatever the file was called)."""
    if data[:4] == b"RIFF" and data[8:12] in (b"WAVE", b"WEBP"):
        return "wav" if data[8:12] == b"WAVE" else "webp"
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), "unknown")


def _describe(data: bytes) -> dict[str, Any]:
    import hashlib

    return {"byte_length": len(data), "sha256": hashlib.sha256(data).hexdigest(), "kind": sniff(data)}


class FileInspector(custom_model.CustomModel):
    """BYTES in → byte length, SHA-256 and the sniffed kind of each file."""

    @custom_model.inference_api
    def inspect(self, df: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for value in df["file"]:
            if isinstance(value, str):  # a stage path that nobody resolved: say so instead of hashing it
                raise TypeError(
                    f"FILE_INSPECTOR received text ({value[:60]!r}), not bytes: declare the "
                    "column with column_handling RAW_BYTES"
                )
            rows.append(_describe(bytes(value)))
        return pd.DataFrame(rows, columns=["byte_length", "sha256", "kind"])


class Base64Inspector(custom_model.CustomModel):
    """STRING (base64 or a data URL) in → the decoded file's length, SHA-256, kind and the data URL's MIME."""

    @custom_model.inference_api
    def inspect(self, df: pd.DataFrame) -> pd.DataFrame:
        import base64

        rows = []
        for value in df["file_b64"]:
            text = str(value)
            mime = ""
            if text.startswith("data:"):
                header, _, text = text.partition(",")
                mime = header[len("data:") :].split(";")[0]
            row = _describe(base64.b64decode(text, validate=True))
            row["mime"] = mime
            rows.append(row)
        return pd.DataFrame(rows, columns=["byte_length", "sha256", "kind", "mime"])


def signatures() -> dict[str, Any]:
    """Explicit signatures (no sample data needed): name → {method: ModelSignature}."""
    from snowflake.ml.model.model_signature import DataType, FeatureSpec, ModelSignature

    out = [
        FeatureSpec("byte_length", DataType.INT64),
        FeatureSpec("sha256", DataType.STRING),
        FeatureSpec("kind", DataType.STRING),
    ]
    return {
        "bytes": {"inspect": ModelSignature(inputs=[FeatureSpec("file", DataType.BYTES)], outputs=out)},
        "base64": {
            "inspect": ModelSignature(
                inputs=[FeatureSpec("file_b64", DataType.STRING)],
                outputs=[*out, FeatureSpec("mime", DataType.STRING)],
            )
        },
    }
