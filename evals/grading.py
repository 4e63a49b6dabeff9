"""Grading a transcript against its scenario. Everything is read from the transcript (tool calls and
their outputs, checkpoints, confirmations), so a scripted run and a real model's run are graded alike;
only the ground-truth comparison also reads the local account's files."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evals.scenario import ErrorSeen, Scenario
from evals.transcript import Call, Transcript


@dataclass
class Verdict:
    name: str
    passed: bool
    evidence: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _last(calls: list[Call], tool: str, pred: Any = None) -> Call | None:
    for c in reversed(calls):
        if c.tool == tool and not c.is_error and (pred is None or pred(c)):
            return c
    return None


def _latest(calls: list[Call], tool: str, key: str) -> dict[str, Any] | None:
    """The latest of: `tool`'s own output, or the `key` part of a wait_for_job (which verifies a DONE
    batch job's output itself — state, _SUCCESS, rows, parts — and, when complete, returns its first
    rows)."""
    for c in reversed(calls):
        if c.is_error:
            continue
        if c.tool == tool:
            return c.structured
        if c.tool == "wait_for_job" and (c.structured or {}).get(key):
            return dict((c.structured or {})[key])
    return None


def observed(t: Transcript) -> dict[str, Any]:
    """What the flow achieved, from its tool outputs."""
    calls = t.calls
    out: dict[str, Any] = {}
    submits = [c for c in calls if c.tool == "submit_batch_job" and c.status == "started"]
    out["jobs_submitted"] = len(submits)
    waited = _last(calls, "wait_for_job")
    if waited and waited.structured:
        out["job"] = waited.structured.get("job")
    output = _latest(calls, "inspect_output", "output")
    if output is not None:
        out["output"] = output
    preview = _latest(calls, "preview_results", "preview")
    if preview is not None:
        out["preview"] = preview
    wh_preview = _last(calls, "preview_in_warehouse")
    if wh_preview and wh_preview.structured:
        out["warehouse_preview"] = wh_preview.structured.get("result")
    sql_form = _last(calls, "generate_code", lambda c: bool(c.args.get("preview_rows")))
    if sql_form and sql_form.structured and sql_form.structured.get("preview"):
        out["sql_form_preview"] = sql_form.structured["preview"]
    scheduled = _last(calls, "submit_batch_job", lambda c: c.status == "done")
    if scheduled and scheduled.structured:
        out["schedule"] = (scheduled.structured.get("result") or {}).get("schedule")
    saved = _last(calls, "save_results_to_table", lambda c: c.status == "done")
    if saved and saved.structured:
        out["table"] = dict(saved.structured.get("result") or {})
    written = _last(
        calls, "run_in_warehouse", lambda c: c.status == "started" and bool(c.args.get("output_table"))
    )
    if written:
        table = str(written.args["output_table"])
        described = _last(
            calls, "describe_input", lambda c: str(c.args.get("table", "")).upper() == table.upper()
        )
        out["table"] = {
            "table": table,
            "rows": (described.structured or {}).get("row_count") if described else None,
            "columns": [c["name"] for c in (described.structured or {}).get("columns", [])]
            if described
            else None,
        }
    return out


def error_found(t: Transcript, want: ErrorSeen) -> tuple[bool, str]:
    """Whether a call to want.tool answered with this error (a ToolError, a failing check, or a listing
    that shows the problem) and its next step."""
    for c in t.calls:
        if c.tool != want.tool:
            continue
        text = c.text
        if want.check:
            s = c.structured or {}
            checks = [
                ck
                for ck in (s.get("checks") or s.get("fit") or [])
                if ck.get("name") == want.check and ck.get("status") == "fail"
            ]
            if not checks and not c.is_error:
                continue
            if checks:
                text = " ".join(f"{ck.get('message')} {ck.get('fix')}" for ck in checks)
        needles = [*want.contains, *want.next_step_contains]
        if all(n.lower() in text.lower() for n in needles):
            return True, f"{c.tool}: {text[:240]}"
    return False, f"no {want.tool} output contains {want.contains + want.next_step_contains}"


def grade_transcript(s: Scenario, t: Transcript, *, exact_checkpoints: bool = True) -> list[Verdict]:
    """The checks that need only the transcript: checkpoints, confirmations, the gate, errors seen."""
    v: list[Verdict] = []
    got = t.checkpoints
    want = s.expect.checkpoints
    if exact_checkpoints:
        v.append(
            Verdict("checkpoints", got == want, f"hit {got}" + ("" if got == want else f"; expected {want}"))
        )
    else:
        it = iter(got)
        ok = all(any(w == g for g in it) for w in want)
        v.append(Verdict("checkpoints", ok, f"hit {got}; expected in order {want}"))
    conf = t.confirmations
    v.append(
        Verdict(
            "confirmations",
            conf == s.expect.confirmations,
            f"confirmation_required from {conf}; expected {s.expect.confirmations}",
        )
    )
    problems = t.violations()
    v.append(
        Verdict(
            "gate", not problems, "; ".join(problems) or "no gated tool ran without an approved confirmation"
        )
    )
    called = {c.tool for c in t.calls}
    bad = sorted(called & set(s.expect.never_called))
    if s.expect.never_called:
        v.append(
            Verdict("never_called", not bad, f"called {bad}" if bad else f"none of {s.expect.never_called}")
        )
    if s.expect.must_call:
        missing = [tool for tool in s.expect.must_call if tool not in called]
        v.append(
            Verdict(
                "must_call",
                not missing,
                f"not called {missing}" if missing else f"all of {s.expect.must_call}",
            )
        )
    for want_err in s.expect.outcome.errors_seen:
        ok, evidence = error_found(t, want_err)
        v.append(
            Verdict(f"error:{want_err.tool}{':' + want_err.check if want_err.check else ''}", ok, evidence)
        )
    if s.expect.outcome.summary_contains:
        v.append(_summary_verdict(t, s.expect.outcome.summary_contains))
    return v


def _summary_verdict(t: Transcript, wanted: list[str]) -> Verdict:
    """The summary of the last plan that passed (the one the person said yes to) says each of `wanted`."""
    plan = _last(t.calls, "plan_batch_job", lambda c: bool((c.structured or {}).get("ok")))
    summary = str((plan.structured or {}).get("summary") or "") if plan else ""
    missing = [w for w in wanted if w.lower() not in summary.lower()]
    evidence = f"lacks {missing}: {summary[:300]}" if missing else f"says {wanted}"
    return Verdict("plan_summary", bool(summary) and not missing, evidence)


def grade_outcome(s: Scenario, t: Transcript, home: Path | None) -> list[Verdict]:
    from evals import groundtruth

    o = s.expect.outcome
    got = observed(t)
    v: list[Verdict] = []
    job = got.get("job") or {}
    output = got.get("output") or {}
    if o.status:
        v.append(
            Verdict(
                "job_status", job.get("status") == o.status, f"job {job.get('job_id')}: {job.get('status')}"
            )
        )
    if o.output_state:
        v.append(
            Verdict(
                "output_state",
                output.get("state") == o.output_state,
                f"{output.get('state')} (_SUCCESS {output.get('success_marker')})",
            )
        )
    if o.kind in ("error", "scheduled"):
        v.append(Verdict("no_job", got["jobs_submitted"] == 0, f"{got['jobs_submitted']} job(s) submitted"))
    if o.kind == "scheduled":
        task = str((got.get("schedule") or {}).get("task", ""))
        v.append(Verdict("task", task.upper() == str(o.task).upper(), f"task {task or '(none)'} created"))
    if o.kind == "cancelled":
        v.append(
            Verdict(
                "no_preview_of_partial",
                "preview" not in got,
                "partial output was not previewed" if "preview" not in got else "previewed a partial output",
            )
        )
    if o.rows is not None:
        if o.kind == "table" or (o.table and o.kind != "results"):
            rows = (got.get("table") or {}).get("rows")
        elif "sql_form_preview" in got and not output:
            rows = len(got["sql_form_preview"].get("rows", []))
        elif "warehouse_preview" in got and not output:
            rows = len((got["warehouse_preview"] or {}).get("rows", []))
        else:
            rows = output.get("rows")
        v.append(Verdict("rows", rows == o.rows, f"{rows} rows; expected {o.rows}"))
    if o.parts is not None:
        n: int | None = output.get("parts")  # wait_for_job counts the parts; inspect_output lists the files
        if "files" in output:
            n = len([f for f in output["files"] if str(f.get("path", "")).endswith(".parquet")])
        v.append(Verdict("parts", n == o.parts, f"{n} Parquet parts; expected {o.parts}"))
    if o.columns is not None:
        shown = got.get("preview") or got.get("sql_form_preview") or got.get("warehouse_preview")
        cols = (shown or {}).get("columns")
        if cols is None and got.get("table"):
            cols = got["table"].get("columns")
        v.append(
            Verdict(
                "columns",
                cols == o.columns,
                f"{cols}" + ("" if cols == o.columns else f"; expected {o.columns}"),
            )
        )
    if o.table:
        name = str((got.get("table") or {}).get("table", ""))
        v.append(Verdict("table", name.upper() == o.table.upper(), f"results in table {name or '(none)'}"))
    gt = o.ground_truth
    if gt and home is not None:
        v.extend(_ground_truth(s, got, home))
    elif gt:
        v.append(Verdict("ground_truth", False, "no local account to compare against"))
    _ = groundtruth
    return v


def _ground_truth(s: Scenario, got: dict[str, Any], home: Path) -> list[Verdict]:
    from evals import groundtruth

    gt = s.expect.outcome.ground_truth
    assert gt is not None
    if s.expect.outcome.kind == "scheduled":
        return _scheduled_truth(s, got, home)
    if gt.kind == "tabular" and gt.column and "sql_form_preview" in got:
        return _sql_form_ground_truth(s, got["sql_form_preview"], home)
    location = (got.get("output") or {}).get("location") or (got.get("job") or {}).get("output_location")
    if not location:
        return [Verdict("ground_truth", False, "no output location to read")]
    actual = groundtruth.read_output(home, location)
    if gt.kind == "tabular":
        assert gt.model and gt.method and gt.table_rows
        expected = groundtruth.tabular_expected(home, gt.model, gt.version, gt.method, gt.table_rows)
        every = expected
        if gt.already_scored is not None:  # only_new: exactly the keys not scored before the run
            expected = expected[expected[gt.key] > gt.already_scored]
        problems = groundtruth.key_problems(actual, expected[gt.key], gt.key) if gt.already_scored else []
        problems += groundtruth.compare_tabular(actual, expected, gt.key)
        verdicts = [
            Verdict(
                "ground_truth",
                not problems,
                "; ".join(problems)
                or f"{len(expected)} rows × {len(expected.columns) - 1} outputs "
                f"equal the packaged model's {gt.method} (native object)",
            )
        ]
        if gt.results_table:
            verdicts.append(_results_table_truth(home, gt.results_table, every, gt.key))
        return verdicts
    if gt.kind == "files":
        return [_files_truth(actual, home, s)]
    return [_chat_truth(actual, gt.contains)]


def _scheduled_truth(s: Scenario, got: dict[str, Any], home: Path) -> list[Verdict]:
    """The task runs once, on demand, as `snowbatch local execute-task` runs it (the local backend has
    no clock): the results table then holds every key once with the model's values; a second run finds
    nothing new."""
    from evals import groundtruth
    from snowbatch.backends.local.backend import LocalBackend
    from snowbatch.core.names import ObjectName
    from snowbatch.scheduled_run import run_scheduled

    gt = s.expect.outcome.ground_truth
    assert gt is not None and gt.model and gt.method and gt.table_rows and gt.results_table
    task = str((got.get("schedule") or {}).get("task", ""))
    if not task:
        return [Verdict("ground_truth", False, "no task to run")]
    backend = LocalBackend(home)
    spec = backend.schedules.get(ObjectName.parse(task, what="task"))
    first, second = run_scheduled(backend, spec), run_scheduled(backend, spec)
    every = groundtruth.tabular_expected(home, gt.model, gt.version, gt.method, gt.table_rows)
    table = _results_table_truth(home, gt.results_table, every, gt.key)
    again = second == "No new rows: nothing scored."
    return [
        Verdict("scheduled_run", True, first),
        table,
        Verdict("scheduled_rerun", again, second if not again else "a second run finds nothing new"),
    ]


def _results_table_truth(home: Path, table: str, expected: Any, key: str) -> Verdict:
    """After an only_new run is appended: the results table holds every key once, with the model's values."""
    from evals import groundtruth

    actual = groundtruth.read_table(home, table)
    problems = groundtruth.key_problems(actual, expected[key], key)
    problems += groundtruth.compare_tabular(actual, expected, key)
    return Verdict(
        "results_table",
        not problems,
        "; ".join(problems) or f"{table}: all {len(expected)} {key}s once, values equal the model's",
    )


