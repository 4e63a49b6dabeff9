"""The summary a person approves: one screen that names everything the job will do."""

from __future__ import annotations

import json

from snowbatch.core.compute import compute_for
from snowbatch.core.engine_checks import describe_engine
from snowbatch.core.input_columns import shown_column
from snowbatch.core.plan_facts import Check, PlanFacts
from snowbatch.core.requests import BatchJobSpec


def _describe_input(spec: BatchJobSpec) -> str:
    inp = spec.input
    rows = f"{inp.row_count:,} rows" if inp.row_count is not None else "row count not computed"
    if inp.kind == "table":
        cols = f", columns {', '.join(shown_column(c) for c in inp.columns)}" if inp.columns else ""
        source = f"table {inp.table}" if inp.table else "query"
        if inp.only_new:
            new = f"{inp.row_count:,} new rows" if inp.row_count is not None else "new rows (not counted)"
            return f"{source}, only {inp.only_new['key']} not yet in {inp.only_new['against']} ({new}{cols})"
        return f"{source} ({rows}{cols})"
    if inp.kind == "rows":
        return f"{rows} given inline"
    if inp.kind == "files":
        handling = ", ".join(f"{k} as {v}" for k, v in (spec.column_handling or {}).items())
        return f"{len(inp.files or [])} stage files in column {inp.file_column} ({handling})"
    if inp.chat_table:
        return f"chat messages from table {inp.chat_table} ({rows})"
    return f"{len(inp.files or [])} chat message lists, one per file"


def _output(spec: BatchJobSpec) -> str:
    if spec.schedule is None:
        return spec.job_output_location
    return f"{spec.output_stage}{spec.job_folder}_<UTC time of the run>/, one folder per run"


def _schedule_lines(spec: BatchJobSpec, backend: str) -> list[str]:
    """A scheduled plan creates objects, not a job: what they are, when they run, what each run does,
    and how to run it at once (the local backend has no clock: it runs only when asked)."""
    run = spec.schedule
    if run is None:
        return []
    now = (
        "Nothing runs on a clock here: `snowbatch local execute-task` runs it."
        if backend == "local"
        else "Nothing runs now; EXECUTE TASK runs it at once."
    )
    pad = " " * 11
    return [
        f"  SCHEDULE creates task {run.task} (warehouse {run.warehouse}), running {run.when},",
        f"{pad}and procedure {run.procedure} (snowflake-ml-python {run.snowml_version}). Each run",
        f"{pad}scores the rows new by then as below, waits, checks _SUCCESS and appends them to",
        f"{pad}{run.results_table}. {now}",
    ]


def summarize(spec: BatchJobSpec, facts: PlanFacts, checks: list[Check]) -> str:
    pool = facts.pool
    pool_text = f"{spec.compute_pool} ({pool.instance_family}, {pool.state})" if pool else spec.compute_pool
    scaling = [
        f"{spec.replicas} replica(s)",
        f"workers {spec.num_workers or 'auto'}",
        f"batch rows {spec.max_batch_rows or 'auto'}",
    ]
    for key in ("cpu_requests", "memory_requests", "gpu_requests"):
        if getattr(spec, key):
            scaling.append(f"{key} {getattr(spec, key)}")
    compute = compute_for(facts.detail, facts.function, spec.engine)
    if compute.gpu != "pointless":  # the same answer and reason every tool gives (core.compute)
        scaling.append(f"GPU {compute.gpu}: {compute.gpu_reason}")
    mode = (
        "ERROR — refuse a non-empty location (safe default)"
        if spec.mode == "error"
        else "OVERWRITE — may remove everything under the output base, not only this job's folder"
    )
    what = "Scheduled batch inference" if spec.schedule else "Batch inference job"
    lines = [
        f"{what} on the {facts.backend} backend:",
        *_schedule_lines(spec, facts.backend),
        f"  model    {spec.model} version {spec.version}, function {spec.function_name}",
        f"  input    {_describe_input(spec)}",
        f"  output   {_output(spec)} (Parquet, then _SUCCESS); save mode {mode}",
        f"  compute  {pool_text}; {', '.join(scaling)}",
        f"  job name {spec.job_name}{'_<UTC time of the run>' if spec.schedule else ''}",
    ]
    if spec.params:
        lines.append(f"  params   {spec.params}")
    for key in ("system", "prompt"):  # a chat built from files: the words sent with every file
        text = (spec.input.chat_template or {}).get(key)
        if text:
            shown = text if len(text) <= 500 else f"{text[:500]}… ({len(text):,} characters in all)"
            lines.append(f"  {key:<8} {json.dumps(shown, ensure_ascii=False)}")
    if spec.engine:
        lines.append(f"  engine   {describe_engine(spec.engine, spec.engine_args)}")
    warns = [c for c in checks if c.status == "warn"]
    fails = [c for c in checks if c.status == "fail"]
    if fails:
        lines.append("  BLOCKED: " + "; ".join(c.message for c in fails))
    elif warns:
        lines.append("  warnings: " + "; ".join(c.message for c in warns))
    return "\n".join(lines)
