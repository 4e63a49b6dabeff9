"""Engine settings checked before anything is paid for: a vLLM job's `engine_args` against the pool's
instance family (GPUs per node, memory per GPU) and against the job's own input (media per message).

snowflake-ml-python 2.6 `run_batch` checks none of this: `engine_args_override` goes into the job's YAML
verbatim and errors surface only on the server, after the pool has started
(docs/research/files-multimodal.md §2). So each rule here says what is wrong and what to do next before
the yes. Only what the plan's facts can settle is checked; the rest is said to be unchecked.

What is NOT checked, and why:
* the model's size against GPU memory: `VersionDetail` carries no size and no parameter count, and none
  is invented here;
* `--max-model-len` against GPU memory: the KV cache a token needs depends on the model's layers, heads
  and dtype, which the plan does not know; vLLM itself refuses a length above the model's own maximum,
  which the plan does not know either;
* tensor parallel size against the model's attention heads (vLLM needs it to divide them): unknown too;
* flags other than those below pass through untouched, and so does the dotted JSON-key form
  (`--limit-mm-per-prompt.image=2`).

How the flags are read (spellings, aliases, repeats): core.engine_args.
"""

from __future__ import annotations

from snowbatch.core.engine_args import (
    CHECK_NAMES,
    GPU_MEMORY,
    HUMAN_INT,
    LABELS,
    MAX_MODEL_LEN,
    MEDIA_LIMIT,
    MEDIA_PARTS,
    PIPELINE_PARALLEL,
    TENSOR_PARALLEL,
    EngineArgs,
    parse_engine_args,
    parse_media_limit,
    whole_number,
)
from snowbatch.core.plan_facts import Check, PlanFacts
from snowbatch.core.pools import FAMILIES, Family, family
from snowbatch.core.requests import BatchJobRequest, chat_messages_for_file


def _gpu_count(fam: Family) -> str:
    return f"{fam.gpus} GPU{'s' if fam.gpus != 1 else ''}"


def _gpu_text(fam: Family) -> str:
    return f"{fam.gpus} × {fam.gpu_kind}"


def _families_with(gpus: int, cloud: str | None) -> list[Family]:
    fits = [f for f in FAMILIES.values() if f.gpus >= gpus]
    same = [f for f in fits if f.cloud == cloud] or fits
    return sorted(same, key=lambda f: (f.gpus, f.gpu_memory_gib or 0, f.name))


def _check_parallel(parsed: EngineArgs, request: BatchJobRequest, facts: PlanFacts) -> list[Check]:
    given = {f: parsed.values[f] for f in (TENSOR_PARALLEL, PIPELINE_PARALLEL) if f in parsed.values}
    if not given:
        return []
    sizes: dict[str, int] = {}
    checks = []
    for flag, raw in given.items():
        size = whole_number(raw)
        if size is None or size < 1:
            # vLLM: `ParallelConfig` sizes are ints of at least 1 (argparse `type=int`)
            checks.append(
                Check(
                    name="engine_parallel",
                    status="fail",
                    message=f"{flag}={raw} is not a whole number of GPUs (1 or more).",
                    fix=f"Write it as {flag}=1, or the number of GPUs to split the model over.",
                )
            )
        else:
            sizes[flag] = size
    if checks:
        return checks
    tp, pp = sizes.get(TENSOR_PARALLEL, 1), sizes.get(PIPELINE_PARALLEL, 1)
    # vLLM's world size is pipeline_parallel_size * tensor_parallel_size (vllm-project/vllm,
    # `ParallelConfig.__post_init__`), one GPU per worker. vLLM's docs: "The tensor parallel size should be
    # the number of GPUs in each node, and the pipeline parallel size is the number of nodes"; more than
    # one node needs a Ray cluster (https://docs.vllm.ai/en/v0.8.3/serving/distributed_serving.html).
    # A family's GPU count is per node (CREATE COMPUTE POOL), and a job replica runs in one container on
    # one node. UNVERIFIED: that Snowflake's inference server never spans nodes; failing is the safe side
    # (it is said so when a pipeline parallel size is given).
    world = tp * pp
    setting = " × ".join(f"{f}={v}" for f, v in given.items())
    pool = facts.pool
    if pool is None:
        return []  # the compute_pool check already fails
    fam = family(pool.instance_family)
    if fam is None:
        if not pool.has_gpu:
            return []  # a vLLM job on a pool without GPUs is refused by check_pool (core.compute)
        return [
            Check(
                name="engine_parallel",
                status="warn",
                message=f"{setting} could not be checked: instance family {pool.instance_family} of "
                f"{pool.name} is not in snowbatch's table of GPU families.",
                fix=f"SHOW COMPUTE POOL INSTANCE FAMILIES gives its gpu_count; {world} GPU(s) on one node "
                "are needed, else lower the setting.",
            )
        ]
    if fam.gpus == 0:
        return []  # refused by check_pool: vLLM runs on GPUs only
    if world > fam.gpus:
        options = _families_with(world, fam.cloud)
        if options:
            bigger = ", ".join(f"{f.name} ({_gpu_text(f)})" for f in options[:2])
            where = f"a pool of a family with at least {world} GPUs, e.g. {bigger}"
        else:
            most = max(f.gpus for f in FAMILIES.values())
            where = f"no family in the table has {world} GPUs on one node (the most is {most})"
        fix = (
            f"Use {where} — create_compute_pool, availability varies by region — or lower "
            f"{TENSOR_PARALLEL if TENSOR_PARALLEL in given else PIPELINE_PARALLEL} so the GPUs used are "
            f"at most {fam.gpus}."
        )
        checks.append(
            Check(
                name="engine_parallel",
                status="fail",
                message=f"{setting} needs {world} GPUs on one node, but {pool.name} is {fam.name} with "
                f"{_gpu_count(fam)} per node ({fam.gpu_kind})"
                + (
                    "; a job replica is taken to run on one node (UNVERIFIED for Snowflake)."
                    if PIPELINE_PARALLEL in given
                    else "."
                ),
                fix=fix,
            )
        )
        return checks
    checks.append(
        Check(
            name="engine_parallel",
            status="pass",
            message=f"{setting} uses {world} of the {_gpu_count(fam)} of {fam.name} ({_gpu_text(fam)}).",
        )
    )
    requested = whole_number(request.scaling.gpu_requests or "")
    if requested is not None and requested < world:
        # snowflake-ml 1.43.0 set --tensor-parallel-size=<gpu_requests> itself
        # (`_enrich_inference_engine_args`, docs/research/files-multimodal.md §2): the two go together.
        # UNVERIFIED: how the 2.x server maps gpu_requests to the GPUs the container sees.
        checks.append(
            Check(
                name="engine_parallel",
                status="warn",
                message=f"gpu_requests is {requested} but {setting} uses {world} GPUs: if the job's "
                f"container gets only {requested}, vLLM cannot start (UNVERIFIED how Snowflake maps "
                "gpu_requests).",
                fix=f'Set scaling.gpu_requests to "{world}", or lower the parallel size to {requested}.',
            )
        )
    return checks


