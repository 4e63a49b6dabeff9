"""The `snowbatch` command's entry point.

`snowbatch serve` is what an assistant launches at every start, so it goes straight to the server
without loading the full command line (typer, rich and the other commands cost ~60 ms there);
every other command loads the CLI (`snowbatch.cli.main`). Neither module imports the other: both use
`snowbatch.cli.serve`.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        from snowbatch.cli.serve import run_serve

        run_serve(sys.argv[2:])
        return
    from snowbatch.cli.main import main as cli_main

    cli_main()
