"""docs/snowflake-fidelity.md is the source of the fake's answers: every route cites existing rows, every
row has a source, and the rows the fake cannot answer are the ones the ledger says it does not."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fakes import standard_account
from tests.fakes.ledger import LEDGER, ledger_ids

ROW = re.compile(r"^\| (F\d\d) \| (.*)$", re.M)


def rows() -> dict[str, list[str]]:
    return {m[1]: [c.strip() for c in m[2].split(" | ")] for m in ROW.finditer(LEDGER.read_text())}


def test_every_route_of_the_fake_cites_rows_the_ledger_has(tmp_path: Path) -> None:
    account = standard_account(tmp_path)
    cited = {i for route in account.routes for i in route.ledger}
    assert cited and cited <= ledger_ids(), sorted(cited - ledger_ids())


def test_ids_are_unique_and_every_row_names_its_sender_and_a_source_or_says_unverified() -> None:
    text = LEDGER.read_text()
    ids = re.findall(r"^\| (F\d\d) \|", text, flags=re.M)
    assert len(ids) == len(set(ids)) >= 40
    for row_id, cells in rows().items():
        sent_by, sources = cells[1], cells[3]
        assert re.search(r"snowbatch|snowflake-ml|Snowpark|connector|none", sent_by), row_id
        assert re.search(r"d:|ml |sp |cn |c:|as F\d\d", sources) or "UNVERIFIED" in " ".join(cells), row_id


def test_the_ledger_cites_only_sources_we_did_not_write() -> None:
    text = LEDGER.read_text()
    sources = text[text.index("## Sources") :]
    assert "server/snowbatch" not in sources and "tests/" not in sources
