"""The optional ML frameworks a model may need: which install command brings each, and which backend
Keras runs on.

None of them is a dependency of snowbatch itself: the boosted-tree libraries and Keras come with the
`flavours` extra, PyTorch, sentence-transformers and transformers with the `models` extra (which pins the
CPU build of torch). A model that needs one that is missing fails with the command that installs it.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib.util import find_spec
from types import ModuleType

from snowbatch.core.errors import InvalidRequest

FLAVOURS_EXTRA = "pip install 'snowbatch[flavours]'"
MODELS_EXTRA = "pip install 'snowbatch[models]'"

# Import name → the command that installs it. Keras needs a backend besides: torch comes with `models`.
INSTALL_COMMANDS = {
    "xgboost": FLAVOURS_EXTRA,
    "lightgbm": FLAVOURS_EXTRA,
    "catboost": FLAVOURS_EXTRA,
    "keras": "pip install 'snowbatch[flavours,models]'",
    "torch": MODELS_EXTRA,
    "sentence_transformers": MODELS_EXTRA,
    "transformers": MODELS_EXTRA,
    # Not an extra: TensorFlow is hundreds of MB and untested here (README "Model flavours").
    "tensorflow": "pip install tensorflow-cpu",
}


def install_command(module: str) -> str | None:
    """The command that installs an optional framework; None for a module that is not one."""
    return INSTALL_COMMANDS.get(module.split(".")[0])


def missing_framework(module: str, needed_for: str) -> InvalidRequest:
    """What to say when `needed_for` cannot import `module` (a framework, or the person's own code)."""
    top = module.split(".")[0]
    command = install_command(top)
    if command is None:
        return InvalidRequest(
            f"{needed_for} needs the module {top}, which cannot be imported here.",
            f"Install {top}, or run the command from the folder that holds it.",
        )
    return InvalidRequest(
        f"{needed_for} needs {top}, which is not installed here.",
        f"Install it with `{command}`, then run the command again.",
    )


def import_framework(module: str, needed_for: str) -> ModuleType:
    """Import an optional framework, or fail with what installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing_framework(module, needed_for) from exc


# Keras 3 picks its backend once, at its first import, from KERAS_BACKEND (default: tensorflow, which
# fails to import where only torch is installed, as with this project's extras).
KERAS_BACKENDS = ("tensorflow", "torch", "jax")


def choose_keras_backend(recorded: str | None = None) -> None:
    """Set KERAS_BACKEND before Keras is first imported, unless the person set it: the backend a packaged
    model was saved with when it is installed, else the first installed in Keras' own order of preference.
    A .keras file holds no backend, so any installed one loads it."""
    if "KERAS_BACKEND" in os.environ or "keras" in sys.modules:
        return
    wanted = [recorded] if recorded in KERAS_BACKENDS else []
    for backend in [*wanted, *KERAS_BACKENDS]:
        if find_spec(backend) is not None:
            os.environ["KERAS_BACKEND"] = backend
            return
