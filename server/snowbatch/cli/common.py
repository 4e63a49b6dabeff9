"""What every `snowbatch` command shares: the exit codes, the common options, the consoles, how a
problem is printed, tables and JSON, the one approval question and the job progress bar.

Exit codes (docs/cli.md): 0 done / ok; 1 a job ended without success, or the person said no; 2 a
problem (the problem and the next step are printed); 3 a wait ran out of time while the job goes on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional, TypeVar

import typer
from rich.console import Console

from snowbatch.core.errors import SnowbatchError
from snowbatch.settings import Settings

if TYPE_CHECKING:
    from rich.progress import Progress

T = TypeVar("T")

EXIT_OK = 0
EXIT_ENDED_BADLY = 1  # a job ended without success, or the person said no
EXIT_PROBLEM = 2
EXIT_STILL_RUNNING = 3

console = Console()
err = Console(stderr=True)

HomeOpt = Annotated[Optional[Path], typer.Option("--home", help="local account folder (SNOWBATCH_HOME)")]  # noqa: UP045
BackendOpt = Annotated[Optional[str], typer.Option("--backend", help="auto, local or snowflake")]  # noqa: UP045
ConnectionOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--connection", help="connections.toml connection name"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the result as JSON (no table, no colour)")]
YesOpt = Annotated[
    bool,
    typer.Option("--yes", "-y", help="approve without asking (for scripts: the summary is still printed)"),
]


def settings_from(home: Path | None, backend: str | None, connection: str | None) -> Settings:
    """Settings from the common options over SNOWBATCH_* variables; a bad value is a problem (exit 2)."""
    from pydantic import ValidationError

    overrides: dict[str, Any] = {"home": home, "backend": backend, "connection_name": connection}
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        said = "; ".join(str(e.get("ctx", {}).get("error") or e.get("msg")) for e in exc.errors())
        fail(f"The settings are not valid: {said}.", "Correct --backend (or the SNOWBATCH_* variable).")


def fail(problem: str, next_step: str, *, code: int = EXIT_PROBLEM) -> NoReturn:
    """Print a problem and what to do about it (on stderr), and exit."""
    err.print(problem, style="red", soft_wrap=True, markup=False, highlight=False)
    err.print(f"Next step: {next_step}", soft_wrap=True, markup=False, highlight=False)
    raise typer.Exit(code)


def run_backend(action: Callable[[], T]) -> T:
    """Run a backend call; an anticipated failure prints the problem and the next step (exit 2)."""
    try:
        return action()
    except SnowbatchError as exc:
        fail(exc.problem, exc.next_step)


def say(text: str, out: Console | None = None) -> None:
    """A line of plain text: never read as markup, never cut short."""
    (out or console).print(text, soft_wrap=True, markup=False, highlight=False)


def print_json(data: Any) -> None:
    """The result for programs: JSON on stdout, nothing else, keys in the tool's order."""
    value = json.loads(data) if isinstance(data, str) else data
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def print_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
    """A rich table at a terminal; piped, a header line and one tab-separated line per row (for grep,
    cut and spreadsheets; --json for programs)."""
    if console.is_terminal:
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for i, column in enumerate(columns):  # the first column names a thing to copy: never wrapped
            table.add_column(column, no_wrap=i == 0)
        for row in rows:
            table.add_row(*(cell(v) for v in row))
        console.print(table)
        return
    if title:
        say(title)
    for row in [list(columns), *rows]:  # written as is: rich would expand the tabs
        console.file.write("\t".join(cell(v).replace("\t", " ").replace("\n", " ") for v in row) + "\n")


def load_mapping(path: Path, *, option: str) -> dict[str, Any]:
    """A mapping from a JSON file (.json) or a YAML file (any other suffix); anything else is a problem
    (exit 2)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"Cannot read {path}: {exc.strerror}.", f"Check the path given to {option}.")
    import yaml

    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        fail(
            f"{path} is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}",
            "Correct it.",
        )
    if not isinstance(data, dict):
        fail(
            f"{path} must hold a mapping of names to values.",
            f"See docs/cli.md for an example {option} file.",
        )
    return data


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def approved(summary: str, *, yes: bool, question: str = "Go ahead?", to_stderr: bool = False) -> bool:
    """The one question before something is spent or changed: print exactly what will happen, then ask
    y/N (default no). --yes answers for the person; with no terminal to ask at and no --yes, refuse
    (exit 2) rather than guess."""
    out = err if to_stderr else console
    say(summary, out)
    if yes:
        say("Approved by --yes.", out)
        return True
    if not stdin_is_terminal():
        fail(
            "Not asking: standard input is not a terminal, so nobody can answer. Nothing was done.",
            "Run the command at a terminal, or add --yes to approve exactly this summary.",
        )
    from rich.prompt import Confirm

    try:
        return Confirm.ask(question, default=False, console=out)
    except EOFError:
        return False


def declined(what: str = "Nothing was done.", *, to_stderr: bool = False) -> NoReturn:
    say(f"Not approved. {what}", err if to_stderr else console)
    raise typer.Exit(EXIT_ENDED_BADLY)


def rows_text(done: int | None, total: int | None) -> str:
    if done is None:
        return ""
    return f"{done:,}/{total:,} rows" if total else f"{done:,} rows"


def job_progress(out: Console | None = None) -> Progress:
    """The progress bar every wait shows at a terminal: description, bar, rows done of total, time."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    out = out or console
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]}"),
        TimeElapsedColumn(),
        console=out,
        disable=not out.is_terminal,  # piped: no bar; the line printed at the end says the same
    )
