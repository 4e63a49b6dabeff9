"""The mutation run's result: a table per module, the score, and what a person must read next."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tests.mutation.equivalent import EQUIVALENT


@dataclass
class Outcome:
    key: str
    name: str  # Mutant.name: what tests/mutation/equivalent.py lists
    module: str
    function: str
    kind: str
    description: str
    status: str  # killed | survived | timeout | error
    seconds: float
    by: str = ""  # the first test that failed


def _short(module: str) -> str:
    return module.removeprefix("server/snowbatch/")


def report(outcomes: list[Outcome], skipped: Counter[str], stale: list[str], elapsed: float) -> str:
    """`skipped`: per module, the listed equivalents not run (without --all)."""
    lines = [
        f"{len(outcomes)} mutants run in {elapsed / 60:.1f} min; "
        f"{sum(skipped.values())} listed as equivalent were not run",
        "",
        "| module | generated | equivalent (listed) | killed | survived |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    totals = Counter[str]()
    for module in dict.fromkeys([*(o.module for o in outcomes), *skipped]):
        items = [o for o in outcomes if o.module == module]
        row = Counter(
            generated=len(items) + skipped[module],
            equivalent=skipped[module] + sum(o.status == "survived" and o.name in EQUIVALENT for o in items),
            killed=sum(o.status != "survived" for o in items),
            survived=sum(o.status == "survived" and o.name not in EQUIVALENT for o in items),
        )
        totals.update(row)
        cells = " | ".join(str(row[c]) for c in ("generated", "equivalent", "killed", "survived"))
        lines.append(f"| {_short(module)} | {cells} |")
    cells = " | ".join(f"**{totals[c]}**" for c in ("generated", "equivalent", "killed", "survived"))
    lines.append(f"| **all** | {cells} |")
    judged = totals["killed"] + totals["survived"]
    if judged:
        lines += ["", f"Killed {totals['killed']} of {judged} mutants not listed as equivalent "
                  f"({100 * totals['killed'] / judged:.1f}%)."]  # fmt: skip
    unread = [o for o in outcomes if o.status == "survived" and o.name not in EQUIVALENT]
    if unread:
        lines += ["", "Survivors to read (equivalent: list them in tests/mutation/equivalent.py; else a test "
                  "is missing):"]  # fmt: skip
        lines += [f"- `{o.name}` ({o.description.split(':', 1)[0]})" for o in unread]
    wrong = [o for o in outcomes if o.status != "survived" and o.name in EQUIVALENT]
    if wrong:
        lines += ["", "Listed as equivalent but killed (take them off the list):"]
        lines += [f"- `{o.name}` by {o.by or o.status}" for o in wrong]
    if stale:
        lines += ["", "Listed as equivalent but no longer a mutant (the code changed: read it again):"]
        lines += [f"- `{name}`" for name in stale]
    others = Counter(o.status for o in outcomes if o.status not in ("killed", "survived"))
    if others:
        lines += ["", f"Killed by a timeout or an error rather than a failed test: {dict(others)}"]
    return "\n".join(lines)
