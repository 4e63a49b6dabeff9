"""All I/O lives here: the Backend protocol (`base`) and its implementations, found through one registry.

A new backend is one entry in BACKENDS: a name and the `module:factory` that builds it from Settings.
Settings, the command line and the server take their choices from here; the modules load only when
their backend is created, so naming them costs nothing at startup.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snowbatch.backends.base import Backend
    from snowbatch.settings import Settings

BACKENDS: dict[str, str] = {
    "local": "snowbatch.backends.local.backend:from_settings",
    "snowflake": "snowbatch.backends.snowflake.backend:from_settings",
}
DEFAULT_BACKEND = "local"  # when no Snowflake connection is configured


def backend_names() -> list[str]:
    return list(BACKENDS)


def create_backend(name: str, settings: Settings) -> Backend:
    module, _, factory = BACKENDS[name].partition(":")
    backend: Backend = getattr(importlib.import_module(module), factory)(settings)
    return backend
