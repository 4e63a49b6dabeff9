"""Lint for the shipped Agent Skills (skills/*/SKILL.md and their references/).

What a skill promises must hold: frontmatter follows the Agent Skills spec, every file, tool and template
it names exists (tools from the live server, templates from the codegen manifest), no gated tool is
mentioned in a section before that section's STOP line, every such section says what to do with
`confirmation_required`, and every code block parses (Python blocks also bind to the installed
snowflake-ml-python API).
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from snowbatch.resources import skills_dir
from snowbatch.skill_bundle import Skill, shipped_skills, split_frontmatter

SKILLS = shipped_skills(skills_dir())
SKILL_IDS = [s.name for s in SKILLS]
ALLOWED_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
STOP_LINE = re.compile(r"^\*\*STOP\*\* — ")
FENCE = re.compile(r"^```(\S*)\s*$")
BACKTICKED = re.compile(r"`([^`\n]+)`")
# What the issue asks the entry skill's description to trigger on.
ENTRY_TRIGGERS = [
    "batch inference",
    "bulk predictions",
    "offline scoring",
    "score a table",
    "run_batch",
    "run()",
    "image inference",
    "audio transcription",
    "multimodal",
]
# Backticked snake_case words that start like a tool name but are snowflake-ml / Snowpark API names
# or request fields. Anything else that looks like a tool must be a real tool or template.
TOOL_VERBS = (
    "get",
    "list",
    "show",
    "describe",
    "create",
    "resume",
    "recommend",
    "plan",
    "submit",
    "wait",
    "cancel",
    "delete",
    "inspect",
    "preview",
    "save",
    "run",
    "generate",
)
NOT_TOOLS = {
    "run_batch",
    "show_functions",
    "get_logs",
    "get_job",
    "save_as_table",
    "create_dataframe",
    "list_stage_files_from_directory_tables",
    "get_model",
    "show_versions",
    "get_active_session",
    "plan_id",
}


# --------------------------------------------------------------------------------------------------
# Reading skills


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    line: int


@dataclass(frozen=True)
class Section:
    heading: str
    lines: list[str]  # prose and code, fences included

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def markdown_files(skill: Skill) -> list[Path]:
    return [skill.path(rel) for rel in skill.files if rel.endswith(".md")]


def code_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    buf: list[str] = []
    lang: str | None = None
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        fence = FENCE.match(line)
        if lang is None and fence:
            lang, start, buf = fence.group(1), number, []
        elif lang is not None and line.strip() == "```":
            blocks.append(Block(lang, "\n".join(buf), start))
            lang = None
        elif lang is not None:
            buf.append(line)
    assert lang is None, f"unclosed code fence opened at line {start}"
    return blocks


def prose(text: str) -> str:
    """The text outside code fences."""
    out, inside = [], False
    for line in text.splitlines():
        if FENCE.match(line) or (inside and line.strip() == "```"):
            inside = not inside
            continue
        if not inside:
            out.append(line)
    return "\n".join(out)


def sections(body: str) -> list[Section]:
    """Level-2 sections (subsections belong to their parent); the text before the first is its own."""
    result = [Section("(preamble)", [])]
    inside = False
    for line in body.splitlines():
        if FENCE.match(line) or (inside and line.strip() == "```"):
            inside = not inside
        if not inside and line.startswith("## "):
            result.append(Section(line[3:].strip(), []))
        else:
            result[-1].lines.append(line)
    return result


def field_names(section: Section, label: str) -> list[str] | None:
    """Backticked names on the section's `- **<label>:**` line (None when there is no such line)."""
    for i, line in enumerate(section.lines):
        if line.startswith(f"- **{label}:**"):
            text = line
            for more in section.lines[i + 1 :]:  # a wrapped line continues with two spaces
                if not more.startswith("  "):
                    break
                text += " " + more.strip()
            return BACKTICKED.findall(re.sub(r"\([^)]*\)", "", text))
    return None


def body_of(skill: Skill) -> str:
    return split_frontmatter(skill.path("SKILL.md").read_text(encoding="utf-8"))[1]


# --------------------------------------------------------------------------------------------------
# The server's tools and the codegen templates


@pytest.fixture(scope="module")
def live_tools(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bool]:
    """Tool name → gated (readOnlyHint false), from the server as build_server() assembles it."""
    from snowbatch.server import build_server
    from snowbatch.settings import Settings

    home = tmp_path_factory.mktemp("home")
    settings = Settings.model_validate({"backend": "local", "home": home, "read_only": False})
    tools = asyncio.run(build_server(settings).list_tools())
    gated = {t.name: bool(t.annotations is None or not t.annotations.read_only_hint) for t in tools}
    assert gated.get("submit_batch_job"), "the server no longer marks submit_batch_job as gated"
    return gated


