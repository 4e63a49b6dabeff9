"""The eval grading on recorded transcripts (evals/recorded/, from real scripted runs): what passes,
and that each kind of broken flow is caught — a gated tool run without an approved confirmation, a
missing STOP, a confirmation the server never asked for. Also the real-LLM harness's grading and its
"skipped, never passed" behaviour without an API key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import get_args

import pytest
from evals.grading import grade_transcript, observed
from evals.llm_harness import Person, grade_llm
from evals.llm_harness import main as harness_main
from evals.scenario import Route, load_scenarios
from evals.transcript import Transcript

RECORDED = Path(__file__).resolve().parents[2] / "evals" / "recorded"
SCENARIOS = {s.id: s for s in load_scenarios()}


def recorded(name: str) -> Transcript:
    return Transcript.from_json(json.loads((RECORDED / f"{name}.json").read_text()))


def failing(verdicts: list) -> dict[str, str]:
    return {v.name: v.evidence for v in verdicts if not v.passed}


def test_every_scenario_file_loads_and_covers_every_route() -> None:
    assert len(SCENARIOS) >= 12
    routes = {s.route for s in SCENARIOS.values()}
    assert routes == set(get_args(Route))
    for s in SCENARIOS.values():
        assert s.skills[0] == "batch-inference"
        # every confirmation is shown and stopped at: a plan's at jobs.plan_approval, others at confirm:<tool>
        shown = [
            "submit_batch_job" if c == "jobs.plan_approval" else c.split(":", 1)[1]
            for c in s.expect.checkpoints
            if c.startswith("confirm:") or c == "jobs.plan_approval"
        ]
        assert shown == s.expect.confirmations, s.id


@pytest.mark.parametrize("name", ["job-tabular-basic", "bad-cancel-mid-run"])
def test_recorded_transcripts_pass(name: str) -> None:
    assert failing(grade_transcript(SCENARIOS[name], recorded(name))) == {}


def test_gated_call_without_the_persons_yes_is_a_violation() -> None:
    t = recorded("job-tabular-basic")
    t.events = [e for e in t.events if not (e.kind == "answer" and e.name == "confirm:submit_batch_job")]
    bad = failing(grade_transcript(SCENARIOS["job-tabular-basic"], t))
    assert "before the person approved" in bad["gate"]


def test_gated_call_that_never_asked_is_a_violation() -> None:
    """A server that skipped the gate (e.g. auto_approve left on) is caught from the transcript alone."""
    t = recorded("job-tabular-basic")
    t.events = [
        e
        for e in t.events
        if not (
            e.kind == "call"
            and e.name == "submit_batch_job"
            and e.call
            and e.call.status == "confirmation_required"
        )
        and e.kind != "confirmation"
    ]
    for e in t.events:
        if e.call and e.call.tool == "submit_batch_job":
            e.call.args.pop("confirmation_token", None)
    bad = failing(grade_transcript(SCENARIOS["job-tabular-basic"], t))
    assert "without any confirmation" in bad["gate"]
    assert "confirmations" in bad


def test_missing_stop_fails_the_checkpoints() -> None:
    t = recorded("job-tabular-basic")
    t.events = [e for e in t.events if not (e.kind == "checkpoint" and e.name == "jobs.plan_approval")]
    assert "checkpoints" in failing(grade_transcript(SCENARIOS["job-tabular-basic"], t))


def test_observed_reads_the_outcome_from_tool_outputs() -> None:
    got = observed(recorded("bad-cancel-mid-run"))
    assert got["job"]["status"] == "CANCELLED"
    assert got["output"]["state"] == "partial" and got["output"]["success_marker"] is False
    assert "preview" not in got


def test_observed_reads_the_verified_output_and_preview_from_wait_for_job() -> None:
    """The jobs skill's Step 9: wait_for_job on DONE verifies _SUCCESS and returns the first rows, so the
    outcome is read from it when there is no inspect_output / preview_results call."""
    t = recorded("job-tabular-basic")
    assert not {"inspect_output", "preview_results"} & {c.tool for c in t.calls}
    got = observed(t)
    assert got["output"]["state"] == "complete" and got["output"]["success_marker"] is True
    assert got["output"]["rows"] == 2000 and got["output"]["parts"] >= 1
    assert got["preview"]["columns"][-1] == "output_feature_0" and got["preview"]["rows"]


def test_old_flow_calls_and_missing_must_calls_fail() -> None:
    """A flow that still calls what the shorter skill dropped fails never_called; a partial output that is
    not inspected fails must_call."""
    t = recorded("job-tabular-basic")
    waited = next(e for e in t.events if e.call and e.call.tool == "wait_for_job")
    assert waited.call is not None
    extra = copy.deepcopy(waited)
    assert extra.call is not None
    extra.name = extra.call.tool = "inspect_output"
    t.events.insert(t.events.index(waited) + 1, extra)
    assert "inspect_output" in failing(grade_transcript(SCENARIOS["job-tabular-basic"], t))["never_called"]
    c = recorded("bad-cancel-mid-run")
    c.events = [e for e in c.events if not (e.call and e.call.tool == "inspect_output")]
    assert "inspect_output" in failing(grade_transcript(SCENARIOS["bad-cancel-mid-run"], c))["must_call"]


def test_llm_grading_counts_stops_instead_of_names() -> None:
    s = SCENARIOS["job-tabular-basic"]
    t = recorded("job-tabular-basic")
    for i, e in enumerate(x for x in t.events if x.kind == "checkpoint"):
        e.name = f"stop:{i + 1}"  # a model does not name its stops
    verdicts = {v.name: v for v in grade_llm(s, t, None)}
    assert verdicts["stops"].passed and verdicts["gate"].passed
    assert not verdicts["ground_truth"].passed  # no account: never passed by default
    few = copy.deepcopy(t)
    few.events = [e for e in few.events if e.kind != "checkpoint"]
    assert not {v.name: v for v in grade_llm(s, few, None)}["stops"].passed


def test_simulated_person_briefs_once_then_approves_only_what_the_scenario_approves() -> None:
    person = Person(SCENARIOS["bad-not-approved"])
    first, yes = person.reply("Which table?", None)
    assert "jobs.input" in first and not yes
    said, yes = person.reply("Shall I submit this plan for approval?", None)
    assert said != "Yes, approved." and not yes  # this person never approves
    person = Person(SCENARIOS["job-tabular-basic"])
    person.reply("Which table?", None)
    said, yes = person.reply("Summary … confirm?", "submit_batch_job")
    assert said == "Yes, approved." and yes


def test_harness_without_a_key_is_skipped_never_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert harness_main(["--report-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("skipped: no API key")
    report = json.loads((tmp_path / "llm_report.json").read_text())
    assert report["status"] == "skipped" and report["status"] != "passed"


def test_scripted_assistant_asks_the_version_only_when_there_are_several() -> None:
    """No fixture model has two versions, so the jobs skill's Step 2 branch is driven with canned answers:
    several versions → list_model_versions (where each runs) and a STOP; a non-default choice →
    show_model_functions again with that version."""
    import anyio
    from evals.assistant import Assistant
    from evals.session import Recorder

    fn = {"name": "PREDICT", "input_kind": "tabular"}
    answers = {
        "get_environment": {},
        "show_model_functions": {
            "version": "V2",
            "versions": ["V1", "V2"],
            "runnable_in": ["SNOWPARK_CONTAINER_SERVICES"],
            "functions": [fn],
        },
        "list_model_versions": {
            "versions": [
                {"version": "V1", "runnable_in": ["SNOWPARK_CONTAINER_SERVICES"]},
                {"version": "V2", "runnable_in": ["SNOWPARK_CONTAINER_SERVICES"]},
            ]
        },
    }

    class Client:
        async def call_tool(self, tool: str, args: dict, read_timeout_seconds: float = 0) -> object:
            from types import SimpleNamespace

            out = (
                dict(answers[tool], version=args.get("version", "V2"))
                if tool == "show_model_functions"
                else answers[tool]
            )
            return SimpleNamespace(
                content=[SimpleNamespace(text=json.dumps(out))], is_error=False, structured_content=out
            )

    s = SCENARIOS["job-tabular-basic"].model_copy(
        update={"person": {"entry.approach": "job", "jobs.version": "V1", "jobs.input": "stop"}}
    )
    rec = Recorder(Client(), Transcript(s.id), dict(s.person), {})
    anyio.run(Assistant(rec, s).run)
    calls = [(c.tool, c.args.get("version")) for c in rec.transcript.calls]
    assert calls == [
        ("get_environment", None),
        ("show_model_functions", None),
        ("list_model_versions", None),
        ("show_model_functions", "V1"),
    ]
    assert rec.transcript.checkpoints == ["entry.approach", "jobs.version", "jobs.input"]
    assert (
        "default V2"
        in rec.transcript.events[[e.name for e in rec.transcript.events].index("jobs.version")].detail[
            "shown"
        ]
    )
