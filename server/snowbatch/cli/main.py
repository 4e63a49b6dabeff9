"""The `snowbatch` command: serve the MCP server, run the demo, manage the local account.

Every command that changes something says what it did; errors print the problem and the next step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from snowbatch.cli import run as run_cli
from snowbatch.cli.audit import audit_command
from snowbatch.cli.catalog import models_app, pools_app, stages_app
from snowbatch.cli.code import code_app
from snowbatch.cli.common import EXIT_PROBLEM, HomeOpt, console, err, fail
from snowbatch.cli.jobs import jobs_app
from snowbatch.cli.results import results_app
from snowbatch.cli.warehouse import warehouse_app
from snowbatch.core.errors import SnowbatchError
from snowbatch.settings import Settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Batch inference on the Snowflake Model Registry, for AI assistants and people.",
)
local_app = typer.Typer(no_args_is_help=True, help="Manage the embedded local account.")
app.add_typer(local_app, name="local")
# A person's side of every tool, through the MCP server itself (cli/tool_session): docs/cli.md.
app.add_typer(models_app, name="models")
app.add_typer(stages_app, name="stages")
app.add_typer(pools_app, name="pools")
app.command("plan")(run_cli.plan)
app.command("run")(run_cli.run)
app.add_typer(jobs_app, name="jobs")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(results_app, name="results")
app.add_typer(code_app, name="code")
app.command("audit")(audit_command)  # the audit trail of approved actions (cli/audit.py)


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _fail(exc: SnowbatchError) -> None:
    fail(exc.problem, exc.next_step)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
)
def serve(ctx: typer.Context) -> None:
    """Run the MCP server (stdio for Claude Code / Cursor; http for streamable HTTP). See `serve --help`."""
    from snowbatch.cli.serve import run_serve

    run_serve(ctx.args)


@app.command()
def demo(
    home: HomeOpt = None,
    rows: Annotated[int, typer.Option(min=100, help="rows in the sample table")] = 100_000,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="approve the job without asking")] = False,
    files: Annotated[
        bool,
        typer.Option(
            "--files",
            help="the files and chat flows instead: audio transcribed, text embedded, images "
            "described by a demo chat model",
        ),
    ] = False,
) -> None:
    """Seed a fresh local account and run the whole batch job flow through a real MCP client."""
    import sys

    from snowbatch.demo.tabular import DemoFailed, run_demo

    target = home or (_settings().home / ("demo-files" if files else "demo"))
    approve = True if (yes or not sys.stdin.isatty()) else None
    try:
        if files:
            from snowbatch.demo.files import run_files_demo

            result = run_files_demo(target, approve=approve)
        else:
            result = run_demo(target, rows=rows, approve=approve)
    except DemoFailed as exc:
        err.print(f"[red]Demo failed:[/] {exc}")
        raise typer.Exit(1) from exc
    if not result.get("approved"):
        raise typer.Exit(1)


def _local(home: Path | None) -> Any:
    from snowbatch.server import open_local_account

    return open_local_account(_settings(home=home))


@local_app.command("init")
def local_init(home: HomeOpt = None, rows: Annotated[int, typer.Option(min=1)] = 100_000) -> None:
    """Create the sample models, table, stages and pools (existing objects are kept)."""
    from snowbatch.backends.local.seed import seed_local_account

    backend = _local(home)
    report = seed_local_account(backend, rows=rows)
    console.print(f"Local account at {backend.account.home}")
    console.print(
        f"  tables: {report.tables}\n  models: {report.models}\n  stages: {report.stages}\n"
        f"  pools: {report.pools}"
    )


@local_app.command("log-model")
def local_log_model(
    name: Annotated[str, typer.Option(help="DB.SCHEMA.MODEL")],
    model_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(
            exists=True,
            help="pickle/joblib; PyTorch .pt (a whole module or TorchScript); Keras .keras; XGBoost "
            ".json/.ubj; LightGBM text model; CatBoost .cbm; a sentence-transformers folder",
        ),
    ] = None,
    model_object: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--object",
            help="pkg.module:attr instead of a file: a function is called, a CustomModel class is "
            "instantiated, anything else is the model (the current folder is importable)",
        ),
    ] = None,
    sample_input: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            exists=True,
            dir_okay=False,
            help="CSV or Parquet sample rows (the signatures are inferred from them; "
            "not needed for Hugging Face pipelines and sentence-transformers)",
        ),
    ] = None,
    target_method: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(help="a method to log as a function (repeat; default: the packager's per flavour)"),
    ] = None,
    version: str = "V1",
    comment: Optional[str] = None,  # noqa: UP045
    home: HomeOpt = None,
) -> None:
    """Log a model as Registry.log_model would: scikit-learn, XGBoost, LightGBM, CatBoost, PyTorch,
    Keras, sentence-transformers, Hugging Face pipelines or a CustomModel, from a file or --object.

    Reading a pickle or importing code runs it: log only models you trust. Frameworks come with the
    extras `flavours` (boosted trees, Keras) and `models` (PyTorch, transformers):
    pip install 'snowbatch\\[flavours,models]'."""
    from snowbatch.backends.local.admin import log_model

    try:
        info = log_model(
            _local(home),
            model_file=model_file,
            model_object=model_object,
            name=name,
            version=version,
            sample_input=sample_input,
            target_methods=target_method or (),
            comment=comment,
        )
    except SnowbatchError as exc:
        _fail(exc)
    console.print(
        f"Logged {name} version {info.version} ({info.flavour}); functions: {', '.join(info.functions)}"
    )


@local_app.command("load-table")
def local_load_table(
    data_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet file")],
    table: Annotated[str, typer.Option(help="DB.SCHEMA.TABLE")],
    mode: Annotated[str, typer.Option(help="error, overwrite or append")] = "error",
    keep_case: Annotated[
        bool, typer.Option(help="keep each header's exact case (default: plain headers are upper-cased)")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Load a CSV or Parquet file into a table of the local account."""
    from snowbatch.backends.local.admin import load_table_file

    try:
        rows = load_table_file(_local(home), data_file, table=table, mode=mode, keep_case=keep_case)
    except SnowbatchError as exc:
        _fail(exc)
    console.print(f"Loaded {rows:,} rows into {table}.")