@pytest.fixture(scope="module")
def gated_tools(live_tools: dict[str, bool]) -> set[str]:
    return {name for name, gated in live_tools.items() if gated}


@pytest.fixture(scope="module")
def template_names() -> set[str]:
    from snowbatch.templates import list_templates

    names = {t.name for t in list_templates()}
    assert names, "codegen lists no templates"
    return names


# --------------------------------------------------------------------------------------------------
# Frontmatter and structure


def test_skills_are_shipped() -> None:
    assert "batch-inference" in SKILL_IDS
    assert len(SKILLS) == 5, SKILL_IDS


@pytest.mark.parametrize("skill", SKILLS, ids=SKILL_IDS)
def test_frontmatter_follows_the_spec(skill: Skill) -> None:
    meta, body = split_frontmatter(skill.path("SKILL.md").read_text(encoding="utf-8"))
    assert set(meta) <= ALLOWED_KEYS, f"non-spec keys: {set(meta) - ALLOWED_KEYS}"
    name = meta["name"]
    assert isinstance(name, str) and 1 <= len(name) <= 64 and NAME_RE.match(name), name
    assert name == skill.directory.name, "name must equal the folder name"
    description = meta["description"]
    assert isinstance(description, str) and 1 <= len(description) <= 1024
    assert "Use " in description, "say when to use the skill"
    if "compatibility" in meta:
        assert 1 <= len(meta["compatibility"]) <= 500
    if "metadata" in meta:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta["metadata"].items())
    assert len(body.splitlines()) < 500, "keep SKILL.md under 500 lines; move detail to references/"


def test_names_are_unique_and_entry_triggers_are_covered() -> None:
    assert len(set(SKILL_IDS)) == len(SKILL_IDS)
    entry = next(s for s in SKILLS if s.name == "batch-inference")
    missing = [t for t in ENTRY_TRIGGERS if t.lower() not in entry.description.lower()]
    assert not missing, f"entry description lacks trigger words: {missing}"


@pytest.mark.parametrize("skill", SKILLS, ids=SKILL_IDS)
def test_every_step_names_its_tools_and_template(skill: Skill) -> None:
    steps = [s for s in sections(body_of(skill)) if s.heading.startswith("Step ")]
    assert steps, "a skill is a sequence of '## Step N — ...' sections"
    for section in steps:
        assert field_names(section, "Tools") is not None, f"{section.heading}: no '- **Tools:**' line"
        assert field_names(section, "Template") is not None, f"{section.heading}: no '- **Template:**' line"


# --------------------------------------------------------------------------------------------------
# Names that must exist


@pytest.mark.parametrize("skill", SKILLS, ids=SKILL_IDS)
def test_named_tools_exist(skill: Skill, live_tools: dict[str, bool], template_names: set[str]) -> None:
    problems = []
    for section in sections(body_of(skill)):
        for name in field_names(section, "Tools") or []:
            if name not in live_tools:
                problems.append(f"{section.heading}: Tools names unknown tool {name!r}")
    for path in markdown_files(skill):
        for token in BACKTICKED.findall(prose(path.read_text(encoding="utf-8"))):
            word = token.removesuffix("()")
            if not re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", word) or not word.startswith(TOOL_VERBS):
                continue
            if word not in live_tools and word not in template_names and word not in NOT_TOOLS:
                problems.append(f"{path.name}: `{token}` looks like a tool but the server has none")
    assert not problems, "\n".join(dict.fromkeys(problems))


@pytest.mark.parametrize("skill", SKILLS, ids=SKILL_IDS)
def test_named_templates_exist(skill: Skill, template_names: set[str]) -> None:
    problems = [
        f"{section.heading}: unknown template {name!r}"
        for section in sections(body_of(skill))
        for name in field_names(section, "Template") or []
        if name not in template_names
    ]
    assert not problems, "\n".join(problems) + f"\nknown: {sorted(template_names)}"


def _file_refs(text: str) -> list[str]:
    refs = [t for t in BACKTICKED.findall(text) if t.endswith(".md") and " " not in t and "://" not in t]
    refs += re.findall(r"\]\(([^)#\s]+\.md)\)", text)
    return refs


@pytest.mark.parametrize("skill", SKILLS, ids=SKILL_IDS)
def test_named_files_exist_and_references_are_one_level_deep(skill: Skill) -> None:
    root = skills_dir()
    problems = []
    for path in markdown_files(skill):
        text = prose(path.read_text(encoding="utf-8"))
        for ref in _file_refs(text):
            if path.name != "SKILL.md":
                problems.append(f"{path.name} refers to {ref}: reference files must not chain")
            elif not (skill.directory / ref).resolve().is_file():
                problems.append(f"SKILL.md refers to missing {ref}")
        for skill_name, rel in re.findall(r"skill://([a-z0-9-]+)/([^\s`)]+)", text):
            if not (root / skill_name / rel).is_file():
                problems.append(f"{path.name}: skill://{skill_name}/{rel} does not exist")
    body_refs = set(_file_refs(body_of(skill)))
    for rel in skill.files:
        if rel.startswith("references/"):
            assert rel.count("/") == 1, f"{rel}: keep references one level deep"
            if rel not in body_refs:
                problems.append(f"{rel} is never referenced from SKILL.md")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------