def _check_gpu_memory(parsed: EngineArgs, facts: PlanFacts) -> list[Check]:
    raw = parsed.values.get(GPU_MEMORY)
    if raw is None:
        return []
    try:
        share = float(raw)
    except ValueError:
        share = float("nan")
    # vLLM `CacheConfig.gpu_memory_utilization: float = Field(default=..., gt=0, le=1)`, "the fraction of
    # GPU memory to be used for the model executor, which can range from 0 to 1" (vllm-project/vllm
    # `vllm/config/cache.py`); the default is 0.9 in the vLLM docs (0.92 on current main).
    if not 0 < share <= 1:
        return [
            Check(
                name="engine_gpu_memory",
                status="fail",
                message=f"{GPU_MEMORY}={raw} is not a fraction above 0 and at most 1: vLLM takes the share "
                "of each GPU's memory it may use.",
                fix=f"Use a fraction such as {GPU_MEMORY}=0.9 (vLLM's default), or leave it out.",
            )
        ]
    fam = family(facts.pool.instance_family) if facts.pool else None
    of = (
        f" ({share * fam.gpu_memory_gib:.1f} of {fam.gpu_memory_gib} GiB per GPU on {fam.name})"
        if fam and fam.gpu_memory_gib
        else ""
    )
    return [
        Check(
            name="engine_gpu_memory",
            status="pass",
            message=f"vLLM may use {share:.0%} of each GPU's memory{of}.",
        )
    ]


def _check_max_model_len(parsed: EngineArgs, facts: PlanFacts) -> list[Check]:
    raw = parsed.values.get(MAX_MODEL_LEN)
    if raw is None:
        return []
    text = raw.strip()
    fix = f"Write the number of tokens in full, e.g. {MAX_MODEL_LEN}=8192."
    if text.isdigit():
        tokens = int(text)
        if tokens < 1:
            return [
                Check(
                    name="engine_max_model_len",
                    status="fail",
                    message=f"{MAX_MODEL_LEN}={raw}: a context of no tokens.",
                    fix=fix,
                )
            ]
        fam = family(facts.pool.instance_family) if facts.pool else None
        memory = (
            f" ({fam.gpus} × {fam.gpu_memory_gib} GiB on {fam.name})" if fam and fam.gpu_memory_gib else ""
        )
        return [
            Check(
                name="engine_max_model_len",
                status="pass",
                message=f"Max model length {tokens:,} tokens. Whether it fits the GPU memory{memory} "
                "depends on the model's size and layers, which the plan does not know: not checked.",
            )
        ]
    if HUMAN_INT.fullmatch(text) or text.lower() == "auto" or text == "-1":
        # `8k`: vLLM's `human_readable_int` (above). `auto`/-1 (fit the length to memory): UNVERIFIED, seen
        # only in a third-party description of a newer vLLM (`human_readable_int_or_auto`). Either way it
        # depends on the vLLM version in Snowflake's image, which is UNVERIFIED: warn, do not block.
        return [
            Check(
                name="engine_max_model_len",
                status="warn",
                message=f"{MAX_MODEL_LEN}={raw} is read only by recent vLLM releases, and suffixes changed "
                "meaning between them; the vLLM version Snowflake runs is UNVERIFIED.",
                fix=fix,
            )
        ]
    return [
        Check(
            name="engine_max_model_len",
            status="fail",
            message=f"{MAX_MODEL_LEN}={raw} is not a number of tokens.",
            fix=fix,
        )
    ]


