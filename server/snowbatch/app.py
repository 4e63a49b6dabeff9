"""The state one server process shares across tool calls: settings, the backend, plans, the signer."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from snowbatch.core.checkpoints import ConfirmationSigner
from snowbatch.settings import Settings

if TYPE_CHECKING:
    from snowbatch.backends.base import Backend


@dataclass
class App:
    settings: Settings
    backend_factory: Callable[[Settings], Backend]
    signer: ConfirmationSigner = field(init=False)
    plans: dict[str, Any] = field(default_factory=dict)
    _backend: Backend | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    submit_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        # A per-process key: a token never outlives the server that issued it.
        self.signer = ConfirmationSigner(secrets.token_bytes(32), self.settings.confirmation_ttl_seconds)

    @property
    def backend(self) -> Backend:
        """Created at first use, so starting the server costs no connection and no heavy import."""
        with self._lock:
            if self._backend is None:
                self._backend = self.backend_factory(self.settings)
            return self._backend
