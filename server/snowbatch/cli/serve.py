"""`snowbatch serve`: its arguments and the server start, shared by the console script's fast path
(`entry`) and the full command line (`main`), so neither imports the other's module for it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snowbatch serve",
        description="Run the MCP server (stdio for Claude Code / Cursor; http for streamable HTTP).",
    )
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="http only; loopback by default (any other address needs authentication: SNOWBATCH_AUTH_TOKEN, "
        "SNOWBATCH_AUTH_TOKEN_FILE or SNOWBATCH_OAUTH_ISSUER, docs/shared-server.md)",
    )
    parser.add_argument("--port", type=int, default=8765, help="http only")
    from snowbatch.backends import backend_names

    parser.add_argument("--backend", choices=["auto", *backend_names()], help="SNOWBATCH_BACKEND")
    parser.add_argument("--home", help="local account folder (SNOWBATCH_HOME)")
    parser.add_argument("--connection", help="connections.toml connection name (SNOWBATCH_CONNECTION_NAME)")
    parser.add_argument(
        "--read-only",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="register no tool that spends or changes anything (SNOWBATCH_READ_ONLY)",
    )
    return parser


def run_serve(argv: Sequence[str]) -> None:
    args = serve_parser().parse_args(list(argv))
    from snowbatch.server import serve
    from snowbatch.settings import Settings

    given = {
        "backend": args.backend,
        "home": args.home,
        "connection_name": args.connection,
        "read_only": args.read_only,
    }
    settings = Settings(**{k: v for k, v in given.items() if v is not None})
    from snowbatch.auth import AuthConfigError
    from snowbatch.core.errors import SnowbatchError

    try:
        serve(settings, transport=args.transport, host=args.host, port=args.port)
    except AuthConfigError as exc:  # refused before anything listens: say how to configure it
        print(f"snowbatch serve: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except SnowbatchError as exc:  # a setting that cannot work (e.g. SNOWBATCH_AUDIT_TABLE): said, not traced
        print(f"snowbatch serve: {exc.problem}\nNext step: {exc.next_step}", file=sys.stderr)
        raise SystemExit(2) from None
