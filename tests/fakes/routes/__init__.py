"""The statements the fake account answers: full-match patterns grouped by area, each citing the rows of
docs/snowflake-fidelity.md its answer follows. A statement no route matches fails loudly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.fakes.routes import data, jobs, pools, registry, session, tasks, warehouse
from tests.fakes.routes.common import Route

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount

__all__ = ["Route", "build"]


def build(acct: FakeAccount) -> list[Route]:
    # The warehouse's catch-all SELECT … MODEL( route goes last: every more specific shape wins.
    modules = (session, registry, data, pools, jobs, tasks, warehouse)
    return [route for module in modules for route in module.build(acct).items]