# Checkpoints


def stop_problems(text: str, gated: set[str], where: str = "") -> list[str]:
    """Sections where a gated tool is named before the section's first STOP line, or named without
    saying what to do with confirmation_required."""
    # A qualified name (snowflake.ml.jobs.delete_job) is the Python API, not the tool.
    pattern = re.compile(r"(?<![\w.])(" + "|".join(sorted(map(re.escape, gated))) + r")\b")
    problems = []
    for section in sections(text):
        if section.heading.strip("# ").strip() == "Rules":
            continue  # the entry skill's statement of the approval protocol itself
        stop_at = next((i for i, line in enumerate(section.lines) if STOP_LINE.match(line)), None)
        mentioned = False
        for i, line in enumerate(section.lines):
            for match in pattern.finditer(line):
                mentioned = True
                if stop_at is None or i < stop_at:
                    problems.append(f"{where}{section.heading}: `{match.group(1)}` before any STOP")
        if mentioned and "confirmation_required" not in section.text:
            problems.append(f"{where}{section.heading}: gated tool without confirmation_required")
    return problems


@pytest.mark.parametrize("skill", SKILLS, ids=SKILL_IDS)
def test_gated_tools_only_after_a_stop(skill: Skill, gated_tools: set[str]) -> None:
    problems = []
    for path in markdown_files(skill):
        text = path.read_text(encoding="utf-8")
        if path.name == "SKILL.md":
            text = split_frontmatter(text)[1]
        problems += stop_problems(text, gated_tools, f"{path.name} / ")
    assert not problems, "\n".join(problems)


def test_stop_rule_is_not_vacuous() -> None:
    gated = {"submit_batch_job"}
    early = "## Step 1\n\nCall `submit_batch_job`.\n\n**STOP** — wait. On `confirmation_required` ...\n"
    no_advice = "## Step 1\n\n**STOP** — wait.\n\nCall `submit_batch_job`.\n"
    other_section = (
        "## Step 1\n\n**STOP** — wait.\n\n## Step 2\n\n`submit_batch_job`, confirmation_required\n"
    )
    good = "## Step 1\n\n**STOP** — wait.\n\nThen `submit_batch_job`; on `confirmation_required` ...\n"
    assert stop_problems(early, gated) == ["Step 1: `submit_batch_job` before any STOP"]
    assert stop_problems(no_advice, gated) == ["Step 1: gated tool without confirmation_required"]
    assert stop_problems(other_section, gated) == ["Step 2: `submit_batch_job` before any STOP"]
    assert stop_problems(good, gated) == []


def test_jobs_skill_has_the_mandatory_checkpoint() -> None:
    body = body_of(next(s for s in SKILLS if s.name == "batch-inference-jobs"))
    plan, submit = body.index("`plan_batch_job`"), body.index("`submit_batch_job`")
    stop = body.index("**STOP** — wait for an explicit yes")
    assert plan < stop < submit


# --------------------------------------------------------------------------------------------------
# Code blocks

BLOCKS: dict[str, Block] = {
    f"{path.parent.name if path.name == 'SKILL.md' else path.stem}:{block.line}": block
    for skill in SKILLS
    for path in markdown_files(skill)
    for block in code_blocks(path.read_text(encoding="utf-8"))
}
PY_BLOCKS = [pytest.param(b, id=i) for i, b in BLOCKS.items() if b.lang == "python"]
JSON_BLOCKS = [pytest.param(b, id=i) for i, b in BLOCKS.items() if b.lang == "json"]


def test_code_blocks_are_labelled() -> None:
    unlabelled = [i for i, b in BLOCKS.items() if not b.lang]
    assert not unlabelled, f"give every code fence a language: {unlabelled}"
    assert PY_BLOCKS and JSON_BLOCKS


@pytest.mark.parametrize("block", PY_BLOCKS)
def test_python_blocks_compile(block: Block) -> None:
    compile(block.code, f"<skill block line {block.line}>", "exec")


@pytest.mark.parametrize("block", JSON_BLOCKS)
def test_json_blocks_parse(block: Block) -> None:
    json.loads(block.code)


def _accepted_keywords(target: Any) -> set[str] | None:
    """Keyword names a callable accepts (None: anything goes)."""
    fields = getattr(target, "model_fields", None)
    if isinstance(fields, dict):
        return set(fields) | {f.alias for f in fields.values() if getattr(f, "alias", None)}
    try:
        params = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}


