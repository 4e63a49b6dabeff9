"""What a job hands a model for files and chat inputs: encodings, stage paths inside messages, and the
preflight checks that guard them. Pure functions; no processes, no models."""

import base64
import json
from typing import Any

import pytest

from snowbatch.backends.local.inputs import (
    apply_column_handling,
    encode_file,
    guess_mime,
    resolve_chat_messages,
)
from snowbatch.core.plan_facts import PlanFacts
from snowbatch.core.preflight import run_preflight
from snowbatch.core.records import FileListing, PoolInfo, StageFile, StageInfo, VersionDetail
from snowbatch.core.requests import BatchJobRequest, ResolvedInput, chat_messages_for_file
from snowbatch.core.signatures import functions_from_model_spec

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40
STAGE = {
    "@ML.PUBLIC.MEDIA/a.png": PNG,
    "@ML.PUBLIC.MEDIA/v.mp4": b"\x00\x00\x00\x18ftypmp42",
    "@ML.PUBLIC.MEDIA/s.wav": WAV,
}


def read(path: str) -> bytes:
    return STAGE[path]


# --- column_handling encodings ------------------------------------------------------------------
def test_raw_bytes_are_the_file_exactly() -> None:
    assert encode_file("@ML.PUBLIC.MEDIA/a.png", PNG, "RAW_BYTES") == PNG


def test_base64_round_trips() -> None:
    text = encode_file("@ML.PUBLIC.MEDIA/a.png", PNG, "BASE64")
    assert isinstance(text, str) and base64.b64decode(text, validate=True) == PNG


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("@S.C.ST/a.png", "image/png"),
        ("@S.C.ST/x.jpg", "image/jpeg"),
        ("@S.C.ST/s.wav", "audio/x-wav"),
        ("@S.C.ST/s.flac", "audio/flac"),
        ("@S.C.ST/noext", "application/octet-stream"),
    ],
)
def test_data_urls_carry_the_mime_and_round_trip(path: str, mime: str) -> None:
    url = encode_file(path, PNG, "BASE64_DATA_URL")
    assert isinstance(url, str)
    header, _, body = url.partition(",")
    assert header == f"data:{guess_mime(path)};base64"
    assert guess_mime(path) in (mime, mime.replace("x-", ""))
    assert base64.b64decode(body, validate=True) == PNG


def test_unknown_encodings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown file encoding"):
        encode_file("@S.C.ST/a", b"", "HEX")


def test_column_handling_reads_each_path_and_keeps_nulls() -> None:
    out = apply_column_handling(["@ML.PUBLIC.MEDIA/a.png", None, "@ML.PUBLIC.MEDIA/s.wav"], "RAW_BYTES", read)
    assert out == [PNG, None, WAV]


# --- chat messages ------------------------------------------------------------------------------
def _messages() -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is here?"},
                {"type": "image_url", "image_url": {"url": "@ML.PUBLIC.MEDIA/a.png", "detail": "low"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}},
                {"type": "video_url", "video_url": {"url": "@ML.PUBLIC.MEDIA/v.mp4"}},
                {"type": "input_audio", "input_audio": {"data": "@ML.PUBLIC.MEDIA/s.wav", "format": None}},
            ],
        },
    ]


