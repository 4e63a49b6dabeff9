"""The row ids of docs/snowflake-fidelity.md, which every answer of the fake cites."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

LEDGER = Path(__file__).resolve().parents[2] / "docs" / "snowflake-fidelity.md"


@cache
def ledger_ids() -> frozenset[str]:
    return frozenset(re.findall(r"^\| (F\d\d) \|", LEDGER.read_text(), flags=re.M))