def _files_truth(actual: Any, home: Path, s: Scenario) -> Verdict:
    from evals import groundtruth

    where = s.person.get("files.location") or {}
    expected = groundtruth.files_expected(home, where.get("stage_location", ""), where.get("pattern"))
    text_rows = [" ".join(str(x) for x in row) for row in actual.astype(str).itertuples(index=False)]
    problems = []
    for name, facts in expected.items():
        row = next((r for r in text_rows if name in r), None)
        if row is None:
            problems.append(f"no result row for {name}")
        elif str(facts["bytes"]) not in row or facts["sha256"] not in row:
            problems.append(
                f"{name}: size {facts['bytes']} / sha256 {facts['sha256'][:12]}… not in {row[:160]}"
            )
    if len(actual) != len(expected):
        problems.append(f"{len(actual)} result rows for {len(expected)} files")
    return Verdict(
        "ground_truth",
        not problems,
        "; ".join(problems)
        or f"{len(expected)} files: each result row carries the file's true size and SHA-256",
    )


def _answer_text(choices: Any) -> str:
    """choices[0].message.content, whether Parquet gave the list nested or as JSON text."""
    import json

    parsed = json.loads(choices) if isinstance(choices, str) else choices
    return str(next(iter(parsed))["message"]["content"])


def _chat_truth(actual: Any, contains: dict[str, str]) -> Verdict:
    """Each answer joined to its image through FILE_PATH (no JSON parsing of the input), and naming
    what the image shows."""
    if "FILE_PATH" not in actual.columns or "choices" not in actual.columns:
        return Verdict("ground_truth", False, f"no FILE_PATH / choices columns: {list(actual.columns)}")
    pairs = zip(actual["FILE_PATH"], actual["choices"], strict=True)
    answers = {str(path).rsplit("/", 1)[-1]: _answer_text(choices) for path, choices in pairs}
    problems = []
    for name, needle in contains.items():
        if name not in answers:
            problems.append(f"no answer row for {name} (FILE_PATH {sorted(answers)})")
        elif needle.lower() not in answers[name].lower():
            problems.append(f"{name}: answer lacks {needle!r}: {answers[name][:200]}")
    return Verdict(
        "ground_truth",
        not problems,
        "; ".join(problems)
        or f"answers joined by FILE_PATH name the right content for {', '.join(contains)}",
    )