@local_app.command("put")
def local_put(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
    stage: Annotated[str, typer.Option(help="@DB.SCHEMA.STAGE/path/")],
    create_stage: Annotated[bool, typer.Option(help="create the stage (SNOWFLAKE_SSE) if missing")] = False,
    overwrite: bool = False,
    home: HomeOpt = None,
) -> None:
    """Put local files on a stage of the local account (bytes unchanged, like AUTO_COMPRESS=FALSE)."""
    from snowbatch.backends.local.admin import put_files

    try:
        placed = put_files(_local(home), files, stage=stage, create_stage=create_stage, overwrite=overwrite)
    except SnowbatchError as exc:
        _fail(exc)
    for path in placed:
        console.print(f"  {path}")


@local_app.command("tasks")
def local_tasks(home: HomeOpt = None) -> None:
    """The scheduled jobs (tasks) of the local account; no clock runs them here."""
    for name in _local(home).schedules.names():
        console.print(name)


@local_app.command("execute-task")
def local_execute_task(
    task: Annotated[str, typer.Argument(help="DB.SCHEMA.TASK")], home: HomeOpt = None
) -> None:
    """Run a scheduled job once, now, as its task would: score the new rows and append them to the table."""
    from snowbatch.core.names import ObjectName
    from snowbatch.scheduled_run import run_scheduled

    backend = _local(home)
    schema = backend.default_schema()
    try:
        name = ObjectName.parse(task, what="task").qualified(schema.database, schema.schema)
        console.print(run_scheduled(backend, backend.schedules.get(name)))
    except SnowbatchError as exc:
        _fail(exc)


