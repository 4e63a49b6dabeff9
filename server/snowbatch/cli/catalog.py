"""`snowbatch models | stages | pools …`: what is there to run, where output can go, and what runs it.

Each command calls the MCP tool of the same purpose through the in-process server (cli/tool_session):
the same checks and results an assistant gets; creating or resuming asks first, as the tool's gate
says (--yes answers for scripts).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from snowbatch.cli.common import (
    BackendOpt,
    ConnectionOpt,
    HomeOpt,
    JsonOpt,
    YesOpt,
    print_json,
    print_table,
    say,
)
from snowbatch.cli.tool_session import read_tool, tool_session

models_app = typer.Typer(
    no_args_is_help=True, help="Models in the registry: list them, show a version's functions."
)
stages_app = typer.Typer(
    no_args_is_help=True, help="Stages for batch output: list them, create an SSE stage."
)
pools_app = typer.Typer(
    no_args_is_help=True, help="Compute pools: list, recommend one for a model, create, resume."
)

DatabaseOpt = Annotated[str | None, typer.Option(help="database (default: the connection's)")]
SchemaOpt = Annotated[str | None, typer.Option(help="schema (default: the connection's)")]
VersionOpt = Annotated[str | None, typer.Option(help="version (default: the model's default)")]


def _finish(result: dict[str, Any], as_json: bool) -> None:
    """A gated tool's answer after the yes: the result for programs, the summary for a person."""
    if as_json:
        print_json(result)
    else:
        say(result["summary"])


@models_app.command("list")
def models_list(
    database: DatabaseOpt = None,
    schema: SchemaOpt = None,
    like: Annotated[str | None, typer.Option(help="SQL LIKE pattern on the name")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="models per page")] = 50,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page")] = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Models in a schema with their default version."""
    args = {"database": database, "schema": schema, "like": like, "limit": limit, "cursor": cursor}
    page = read_tool("list_models", args, as_json=as_json, home=home, backend=backend, connection=connection)
    if page is None:
        return
    if not page["items"]:
        say("No models here.")
        return
    rows = [(m["name"], m.get("default_version"), m.get("versions"), m.get("comment")) for m in page["items"]]
    print_table(["model", "default version", "versions", "comment"], rows)
    if page.get("next_cursor"):
        say(f"More: snowbatch models list --limit {limit} --cursor '{page['next_cursor']}'")


