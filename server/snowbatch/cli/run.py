"""`snowbatch plan` and `snowbatch run`: a batch job from flags or a request file.

`plan` runs plan_batch_job (read-only: every preflight check and the summary; nothing is created).
`run` is the whole flow with one yes: plan → summary → y/N → submit_batch_job with the plan's own
confirmation token → a progress bar → the output verified (`_SUCCESS`) → the first rows.

The request is plan_batch_job's arguments: from `--request FILE` (JSON, or YAML for any other suffix),
then the flags over the file's keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from snowbatch.cli.common import (
    EXIT_ENDED_BADLY,
    EXIT_PROBLEM,
    EXIT_STILL_RUNNING,
    BackendOpt,
    ConnectionOpt,
    HomeOpt,
    JsonOpt,
    YesOpt,
    approved,
    declined,
    err,
    fail,
    load_mapping,
    print_json,
    say,
)
from snowbatch.cli.tool_session import ToolSession, tool_session

RequestOpt = Annotated[
    Path | None,
    typer.Option("--request", help="JSON or YAML file with plan_batch_job's arguments (flags override keys)"),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="DB.SCHEMA.MODEL")]
VersionOpt = Annotated[
    str | None, typer.Option("--version", help="model version (default: the default version)")
]
FunctionOpt = Annotated[
    str | None, typer.Option("--function", help="function (needed when the model has several)")
]
TableOpt = Annotated[str | None, typer.Option("--table", help="input: a table or view")]
QueryOpt = Annotated[str | None, typer.Option("--query", help="input: a SELECT")]
FilesOpt = Annotated[
    str | None, typer.Option("--files-stage", help="input: files on @DB.SCHEMA.STAGE/dir/, one row each")
]
PatternOpt = Annotated[
    str | None, typer.Option("--pattern", help="with --files-stage: a glob (*.wav) or regex")
]
OutputOpt = Annotated[
    str | None, typer.Option("--output-stage", help="@DB.SCHEMA.STAGE/path/ on an SSE stage")
]
PoolOpt = Annotated[str | None, typer.Option("--pool", help="compute pool that runs the job")]
ModeOpt = Annotated[
    str | None, typer.Option("--mode", help="error (default: refuse a non-empty location) or overwrite")
]
JobNameOpt = Annotated[str | None, typer.Option("--job-name", help="job name (default: generated)")]
OnlyNewOpt = Annotated[
    str | None,
    typer.Option("--only-new", help="KEY:RESULTS_TABLE - score only rows whose KEY is not yet in that table"),
]
ScheduleOpt = Annotated[
    str | None,
    typer.Option(
        "--schedule", help="cron and time zone, e.g. '0 2 * * * UTC': create a task (needs --only-new)"
    ),
]
SnowmlOpt = Annotated[
    str | None, typer.Option("--snowml-version", help="your snowflake-ml-python release, for code")
]

REQUIRED = {
    "model": "--model",
    "input": "--table, --query or --files-stage",
    "output_stage": "--output-stage",
}
REQUIRED["compute_pool"] = "--pool"


def _input(
    given: Any,
    table: str | None,
    query: str | None,
    files_stage: str | None,
    pattern: str | None,
    only_new: str | None = None,
) -> Any:
    sources = [x for x in (table, query, files_stage) if x is not None]
    if len(sources) > 1:
        fail("Give one input: --table, --query or --files-stage.", "Keep one of them and run again.")
    if table is not None:
        source: Any = {"kind": "table", "table": table}
    elif query is not None:
        source = {"kind": "table", "query": query}
    elif files_stage is not None:
        source = {"kind": "files", "stage_location": files_stage}
    else:
        source = dict(given) if isinstance(given, dict) else given
    if pattern is not None:
        if not isinstance(source, dict) or source.get("kind") not in ("files", "chat"):
            fail("--pattern picks files: it needs --files-stage (or a files input).", "Add --files-stage.")
        source["pattern"] = pattern
    if only_new is not None:
        key, _, against = only_new.partition(":")
        if not isinstance(source, dict) or source.get("kind") != "table" or not key or not against:
            fail("--only-new KEY:RESULTS_TABLE needs a table or query input.", "Add --table or --query.")
        source["only_new"] = {"key": key, "against": against}
    return source


def build_request(tools: ToolSession, request_file: Path | None, **flags: Any) -> dict[str, Any]:
    """The file's keys, the flags over them; unknown keys and missing arguments are problems (exit 2)."""
    request = load_mapping(request_file, option="--request") if request_file is not None else {}
    known = tools.arguments("plan_batch_job")
    unknown = sorted(set(request) - known)
    if unknown:
        fail(
            f"Unknown key(s) in {request_file}: {', '.join(unknown)}.",
            f"Use plan_batch_job's arguments: {', '.join(sorted(known))}.",
        )
    source = _input(
        request.get("input"),
        flags.pop("table"),
        flags.pop("query"),
        flags.pop("files_stage"),
        flags.pop("pattern"),
        flags.pop("only_new", None),
    )
    request.update({k: v for k, v in flags.items() if v is not None})
    if source is not None:
        request["input"] = source
    missing = [flag for key, flag in REQUIRED.items() if not request.get(key)]
    if missing:
        fail(f"Missing: {'; '.join(missing)}.", "Give them as flags, or as keys in --request FILE.")
    return request