def api_problems(code: str) -> list[str]:
    """Imports from snowflake.* that do not resolve, and keywords the installed API does not take."""
    from snowflake.ml.model._client.model.model_version_impl import ModelVersion

    tree = ast.parse(code)
    imported: dict[str, Any] = {}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("snowflake"):
            try:
                module = importlib.import_module(node.module)
            except ImportError as exc:
                problems.append(f"import {node.module}: {exc}")
                continue
            for alias in node.names:
                if not hasattr(module, alias.name):
                    problems.append(f"{node.module} has no {alias.name}")
                else:
                    imported[alias.asname or alias.name] = getattr(module, alias.name)
    methods = {"run_batch": ModelVersion.run_batch, "run": ModelVersion.run}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in imported:
            target, label = imported[node.func.id], node.func.id
        elif isinstance(node.func, ast.Attribute) and node.func.attr in methods:
            target, label = methods[node.func.attr], f"ModelVersion.{node.func.attr}"
        else:
            continue
        accepted = _accepted_keywords(target)
        for keyword in node.keywords:
            if accepted is not None and keyword.arg is not None and keyword.arg not in accepted:
                problems.append(f"{label}() takes no keyword {keyword.arg!r}")
    return problems


@pytest.mark.parametrize("block", PY_BLOCKS)
def test_python_blocks_bind_to_installed_snowml(block: Block) -> None:
    """Blocks are written for snowflake-ml-python 2.x (what snowbatch installs); a block whose first line
    says it is for 1.x is only compiled."""
    pytest.importorskip("snowflake.ml.model.batch_inference")
    if re.match(r"#.*\b1\.\d", block.code.lstrip()):
        return
    assert not api_problems(block.code)


def test_api_check_catches_1x_code_on_2x() -> None:
    """The binding check is not vacuous: 1.x-style arguments fail against the installed 2.x API."""
    pytest.importorskip("snowflake.ml.model.batch_inference")
    code = (
        "from snowflake.ml.model.batch_inference import OutputSpec\n"
        "mv.run_batch(df, compute_pool='P', output_spec=OutputSpec(stage_location='@S/'), job_spec=None)\n"
        "OutputSpec(base_stage_location='@S/')\n"
    )
    assert sorted(api_problems(code)) == [
        "ModelVersion.run_batch() takes no keyword 'job_spec'",
        "OutputSpec() takes no keyword 'base_stage_location'",
    ]


# --------------------------------------------------------------------------------------------------
# One protocol, one range, no hand-written release-dependent code

RELEASES_OUTSIDE_RANGE = re.compile(r"\b1\.(?:1\d|2[0-7])\b|\b2\.(?:[7-9]|\d\d)\b")
RELEASE_DEPENDENT = re.compile(
    r"snowflake\.ml\.model\.batch|\.run_batch\(|JobSpec\(|InferenceSpec\(|OutputSpec\("
)


@pytest.mark.parametrize("skill", SKILLS, ids=SKILL_IDS)
def test_every_skill_targets_snowml_1_28_to_2_6(skill: Skill) -> None:
    meta = split_frontmatter(skill.path("SKILL.md").read_text(encoding="utf-8"))[0]
    assert "1.28 to 2.6" in str(meta.get("compatibility")), skill.name
    for path in markdown_files(skill):
        outside = RELEASES_OUTSIDE_RANGE.findall(path.read_text(encoding="utf-8"))
        assert not outside, f"{path.name} names releases outside 1.28-2.6: {outside}"


def test_no_skill_text_holds_release_dependent_code() -> None:
    """Code that differs by release is rendered by generate_code for the person's release, never pasted."""
    found = [i for i, b in BLOCKS.items() if RELEASE_DEPENDENT.search(b.code)]
    assert not found, f"hand-written release-dependent code in {found}"


def test_the_approval_protocol_is_stated_once_and_every_step_skill_defers_to_it() -> None:
    entry = body_of(next(s for s in SKILLS if s.name == "batch-inference"))
    assert "One yes per action" in entry and "`submit_batch_job` with `plan_id` and that token" in entry
    for skill in SKILLS:
        if skill.name == "batch-inference":
            continue
        body = body_of(skill)
        assert "../batch-inference/SKILL.md` apply" in body, skill.name
        assert "One yes per action" not in body, f"{skill.name} restates the protocol"


@pytest.mark.parametrize("skill", SKILLS, ids=SKILL_IDS)
def test_every_stop_line_ends_the_turn(skill: Skill) -> None:
    """A STOP line tells the assistant to wait for the person, and nothing else."""
    for line in body_of(skill).splitlines():
        if STOP_LINE.match(line):
            assert re.match(r"\*\*STOP\*\* — (wait|if |when )", line), line