@models_app.command("show")
def models_show(
    model: Annotated[str, typer.Argument(help="DB.SCHEMA.MODEL, or MODEL in the default schema")],
    version: VersionOpt = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """A version's functions (signatures, what the outputs mean), where it runs and how to run it."""
    info = read_tool(
        "show_model_functions",
        {"model": model, "version": version},
        as_json=as_json,
        home=home,
        backend=backend,
        connection=connection,
    )
    if info is None:
        return
    facts = [
        ("model", f"{info['model']} version {info['version']}"),
        ("versions", ", ".join(info.get("versions") or [])),
        ("type", " / ".join(x for x in (info.get("model_type"), info.get("task")) if x)),
        ("runs in", ", ".join(info.get("runnable_in") or [])),
        ("gpu", f"{info['gpu']}: {info['gpu_reason']}"),
        ("approach", info["approach"]),
    ]
    for label, value in facts:
        if value:
            say(f"{label:<9} {value}")
    rows = [
        (f["name"], f["input_kind"], ", ".join(f["inputs"]), ", ".join(f["outputs"]), f.get("meaning"))
        for f in info["functions"]
    ]
    print_table(["function", "input", "inputs", "outputs", "meaning"], rows)
    say(f"Next: snowbatch plan --model {info['model']} --version {info['version']} --function NAME …")


@stages_app.command("list")
def stages_list(
    database: DatabaseOpt = None,
    schema: SchemaOpt = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Stages in a schema: kind, encryption, and which can take batch output (internal, SNOWFLAKE_SSE)."""
    found = read_tool(
        "list_stages",
        {"database": database, "schema": schema},
        as_json=as_json,
        home=home,
        backend=backend,
        connection=connection,
    )
    if found is None:
        return
    why_not = found.get("not_usable") or {}
    rows = [
        (
            s["name"],
            s["kind"],
            s["encryption"],
            "yes" if s["name"] not in why_not else f"no: {why_not[s['name']]}",
        )
        for s in found["stages"]
    ]
    print_table(["stage", "kind", "encryption", "usable for output"], rows)
    if not found.get("usable_for_output"):
        say("No stage here can take batch output: snowbatch stages create DB.SCHEMA.NAME")


@stages_app.command("create")
def stages_create(
    stage: Annotated[str, typer.Argument(help="DB.SCHEMA.STAGE, or STAGE in the default schema")],
    comment: Annotated[str | None, typer.Option(help="the stage's comment")] = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Create an internal SNOWFLAKE_SSE stage for batch output (says what it will do and asks first)."""
    with tool_session(home, backend, connection) as tools:
        result = tools.approve("create_stage", {"stage": stage, "comment": comment}, yes=yes, as_json=as_json)
    _finish(result, as_json)


@pools_app.command("list")
def pools_list(
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Compute pools this role can use."""
    found = read_tool(
        "list_compute_pools", {}, as_json=as_json, home=home, backend=backend, connection=connection
    )
    if found is None:
        return
    _print_pools(found["pools"])


def _print_pools(pools: list[dict[str, Any]]) -> None:
    if not pools:
        say("No compute pools visible: snowbatch pools create NAME --family CPU_X64_S")
        return
    rows = [
        (
            p["name"],
            p["state"],
            p["instance_family"],
            f"{p['min_nodes']}-{p['max_nodes']}",
            p.get("vcpu"),
            p.get("memory_gib"),
            p.get("gpus") or "",
        )
        for p in pools
    ]
    print_table(["pool", "state", "family", "nodes", "vCPU", "GiB", "GPUs"], rows)


@pools_app.command("recommend")
def pools_recommend(
    model: Annotated[str, typer.Option(help="the model to run")],
    version: VersionOpt = None,
    function: Annotated[str | None, typer.Option(help="the function to run")] = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """The pool to run a model's function on and why (or the instance family to create one with)."""
    found = read_tool(
        "list_compute_pools",
        {"model": model, "version": version, "function": function},
        as_json=as_json,
        home=home,
        backend=backend,
        connection=connection,
    )
    if found is None:
        return
    advice = found.get("recommendation") or {}
    if advice.get("pool"):
        say(f"Use {advice['pool']} ({advice.get('pool_state')}): {advice['reason']}")
    else:
        say(advice.get("reason") or "No recommendation.")
    for label in ("action", "family_to_create"):
        if advice.get(label):
            say(f"  {label.replace('_', ' ')}: {advice[label]}")
    if advice.get("alternatives"):
        say(f"  alternatives: {', '.join(advice['alternatives'])}")


@pools_app.command("create")
def pools_create(
    name: Annotated[str, typer.Argument(help="the new pool's name")],
    family: Annotated[str, typer.Option("--family", help="instance family, e.g. CPU_X64_S, GPU_NV_S")],
    min_nodes: Annotated[int, typer.Option(min=1, max=100)] = 1,
    max_nodes: Annotated[int, typer.Option(min=1, max=100)] = 1,
    auto_suspend_secs: Annotated[int, typer.Option(min=0, help="suspend after this many idle seconds")] = 600,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Create a compute pool (it costs credits while it has nodes; asks first)."""
    args = {
        "name": name,
        "instance_family": family,
        "min_nodes": min_nodes,
        "max_nodes": max_nodes,
        "auto_suspend_secs": auto_suspend_secs,
    }
    with tool_session(home, backend, connection) as tools:
        result = tools.approve("create_compute_pool", args, yes=yes, as_json=as_json)
    _finish(result, as_json)


@pools_app.command("resume")
def pools_resume(
    name: Annotated[str, typer.Argument(help="a SUSPENDED pool")],
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    connection: ConnectionOpt = None,
) -> None:
    """Resume a suspended compute pool (it starts billing; asks first)."""
    with tool_session(home, backend, connection) as tools:
        result = tools.approve("resume_compute_pool", {"name": name}, yes=yes, as_json=as_json)
    _finish(result, as_json)