def _plan(
    tools: ToolSession, request_file: Path | None, flags: dict[str, Any], *, code: bool
) -> dict[str, Any]:
    request = build_request(tools, request_file, **flags)
    return tools.call("plan_batch_job", {**request, "include_code": code or None})


def _print_plan(plan: dict[str, Any]) -> None:
    from snowbatch.cli.views import print_checks

    print_checks(plan["checks"])
    say("")
    say(plan["summary"])


def _refuse_failing(plan: dict[str, Any]) -> None:
    if not plan["ok"]:
        fail(
            "The plan has failing checks (above); nothing was submitted.",
            "Fix each as its fix says, then run again.",
        )


def plan(
    request: RequestOpt = None,
    model: ModelOpt = None,
    version: VersionOpt = None,
    function: FunctionOpt = None,
    table: TableOpt = None,
    query: QueryOpt = None,
    files_stage: FilesOpt = None,
    pattern: PatternOpt = None,
    output_stage: OutputOpt = None,
    pool: PoolOpt = None,
    mode: ModeOpt = None,
    job_name: JobNameOpt = None,
    only_new: OnlyNewOpt = None,
    schedule: ScheduleOpt = None,
    snowml_version: SnowmlOpt = None,
    code: Annotated[bool, typer.Option("--code", help="also print the code for your release")] = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Check a batch job without spending anything: every check and the summary (--code: the code).

    Nothing is created or submitted. Exits 0 when every check passes, 2 when one fails."""
    flags = dict(model=model, version=version, function=function, table=table, query=query)
    flags |= dict(files_stage=files_stage, pattern=pattern, output_stage=output_stage, compute_pool=pool)
    flags |= dict(
        mode=mode, job_name=job_name, snowml_version=snowml_version, only_new=only_new, schedule=schedule
    )
    with tool_session(home, backend, connection) as tools:
        planned = _plan(tools, request, flags, code=code)
    if as_json:
        print_json(planned)
        if not planned["ok"]:
            raise typer.Exit(EXIT_PROBLEM)
        return
    _print_plan(planned)
    if code and planned.get("code"):
        say(f"\nCode for snowflake-ml-python {planned.get('code_for_version')}:")
        say(planned["code"])
    _refuse_failing(planned)
    say("\nNothing was created or submitted. `snowbatch run` with the same options submits it after a yes.")


def run(
    request: RequestOpt = None,
    model: ModelOpt = None,
    version: VersionOpt = None,
    function: FunctionOpt = None,
    table: TableOpt = None,
    query: QueryOpt = None,
    files_stage: FilesOpt = None,
    pattern: PatternOpt = None,
    output_stage: OutputOpt = None,
    pool: PoolOpt = None,
    mode: ModeOpt = None,
    job_name: JobNameOpt = None,
    only_new: OnlyNewOpt = None,
    schedule: ScheduleOpt = None,
    yes: YesOpt = False,
    wait: Annotated[
        bool, typer.Option(help="follow the job until it ends (--no-wait: submit and return)")
    ] = True,
    timeout: Annotated[float, typer.Option(min=1, help="stop waiting after this many seconds")] = 3600.0,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Plan, ask once, submit, follow, verify _SUCCESS and show the first rows.

    Exits 0 when the output is verified; 1 when not approved or the job did not succeed; 2 on a
    problem; 3 when --timeout passed with the job still going (it goes on)."""
    flags = dict(model=model, version=version, function=function, table=table, query=query)
    flags |= dict(files_stage=files_stage, pattern=pattern, output_stage=output_stage, compute_pool=pool)
    flags |= dict(mode=mode, job_name=job_name, only_new=only_new, schedule=schedule)
    report: dict[str, Any] = {}
    with tool_session(home, backend, connection) as tools:
        planned = report["plan"] = _plan(tools, request, flags, code=False)
        if not as_json:
            from snowbatch.cli.views import print_checks

            print_checks(planned["checks"])
            say("")
        _refuse_failing(planned)
        question = (
            "Create this schedule?" if "SCHEDULE creates task" in planned["summary"] else "Submit this job?"
        )
        if not approved(planned["summary"], yes=yes, question=question, to_stderr=as_json):
            declined("Nothing was submitted.", to_stderr=as_json)
        submitted = report["submitted"] = tools.call(
            "submit_batch_job",
            {"plan_id": planned["plan_id"], "confirmation_token": planned["confirmation_token"]},
        )
        if "schedule" in submitted["result"]:  # a task was made; no job runs now
            say(submitted["summary"], err if as_json else None)
            say(submitted["result"]["next_step"], err if as_json else None)
            if as_json:
                print_json(report)
            return
        job_id = str(submitted["result"]["job_id"])
        say(submitted["summary"], err if as_json else None)
        if not wait:
            if as_json:
                print_json(report)
            say(f"Follow it: snowbatch jobs wait {job_id}", err if as_json else None)
            return
        report["job"] = _follow(tools, job_id, timeout=timeout, as_json=as_json)
    _finish(report, as_json=as_json)


def _follow(tools: ToolSession, job_id: str, *, timeout: float, as_json: bool) -> dict[str, Any]:
    from snowbatch.cli.views import follow_job

    try:
        return follow_job(tools, job_id, timeout=timeout, out=err if as_json else None)
    except KeyboardInterrupt:
        say(f"\nStopped waiting; the job goes on. Follow it: snowbatch jobs wait {job_id}", err)
        raise typer.Exit(EXIT_STILL_RUNNING) from None


def _finish(report: dict[str, Any], *, as_json: bool) -> None:
    """The end of a run: the output verified and previewed (exit 0), or why not (exit 1 or 3)."""
    from snowbatch.cli.views import job_info, job_line, print_preview
    from snowbatch.core.job_advice import next_step

    view = report["job"]
    job = job_info(view)
    output = view.get("output") or {}
    verified = job.status == "DONE" and output.get("state") == "complete" and output.get("success_marker")
    if as_json:
        print_json(report)
    else:
        say(job_line(job))
        if verified:
            say(
                f"_SUCCESS verified: {output.get('rows') or 0:,} rows in {output['parts']} Parquet part(s), "
                f"{output['total_bytes']:,} bytes at {job.output_location}"
            )
            if view.get("preview"):
                print_preview(view["preview"], title="First rows")
            say(f"Next: save them with snowbatch results save --job {job.job_id} --table DB.SCHEMA.TABLE")
        elif job.status == "DONE":
            say(f"The job says DONE but its output is {output.get('state', 'unreadable')} (no _SUCCESS).")
        else:
            say(f"Next: {next_step(job, 'person')}")
    if not job.is_terminal:
        if not as_json:
            say(f"Still {job.status}. Wait again: snowbatch jobs wait {job.job_id}")
        raise typer.Exit(EXIT_STILL_RUNNING)
    if not verified:
        raise typer.Exit(EXIT_ENDED_BADLY)