@app.command()
def doctor(
    connection: Annotated[Optional[str], typer.Option(help="connections.toml connection name")] = None,  # noqa: UP045
    smoke: Annotated[
        bool,
        typer.Option(
            "--smoke", help="also run the whole flow on one row in a throwaway schema (costs credits)"
        ),
    ] = False,
    pool: Annotated[
        str | None, typer.Option(help="--smoke: an existing compute pool to run the jobs on")
    ] = None,
    database: Annotated[str | None, typer.Option(help="--smoke: database for the throwaway schema")] = None,
    files: Annotated[bool, typer.Option(help="--smoke: include a files job")] = True,
    yes: Annotated[bool, typer.Option("--yes", help="--smoke: do not ask before spending")] = False,
) -> None:
    """Check a Snowflake connection: role, warehouse and the privileges batch jobs need, with fixes.
    With --smoke, then run discovery, a batch job, cancel, save, a warehouse run and a files job on one row
    in a new schema that is dropped afterwards."""
    from snowbatch.server import doctor as run_checks

    settings = _settings(backend="snowflake", connection_name=connection)
    findings = run_checks(settings)
    for f in findings:
        mark = "[green]ok[/]" if f.ok else "[red]missing[/]"
        console.print(f"{mark:>18}  {f.check}: {f.detail}")
        if not f.ok and f.fix:
            console.print(f"{'':>10}fix: {f.fix}")
    if not all(f.ok for f in findings):
        raise typer.Exit(1)
    if smoke:
        _smoke(settings, pool=pool, database=database, files=files, yes=yes)


def _smoke(settings: Any, *, pool: str | None, database: str | None, files: bool, yes: bool) -> None:
    from snowbatch.cli.smoke_account import run_smoke

    if not pool:
        err.print("--smoke needs --pool: an existing compute pool (the smoke run never creates one).")
        raise typer.Exit(EXIT_PROBLEM)
    plan = (
        f"Create a schema SNOWBATCH_SMOKE_<id> in {database or 'the current database'}, log two small "
        f"models, run {'three' if files else 'two'} batch jobs on pool {pool} and a warehouse query "
        "(this spends credits), then drop the schema with everything in it."
    )
    console.print(plan, soft_wrap=True)
    if not yes and not typer.confirm("Go ahead?", default=False):
        raise typer.Exit(1)

    def say(step: Any) -> None:
        mark = "[green]ok[/]" if step.ok else "[red]failed[/]"
        console.print(f"{mark:>18}  {step.name}: {step.detail}", soft_wrap=True)

    try:
        report = run_smoke(settings, pool=pool, database=database, files=files, say=say)
    except SnowbatchError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if not report.ok:
        raise typer.Exit(1)


skills_app = typer.Typer(no_args_is_help=True, help="Install the agent skills where an assistant finds them.")
app.add_typer(skills_app, name="skills")


@skills_app.command("install")
def skills_install(
    target: Annotated[str, typer.Option(help="claude-code, cursor, or a folder path")] = "claude-code",
    user: Annotated[
        bool, typer.Option("--user", help="user scope (~/.claude/skills) instead of this project")
    ] = False,
    project_dir: Annotated[Optional[Path], typer.Option(help="project folder (default: current)")] = None,  # noqa: UP045
    force: Annotated[bool, typer.Option(help="replace files you edited (backed up first)")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what would change, change nothing")] = False,
) -> None:
    """Install the batch-inference skills; files you edited are kept unless --force (which backs them up)."""
    from snowbatch.cli.install_skills import install_skills

    _print_report(install_skills, target, user=user, project_dir=project_dir, force=force, dry_run=dry_run)


@app.command("setup")
def setup(
    client: Annotated[str, typer.Option(help="claude-code, cursor, codex, gemini or vscode")],
    user: Annotated[bool, typer.Option("--user", help="user scope instead of this project")] = False,
    project_dir: Annotated[Optional[Path], typer.Option(help="project folder (default: current)")] = None,  # noqa: UP045
    force: Annotated[bool, typer.Option(help="replace an entry or skill files you edited")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what would change, change nothing")] = False,
) -> None:
    """Add the snowbatch MCP server to an assistant's config and install the skills where it reads them."""
    from snowbatch.cli.setup_clients import setup_client

    _print_report(setup_client, client, user=user, project_dir=project_dir, force=force, dry_run=dry_run)


def _print_report(
    install: Callable[..., Any],
    name: str,
    *,
    user: bool,
    project_dir: Path | None,
    force: bool,
    dry_run: bool,
) -> None:
    """Run an install (skills, or a client's setup) and print what it did; a bad name exits 2."""
    try:
        report = install(
            name, scope="user" if user else "project", project_dir=project_dir, force=force, dry_run=dry_run
        )
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(EXIT_PROBLEM) from exc
    for line in report.lines():
        console.print(line)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
