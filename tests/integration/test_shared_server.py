"""A server a team can share: `snowbatch serve --transport http` (a real process on 127.0.0.1) with
bearer tokens from a file of named principals.

- a request without a valid token gets 401 and a Bearer challenge, and nothing else;
- a plan and its confirmation token are usable only by the principal that made them: another gets
  "not found", never the plan;
- no token ever appears in a result, the server's log or the audit trail;
- twenty authenticated clients make two hundred calls at once without an error.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.hardening.conftest import HttpServer, Outcome, call_tool
from tests.hardening.test_load import READS
from tests.integration.helpers import TABLE_PLAN, call, wait_done
from tests.integration.http_clients import bare_post, bearer_client, fresh_home, texts_of

pytestmark = pytest.mark.anyio
TOKENS = {"alice": secrets.token_urlsafe(32), "bob": secrets.token_urlsafe(32)}


@dataclass
class Shared:
    server: HttpServer
    home: Path

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def shared(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    root = tmp_path_factory.mktemp("shared-server")
    home = fresh_home(seeded_template, root)
    tokens = root / "tokens"
    tokens.write_text("".join(f"{name} {token}\n" for name, token in TOKENS.items()))
    server = HttpServer(home, env={"SNOWBATCH_AUTH_TOKEN_FILE": str(tokens)})
    try:
        yield Shared(server, home)
    finally:
        server.stop()


def test_a_request_without_a_valid_token_gets_401_and_a_bearer_challenge(shared: Shared) -> None:
    alice = TOKENS["alice"]
    for authorization in (None, "Bearer not-a-token-of-this-server", f"Basic {alice}", f"Bearer {alice}x"):
        response = bare_post(shared.url, authorization)
        assert response.status_code == 401, authorization
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
        assert "jsonrpc" not in response.text  # nothing of the server's answers
    assert bare_post(shared.url, f"Bearer {alice}").status_code == 200


async def test_a_plan_and_its_token_are_usable_only_by_the_principal_that_made_them(shared: Shared) -> None:
    async with (
        bearer_client(shared.url, TOKENS["alice"]) as alice,
        bearer_client(shared.url, TOKENS["bob"]) as bob,
    ):
        plan = await call(alice, "plan_batch_job", {**TABLE_PLAN, "output_stage": "@ML.PUBLIC.BATCH_OUT/a/"})
        approved = {"plan_id": plan["plan_id"], "confirmation_token": plan["confirmation_token"]}
        for args in ({"plan_id": plan["plan_id"]}, approved):
            refused = await call_tool(bob, "submit_batch_job", args)
            assert refused.is_error and refused.structured is not None
            assert refused.structured["error"]["code"] == "not_found", refused.text
            assert plan["summary"] not in refused.everything and "CHURN" not in refused.everything

        asked = await call(alice, "create_stage", {"stage": "ML.PUBLIC.ALICES_STAGE"})
        stolen = {"stage": "ML.PUBLIC.ALICES_STAGE", "confirmation_token": asked["confirmation_token"]}
        refused = await call_tool(bob, "create_stage", stolen)
        assert refused.is_error and "another client" in refused.text
        assert "ALICES_STAGE" not in json.dumps(await call(bob, "list_stages"))

        started = await call(alice, "submit_batch_job", approved)  # the maker's own yes still works
        assert started["status"] == "started"
        assert (await wait_done(alice, started["result"]["job_id"]))["status"] == "DONE"


async def test_no_token_appears_in_results_the_log_or_the_audit_trail(shared: Shared) -> None:
    seen: list[str] = []
    async with bearer_client(shared.url, TOKENS["alice"]) as alice:
        env = await texts_of(alice, "get_environment", {}, seen)
        args = {"stage": "ML.PUBLIC.AUDITED_STAGE"}
        asked = await texts_of(alice, "create_stage", args, seen)
        token = (asked.structured or {})["confirmation_token"]
        made = await texts_of(alice, "create_stage", {**args, "confirmation_token": token}, seen)
        assert made.structured and made.structured["status"] == "done", made.text
    bare_post(shared.url, f"Bearer {TOKENS['bob']}-forged")

    trail_path = Path((env.structured or {})["audit_log"])
    trail = [json.loads(line) for line in trail_path.read_text().splitlines()]
    mine = [r for r in trail if r["tool"] == "create_stage" and "AUDITED_STAGE" in r["summary"]]
    assert len(mine) == 1 and mine[0]["principal"] == "alice" and mine[0]["approved_by"] == "token"
    everything = "\n".join(seen) + shared.server.log.read_text(errors="replace") + trail_path.read_text()
    for secret in TOKENS.values():
        assert secret not in everything


async def test_twenty_authenticated_clients_make_two_hundred_calls_without_an_error(shared: Shared) -> None:
    results: list[tuple[str, Outcome]] = []

    async def client(index: int) -> None:
        async with bearer_client(shared.url, TOKENS["alice" if index % 2 else "bob"]) as session:

            async def one(k: int) -> None:
                tool, args = READS[(index + k) % len(READS)]
                results.append((tool, await call_tool(session, tool, args)))

            async with anyio.create_task_group() as tg:
                for k in range(10):
                    tg.start_soon(one, k)

    with anyio.fail_after(150):
        async with anyio.create_task_group() as tg:
            for index in range(20):
                tg.start_soon(client, index)
    errors = [(tool, outcome.text[:200]) for tool, outcome in results if outcome.is_error]
    assert len(results) == 200 and errors == [], errors


async def test_without_authentication_on_loopback_each_session_keeps_its_own_plans(local_home: Path) -> None:
    server = HttpServer(local_home)
    try:
        async with (
            bearer_client(server.url, None, mode="legacy") as one,
            bearer_client(server.url, None, mode="legacy") as other,
        ):
            plan: dict[str, Any] = await call(one, "plan_batch_job", TABLE_PLAN)
            refused = await call_tool(other, "submit_batch_job", {"plan_id": plan["plan_id"]})
            assert refused.structured and refused.structured["error"]["code"] == "not_found"
            asked = await call(one, "submit_batch_job", {"plan_id": plan["plan_id"]})
            assert asked["status"] == "confirmation_required"
    finally:
        server.stop()