def media_parts(media: str, prompt: str | None, system: str | None) -> int:
    """Media parts in each message list a chat-from-files job sends (core.requests builds them)."""
    messages = chat_messages_for_file("@S/file", media, prompt, system)
    return sum(
        1
        for message in messages
        if isinstance(message["content"], list)
        for part in message["content"]
        if MEDIA_PARTS.get(part.get("type", "")) == media
    )


def _check_media(parsed: EngineArgs, request: BatchJobRequest) -> list[Check]:
    inp = request.input
    if inp.kind != "chat" or inp.stage_location is None:
        return []  # messages from a table: their media parts are not counted before the job
    raw = parsed.values.get(MEDIA_LIMIT)
    if raw is None:
        return []  # vLLM's default is 1 (V0) or 999 (V1) per modality: enough for one part a message
    parts = media_parts(inp.media, inp.prompt, inp.system)
    example = (
        f'{MEDIA_LIMIT}={{"{inp.media}": {parts}}} (JSON, recent vLLM) or {inp.media}={parts} (vLLM 0.6/0.7)'
    )
    limits = parse_media_limit(raw)
    if limits is None:
        return [
            Check(
                name="engine_media_limit",
                status="fail",
                message=f"{MEDIA_LIMIT}={raw} is neither a JSON object of counts nor a list like image=1.",
                fix=f"Write it as {example}.",
            )
        ]
    limit = limits.get(inp.media)
    if limit is None:
        return [
            Check(
                name="engine_media_limit",
                status="pass" if parts <= 1 else "warn",
                message=f"{MEDIA_LIMIT} sets no {inp.media} limit, so vLLM's default applies (1 in V0, "
                f"999 in V1); each message has {parts} {inp.media} part(s).",
                fix=None if parts <= 1 else f"Set it explicitly: {example}.",
            )
        ]
    if limit < parts:
        return [
            Check(
                name="engine_media_limit",
                status="fail",
                message=f"{MEDIA_LIMIT} allows {limit} {inp.media}(s) per prompt, but each message of this "
                f"job carries {parts} (one file each).",
                fix=f"Raise it to at least {parts}: {example}.",
            )
        ]
    return [
        Check(
            name="engine_media_limit",
            status="pass",
            message=f"{MEDIA_LIMIT} allows {limit} {inp.media}(s) per prompt; each message has {parts}.",
        )
    ]


def check_engine(request: BatchJobRequest, facts: PlanFacts) -> list[Check]:
    """The engine's settings, checked before the yes; vLLM jobs only (the engine name in any case)."""
    if (request.engine or "").lower() != "vllm":
        return []
    parsed = parse_engine_args(request.engine_args)
    checks = [
        Check(
            name=CHECK_NAMES[flag],
            status="fail",
            message=f"{flag} is given without a value.",
            fix=f"Write it as {flag}=<value>, or leave it out.",
        )
        for flag in parsed.missing
    ]
    checks += _check_parallel(parsed, request, facts)
    checks += _check_gpu_memory(parsed, facts)
    checks += _check_max_model_len(parsed, facts)
    checks += _check_media(parsed, request)
    return checks


def describe_engine(engine: str, args: list[str] | None) -> str:
    """The engine and its key settings in words, for the plan's summary."""
    if engine.lower() != "vllm":
        return " ".join([engine, *(args or [])])
    parsed = parse_engine_args(args)
    settings = []
    for flag, label in LABELS.items():
        if flag in parsed.missing:
            settings.append(f"{label} (no value)")
        elif flag in parsed.values:
            value = parsed.values[flag]
            limits = parse_media_limit(value) if flag == MEDIA_LIMIT else None
            shown = ", ".join(f"{k} {v}" for k, v in limits.items()) if limits is not None else value
            settings.append(f"{label} {shown}")
    if parsed.others:
        settings.append("other args " + " ".join(parsed.others))
    return "vLLM — " + (", ".join(settings) if settings else "the engine's defaults (no engine_args)")
