"""Starting the server and answering tools/list must not import any heavy library."""

import json
import subprocess
import sys

# "snowflake" alone is the namespace package that Snowpark's -nspkg.pth creates at interpreter start;
# what must not load is any real package under it.
HEAVY = (
    "snowflake.ml",
    "snowflake.snowpark",
    "snowflake.connector",
    "pandas",
    "pyarrow",
    "duckdb",
    "sklearn",
    "numpy",
    "torch",
)

PROBE = """
import json, sys, anyio
from mcp import Client
from snowbatch.server import build_server
from snowbatch.settings import Settings

async def main():
    async with Client(build_server(Settings(backend="local", home=sys.argv[1]))) as c:
        tools = (await c.list_tools()).tools
        prompts = (await c.list_prompts()).prompts
    heavy = sorted(h for h in json.loads(sys.argv[2]) if h in sys.modules)
    print(json.dumps({"tools": len(tools), "prompts": len(prompts), "heavy": heavy}))

anyio.run(main)
"""


def test_tools_list_imports_no_heavy_library(tmp_path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "home"), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["tools"] >= 20
    assert report["heavy"] == [], f"imported at startup: {report['heavy']}"
