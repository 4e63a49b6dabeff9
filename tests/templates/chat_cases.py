"""run_batch_chat's representative parameter sets (part of tests/templates/cases.py's CASES): files or
a messages table, generation settings as params or as input columns (any subset of them), vLLM."""

from __future__ import annotations

from typing import Any

OUT = "@ML.PUBLIC.BATCH_OUT/scores/"  # the output stage of every case

# (template, case name, parameters, oldest release the case is valid for)
CHAT_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "run_batch_chat",
        "images, settings as params, vLLM",
        {
            "model": "ML.PUBLIC.QWEN_VL",
            "prompt": "Describe the image in one sentence.",
            "system": "Be brief.",
            "file_stage": "@ML.PUBLIC.MEDIA/images/",
            "pattern": ".*\\.png",
            "limit": 5,
            "generation": {"temperature": 0.2, "max_completion_tokens": 256},
            "engine": "vllm",
            "engine_args": ["--max-model-len=8192"],
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
            "gpu_requests": "1",
        },
        "1.28.0",
    ),
    (
        "run_batch_chat",
        "audio files, settings as columns",
        {
            "model": "ML.PUBLIC.AUDIO_LLM",
            "prompt": "Transcribe and summarise.",
            "media": "audio",
            "files": ["@ML.PUBLIC.MEDIA/calls/a.mp3"],
            "generation": {"temperature": 0.0, "stop": ["</s>"]},
            "generation_as": "columns",
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
            "gpu_requests": "2",
            "engine": "vllm",
        },
        "1.28.0",
    ),
    (
        "run_batch_chat",
        "settings as columns, no stop",
        {
            "model": "ML.PUBLIC.LLAMA",
            "prompt": "Name three kinds of snow.",
            "generation": {"temperature": 1, "max_completion_tokens": 128, "top_p": 0.9, "n": 1},
            "generation_as": "columns",
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
        },
        "1.28.0",
    ),
    (
        "run_batch_chat",
        "messages table with its own settings columns",
        {
            "model": "ML.PUBLIC.LLAMA",
            "messages_table": "ML.PUBLIC.CONVERSATIONS",
            "generation": {"max_completion_tokens": 64},
            "generation_as": "columns",
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
        },
        "1.28.0",
    ),
    (
        "run_batch_chat",
        "text only, content as string",
        {
            "model": "ML.PUBLIC.LLAMA",
            "prompt": "Write a haiku about snow.\nOnly the haiku.",
            "content_format": "string",
            "system": "You are a poet.",
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
        },
        "1.28.0",
    ),
    (
        "run_batch_chat",
        "messages table",
        {
            "model": "ML.PUBLIC.LLAMA",
            "messages_table": "ML.PUBLIC.CONVERSATIONS",
            "limit": 100,
            "generation": {"temperature": 0.7, "top_p": 0.9, "n": 1},
            "output_stage": OUT,
            "compute_pool": "GPU_POOL",
            "num_workers": 1,
        },
        "1.28.0",
    ),
]
