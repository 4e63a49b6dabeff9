"""With SNOWBATCH_AUDIT_TABLE set, every approved gated action's audit record also lands in that table of
the account (created by the first record), on the local account and the fake Snowflake account alike;
the record there is the file's record, and it holds no token."""

import json
from typing import Any

import duckdb
import pytest
from mcp import Client

from snowbatch.core.errors import SnowbatchError
from snowbatch.server import build_server
from snowbatch.settings import Settings
from tests.integration.helpers import call

pytestmark = pytest.mark.anyio
TABLE = "ML.PUBLIC.SNOWBATCH_AUDIT"


def table_records(deployment: Any, tmp_path: Any, local_home: Any) -> list[dict[str, Any]]:
    if deployment.kind == "local":
        con = duckdb.connect(str(local_home / "databases" / "ML.duckdb"), read_only=True)
        rows = con.execute("SELECT RECORD FROM PUBLIC.SNOWBATCH_AUDIT ORDER BY RECORDED_AT").fetchall()
        con.close()
    else:
        acct = deployment.fake_account
        rows = acct.db.execute(
            'SELECT RECORD FROM "ML"."PUBLIC"."SNOWBATCH_AUDIT" ORDER BY RECORDED_AT'
        ).fetchall()
    return [json.loads(r[0]) for r in rows]


async def test_each_approved_action_is_also_a_row_of_the_audit_table(
    deployment: Any, tmp_path: Any, local_home: Any
) -> None:
    server = deployment.make_server(audit_table=TABLE)
    async with Client(server) as client:
        for stage in ("ML.PUBLIC.AUDITED_ONE", "ML.PUBLIC.AUDITED_TWO"):
            asked = await call(client, "create_stage", {"stage": stage})
            token = asked["confirmation_token"]
            await call(client, "create_stage", {"stage": stage, "confirmation_token": token})
    rows = table_records(deployment, tmp_path, local_home)
    assert [r["tool"] for r in rows] == ["create_stage", "create_stage"]
    assert [r["approved_by"] for r in rows] == ["token", "token"]
    assert "AUDITED_ONE" in rows[0]["summary"] and "AUDITED_TWO" in rows[1]["summary"]
    assert token not in json.dumps(rows)  # the approval's token is never recorded


def test_a_name_that_cannot_be_a_table_stops_the_server_at_start(tmp_path: Any) -> None:
    with pytest.raises(SnowbatchError, match="not a valid Snowflake name"):
        build_server(Settings(backend="local", home=tmp_path, audit_table="ML.PUBLIC.BAD NAME;"))
