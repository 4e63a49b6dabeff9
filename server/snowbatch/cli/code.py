"""`snowbatch code list | render`: code for your own snowflake-ml-python release (Python, SQL, dbt),
from the same templates and checks as the generate_code tool.

`--param name=value` is read by the parameter's type in the template's manifest: whole numbers,
true/false, lists (`A,B` or `[A, B]`), rows and mappings (JSON or YAML); everything else is text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from snowbatch.cli.common import (
    BackendOpt,
    ConnectionOpt,
    HomeOpt,
    JsonOpt,
    console,
    err,
    fail,
    load_mapping,
    print_json,
    print_table,
    say,
)
from snowbatch.cli.tool_session import read_tool, tool_session

code_app = typer.Typer(no_args_is_help=True, help="Code for your snowflake-ml-python release: list, render.")

LISTS = {"string_list", "identifier_list"}
STRUCTURED = {"rows", "mapping", "output_fields"}


def parse_value(kind: str | None, text: str) -> Any:
    """A --param value as the template's parameter type wants it (the tool checks it in full)."""
    import yaml

    if kind == "integer":
        return int(text) if text.strip().lstrip("-").isdigit() else text
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean":
        return {"true": True, "yes": True, "false": False, "no": False}.get(text.strip().lower(), text)
    if kind in LISTS and not text.lstrip().startswith("["):
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind in LISTS or kind in STRUCTURED:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return text
    return text


def parameters_from(pairs: list[str], kinds: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--param {pair!r} is not NAME=VALUE.", "Write each parameter as --param name=value.")
        values[name.strip()] = parse_value(kinds.get(name.strip()), text)
    return values


@code_app.command("list")
def list_templates(
    template: Annotated[str | None, typer.Argument(help="a template: its parameters in full")] = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """The templates and their parameters (with a name: that template's parameters in full)."""
    catalog = read_tool(
        "list_templates",
        {"template": template},
        as_json=as_json,
        home=home,
        backend=backend,
        connection=connection,
    )
    if catalog is None:
        return
    if catalog.get("details"):
        info = catalog["details"]
        say(f"{info['name']} ({info['language']}): {info['summary']}")
        rows = [
            (p["name"], p["type"], "yes" if p["required"] else "", p["description"])
            for p in info["parameters"]
        ]
        print_table(["parameter", "type", "required", "description"], rows)
        for group in info.get("one_of") or []:
            say(f"Give exactly one of: {', '.join(group)}")
        return
    rows = [(t["name"], t["language"], ", ".join(t["required"]), t["summary"]) for t in catalog["templates"]]
    print_table(["template", "language", "required", "summary"], rows)


@code_app.command("render")
def render(
    template: Annotated[str, typer.Argument(help="template name (snowbatch code list)")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE, repeatable")] = None,
    params_file: Annotated[
        Path | None, typer.Option("--params", help="JSON or YAML file of parameters (--param overrides)")
    ] = None,
    snowml_version: Annotated[
        str | None,
        typer.Option("--snowml-version", help="your release, 1.28-2.6 (default: the installed one)"),
    ] = None,
    preview_rows: Annotated[
        int | None, typer.Option(min=1, max=50, help="SQL forms: also run the SELECT on this many rows")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the code to this file")] = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Render a template for your snowflake-ml-python release and print it (or write it with --output)."""
    parameters = load_mapping(params_file, option="--params") if params_file is not None else {}
    with tool_session(home, backend, connection) as tools:
        details = tools.call("list_templates", {"template": template})["details"]
        kinds = {p["name"]: p["type"] for p in details["parameters"]}
        parameters.update(parameters_from(param or [], kinds))
        args = {"template": template, "parameters": parameters, "snowml_version": snowml_version}
        rendered = tools.call("generate_code", {**args, "preview_rows": preview_rows})
    if as_json:
        print_json(rendered)
        return
    for note in rendered.get("notes") or []:
        say(f"note: {note}", err)
    if output is not None:
        output.write_text(rendered["code"], encoding="utf-8")
        say(f"Wrote {rendered['template']} for snowflake-ml-python {rendered['target_version']} to {output}")
    elif console.is_terminal:
        from rich.syntax import Syntax

        console.print(Syntax(rendered["code"], "python" if rendered["language"] == "python" else "sql"))
    else:  # piped: the code exactly, nothing else on stdout
        console.file.write(rendered["code"])
    if rendered.get("preview"):
        from snowbatch.cli.views import print_preview

        print_preview(rendered["preview"], title="The SELECT on the first rows:")
