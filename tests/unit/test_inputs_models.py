"""The sample models behind the files and chat flows, called directly (no job, no packager)."""

import base64
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from snowflake.ml.model.custom_model import ModelContext

from snowbatch.samples.models import chat_demo, file_inspectors

RED_BAND = chat_demo.png_bytes(48, 32, lambda x, y: (220, 30, 30) if y < 24 else (30, 60, 210))


def sklearn_jpeg(name: str) -> bytes:
    import sklearn.datasets

    return (Path(sklearn.datasets.__file__).parent / "images" / name).read_bytes()


def test_image_sizes_come_from_the_headers() -> None:
    assert chat_demo.image_size(RED_BAND) == ("PNG", 48, 32)
    assert chat_demo.image_size(sklearn_jpeg("china.jpg")) == ("JPEG", 640, 427)
    assert chat_demo.image_size(b"GIF89a\x10\x00\x08\x00") == ("GIF", 16, 8)
    assert chat_demo.image_size(b"P6\n# c\n3 2\n255\n" + b"\x00" * 18) == ("PPM", 3, 2)
    assert chat_demo.image_size(b"not an image") is None


def test_dominant_colour_is_the_same_with_and_without_pillow() -> None:
    pure = chat_demo.dominant_colour(RED_BAND, pillow=False)
    assert pure == ("#dc1e1e", "red", 0.75)
    pytest.importorskip("PIL", reason="Pillow comes with the models extra: pip install 'snowbatch[models]'")
    assert chat_demo.dominant_colour(RED_BAND) == pure


def test_jpeg_colours_need_pillow() -> None:
    assert chat_demo.dominant_colour(sklearn_jpeg("flower.jpg"), pillow=False) is None
    pytest.importorskip("PIL", reason="Pillow comes with the models extra: pip install 'snowbatch[models]'")
    colour = chat_demo.dominant_colour(sklearn_jpeg("flower.jpg"))
    assert colour is not None and colour[1] == "dark green"


def _chat_row(url: str, prompt: str = "What colour is it?") -> list[dict[str, object]]:
    return [
        {
            "role": "user",
            "content": [{"type": "text", "text": prompt}, {"type": "image_url", "image_url": {"url": url}}],
        }
    ]


def test_the_chat_demo_returns_the_openai_columns_deterministically_and_says_it_is_no_llm() -> None:
    url = "data:image/png;base64," + base64.b64encode(RED_BAND).decode()
    model = chat_demo.ImageChatDemo(ModelContext())
    frame = pd.DataFrame({"MESSAGES": [json.dumps(_chat_row(url)), _chat_row(url)]})
    out = model(frame)
    assert list(out.columns) == ["id", "object", "created", "model", "choices", "usage"]
    first, second = out.to_dict("records")
    assert first == second  # the same messages, as JSON text or as lists, give the same completion
    assert first["object"] == "chat.completion" and "not an LLM" in first["model"]
    content = first["choices"][0]["message"]["content"]
    assert content.startswith("(demo model, not an LLM)")
    assert "What colour is it?" in content and "PNG 48×32" in content and "red" in content
    assert first["choices"][0]["finish_reason"] == "stop"
    assert (
        first["usage"]["total_tokens"]
        == first["usage"]["prompt_tokens"] + first["usage"]["completion_tokens"]
    )


def test_max_completion_tokens_cuts_the_reply() -> None:
    url = "data:image/png;base64," + base64.b64encode(RED_BAND).decode()
    out = chat_demo.ImageChatDemo(ModelContext())(
        pd.DataFrame({"messages": [_chat_row(url)]}), max_completion_tokens=3
    )
    choice = out.loc[0, "choices"][0]
    # the disclaimer counts as one token and is never cut
    assert choice["message"]["content"] == "(demo model, not an LLM) You asked:"
    assert choice["finish_reason"] == "length" and out.loc[0, "usage"]["completion_tokens"] == 3


def test_unresolved_or_remote_media_is_reported_not_fetched() -> None:
    out = chat_demo.reply(_chat_row("https://example.com/cat.png"), 250)
    assert "was not fetched" in out["choices"][0]["message"]["content"]


def test_the_inspectors_report_length_and_sha256_of_what_they_received() -> None:
    data = sklearn_jpeg("china.jpg")
    got = file_inspectors.FileInspector(ModelContext()).inspect(pd.DataFrame({"file": [data]}))
    assert got.to_dict("records") == [
        {"byte_length": len(data), "sha256": hashlib.sha256(data).hexdigest(), "kind": "jpeg"}
    ]
    b64 = base64.b64encode(data).decode()
    got = file_inspectors.Base64Inspector(ModelContext()).inspect(
        pd.DataFrame({"file_b64": [b64, "data:image/jpeg;base64," + b64]})
    )
    assert set(got["sha256"]) == {hashlib.sha256(data).hexdigest()}
    assert list(got["mime"]) == ["", "image/jpeg"]


def test_a_stage_path_that_reached_a_bytes_model_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="column_handling RAW_BYTES"):
        file_inspectors.FileInspector(ModelContext()).inspect(pd.DataFrame({"file": ["@ML.PUBLIC.MEDIA/a"]}))