def grade(s: Scenario, t: Transcript, home: Path | None, *, exact_checkpoints: bool = True) -> list[Verdict]:
    return grade_transcript(s, t, exact_checkpoints=exact_checkpoints) + grade_outcome(s, t, home)


def _sql_form_ground_truth(s: Scenario, preview: dict[str, Any], home: Path) -> list[Verdict]:
    """The previewed SQL form's column equals the model's own output for the same keys: the value a
    job (or run()) computes for those rows, computed here outside the server."""
    import pandas as pd

    from evals import groundtruth

    gt = s.expect.outcome.ground_truth
    assert gt is not None and gt.model and gt.method and gt.table_rows and gt.column and gt.output
    expected = groundtruth.tabular_expected(home, gt.model, gt.version, gt.method, gt.table_rows)
    shown = pd.DataFrame(preview.get("rows", []))
    if shown.empty or gt.column not in shown.columns:
        return [Verdict("ground_truth", False, f"no column {gt.column} in the previewed rows")]
    actual = shown[[gt.key, gt.column]].rename(columns={gt.column: gt.output})
    wanted = expected.loc[expected[gt.key].isin(actual[gt.key]), [gt.key, gt.output]]
    # previews round cells to 6 decimals (core.output.preview_cell): compare to that precision
    problems = groundtruth.compare_tabular(actual, wanted, gt.key, rtol=1e-4)
    evidence = f"{len(shown)} previewed rows of {gt.column} equal the model's {gt.output}"
    return [Verdict("ground_truth", not problems, "; ".join(problems[:3]) or evidence)]