def test_chat_rows_resolve_every_stage_path_and_nothing_else() -> None:
    resolved = resolve_chat_messages(json.dumps(_messages()), read)
    system, user = resolved
    assert system == {"role": "system", "content": "Be brief."}
    text, image, remote, video, audio = user["content"]
    assert text == {"type": "text", "text": "What is here?"}
    assert image["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert image["image_url"]["detail"] == "low"  # other fields kept
    assert remote["image_url"]["url"] == "https://example.com/x.png"  # not a stage path: untouched
    assert video["video_url"]["url"].startswith("data:video/mp4;base64,")
    assert base64.b64decode(audio["input_audio"]["data"]) == WAV
    assert audio["input_audio"]["format"] == "wav"  # filled from the extension


def test_resolution_does_not_change_the_callers_messages() -> None:
    original = _messages()
    resolve_chat_messages(original, read)
    assert original == _messages()


@pytest.mark.parametrize(("media", "key"), [("image", "image_url"), ("video", "video_url")])
def test_a_message_list_per_file_puts_the_path_where_the_job_resolves_it(media: str, key: str) -> None:
    msgs = chat_messages_for_file("@ML.PUBLIC.MEDIA/a.png", media, "Describe it.", "Be brief.")
    assert msgs[0] == {"role": "system", "content": "Be brief."}
    assert msgs[1]["content"] == [
        {"type": "text", "text": "Describe it."},
        {"type": key, key: {"url": "@ML.PUBLIC.MEDIA/a.png"}},
    ]


def test_audio_files_go_in_input_audio_with_their_format() -> None:
    (msg,) = chat_messages_for_file("@ML.PUBLIC.MEDIA/s.WAV", "audio", None, None)
    assert msg["content"] == [
        {"type": "input_audio", "input_audio": {"data": "@ML.PUBLIC.MEDIA/s.WAV", "format": "wav"}}
    ]


def test_resolved_chat_input_yields_one_json_message_list_per_file() -> None:
    inp = ResolvedInput(
        kind="chat",
        files=["@ML.PUBLIC.MEDIA/a.png", "@ML.PUBLIC.MEDIA/b.png"],
        columns=["MESSAGES"],
        chat_template={"prompt": "Hi", "system": None, "media": "image"},
    )
    rows = inp.chat_message_rows()
    assert [json.loads(r)[0]["content"][1]["image_url"]["url"] for r in rows] == [
        "@ML.PUBLIC.MEDIA/a.png",
        "@ML.PUBLIC.MEDIA/b.png",
    ]


# --- preflight for files and chat ---------------------------------------------------------------
SPEC = {
    "signatures": {
        "transcribe": {
            "inputs": [{"name": "audio", "type": "BYTES"}],
            "outputs": [{"name": "text", "type": "STRING"}],
            "params": [
                {"name": "language", "dtype": "STRING", "default_value": "en"},
                {"name": "beam_size", "dtype": "INT64", "default_value": 1},
            ],
        },
        "inspect_b64": {
            "inputs": [{"name": "file_b64", "type": "STRING"}],
            "outputs": [{"name": "n", "type": "INT64"}],
        },
    }
}
FUNCS = {f.target_method: f for f in functions_from_model_spec(SPEC)}
SSE = StageInfo(name="ML.PUBLIC.OUT", encryption="SNOWFLAKE_SSE")
LISTING = FileListing(
    location="@ML.PUBLIC.MEDIA/",
    count=2,
    total_bytes=30,
    extensions={".wav": 2},
    files=[
        StageFile(path="@ML.PUBLIC.MEDIA/a.wav", size=10),
        StageFile(path="@ML.PUBLIC.MEDIA/b.wav", size=20),
    ],
)


def files_request(**kw: Any) -> BatchJobRequest:
    base: dict[str, Any] = {
        "model": "ML.PUBLIC.M",
        "function": "TRANSCRIBE",
        "input": {"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/"},
        "output_stage": "@ML.PUBLIC.OUT/run/",
        "compute_pool": "CPU_POOL",
    }
    return BatchJobRequest(**{**base, **kw})


def files_facts(method: str = "transcribe", **kw: Any) -> PlanFacts:
    base: dict[str, Any] = {
        "backend": "local",
        "model": "ML.PUBLIC.M",
        "function": FUNCS[method],
        "job_name": "J1",
        "detail": VersionDetail(
            model="ML.PUBLIC.M",
            version="V1",
            functions=list(FUNCS.values()),
            runnable_in=["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"],
            model_type="custom",
        ),
        "files": LISTING,
        "input_stage": StageInfo(name="ML.PUBLIC.MEDIA", encryption="SNOWFLAKE_SSE"),
        "stage": SSE,
        "pool": PoolInfo(name="CPU_POOL", state="IDLE", instance_family="CPU_X64_S", vcpu=3),
    }
    return PlanFacts(**{**base, **kw})


def checks(pre: Any) -> dict[str, Any]:
    return {c.name: c for c in pre.checks}


def test_a_files_request_defaults_the_column_and_encoding_from_the_signature() -> None:
    pre = run_preflight(files_request(params={"language": "en"}), files_facts())
    assert pre.ok, pre.summary
    assert pre.spec.column_handling == {"AUDIO": "RAW_BYTES"}
    assert pre.spec.input.files == ["@ML.PUBLIC.MEDIA/a.wav", "@ML.PUBLIC.MEDIA/b.wav"]
    assert pre.spec.input.file_column == "AUDIO" and pre.spec.params == {"language": "en"}
    assert checks(pre)["input_stage"].status == "pass"


@pytest.mark.parametrize(
    ("method", "encoding", "ok"),
    [
        ("transcribe", "RAW_BYTES", True),
        ("transcribe", "BASE64", False),
        ("transcribe", "BASE64_DATA_URL", False),
        ("inspect_b64", "BASE64", True),
        ("inspect_b64", "BASE64_DATA_URL", True),
        ("inspect_b64", "RAW_BYTES", False),
    ],
)
def test_encodings_must_fit_the_signature_type(method: str, encoding: str, ok: bool) -> None:
    column = "AUDIO" if method == "transcribe" else "FILE_B64"
    pre = run_preflight(
        files_request(function=method.upper(), column_handling={column: encoding}), files_facts(method)
    )
    assert checks(pre)[f"encoding_{column}"].status == ("pass" if ok else "fail")


def test_no_matching_files_blocks_the_plan() -> None:
    empty = LISTING.model_copy(update={"count": 0, "files": [], "total_bytes": 0, "extensions": {}})
    pre = run_preflight(files_request(), files_facts(files=empty))
    assert not pre.ok and checks(pre)["files"].status == "fail"


def test_files_on_a_client_side_encrypted_stage_are_refused() -> None:
    full = StageInfo(name="ML.PUBLIC.LEGACY", encryption="SNOWFLAKE_FULL")
    pre = run_preflight(files_request(), files_facts(input_stage=full))
    assert not pre.ok
    assert (
        "client-side" in checks(pre)["input_stage"].message
        and "SNOWFLAKE_SSE" in checks(pre)["input_stage"].fix
    )


def test_an_external_input_stage_is_a_warning() -> None:
    ext = StageInfo(name="ML.PUBLIC.S3", kind="EXTERNAL", encryption="UNKNOWN")
    pre = run_preflight(files_request(), files_facts(input_stage=ext))
    assert pre.ok and checks(pre)["input_stage"].status == "warn"


@pytest.mark.parametrize(
    ("params", "ok"),
    [
        ({"language": "de", "beam_size": 2}, True),
        ({"language": 3}, False),
        ({"beam_size": "2"}, False),
        ({"beam_size": True}, False),
        ({"temperature": 0.2}, False),
    ],
)
def test_params_must_be_known_and_of_the_signature_type(params: dict[str, Any], ok: bool) -> None:
    pre = run_preflight(files_request(params=params), files_facts())
    assert checks(pre)["params"].status == ("pass" if ok else "fail")


def test_a_setting_that_is_an_input_is_pointed_to_columns() -> None:
    from snowflake.ml.model.openai_signatures import OPENAI_CHAT_SIGNATURE

    spec = {"signatures": {"__call__": OPENAI_CHAT_SIGNATURE["__call__"].to_dict()}}
    (chat,) = functions_from_model_spec(spec)
    assert chat.input_kind == "chat" and any(f.name.lower() == "temperature" for f in chat.inputs)
    req = files_request(
        function=None,
        input={"kind": "chat", "stage_location": "@ML.PUBLIC.MEDIA/", "prompt": "Hi"},
        params={"temperature": 0.1},
    )
    pre = run_preflight(req, files_facts(function=chat))
    assert "pass them as columns" in (checks(pre)["params"].fix or "")
