"""The state one server process shares across tool calls: settings, the backend, plans, the signer,
and the per-client limits of a shared server.

Plans and confirmation tokens belong to the caller that made them (tools/caller.py: the authenticated
principal over HTTP, else the MCP session; one caller per process over stdio): the store is keyed by
caller, and the signer binds the caller into every token.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from snowbatch.core.checkpoints import ConfirmationSigner
from snowbatch.core.errors import Busy
from snowbatch.settings import Settings

if TYPE_CHECKING:
    from snowbatch.backends.base import Backend

PLANS_PER_CALLER_SHARE = 4  # one caller may hold at most a quarter of the store: it cannot evict the rest


class PlanStore:
    """Plans by (caller, plan id): another caller's plan is simply not there. Each plan lives
    `ttl_seconds` from its (last) planning; at most `capacity` are kept, the oldest going first, and one
    caller holds at most a quarter of them, so a long-running server does not grow without limit."""

    def __init__(self, ttl_seconds: int, capacity: int) -> None:
        self.ttl_seconds = ttl_seconds
        self.capacity = capacity
        self.per_caller = max(1, capacity // PLANS_PER_CALLER_SHARE)
        self._plans: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, caller: str, plan_id: str, plan: Any, *, now: float) -> None:
        with self._lock:
            self._expire(now)
            self._plans.pop((caller, plan_id), None)
            self._plans[(caller, plan_id)] = (now + self.ttl_seconds, plan)
            own = [key for key in self._plans if key[0] == caller]
            for key in own[: max(0, len(own) - self.per_caller)]:
                del self._plans[key]
            while len(self._plans) > self.capacity:
                self._plans.popitem(last=False)

    def get(self, caller: str, plan_id: str, *, now: float) -> Any | None:
        with self._lock:
            self._expire(now)
            found = self._plans.get((caller, plan_id))
            return found[1] if found else None

    def __len__(self) -> int:
        return len(self._plans)

    def _expire(self, now: float) -> None:
        # Insertion order is expiry order (one TTL for all), so the expired ones are at the front.
        while self._plans:
            key, (expires, _) = next(iter(self._plans.items()))
            if expires > now:
                return
            del self._plans[key]


class InFlight:
    """Calls of one kind in progress per caller, capped: at the cap a call is refused with `Busy` (and
    when to retry: when the earliest call in progress is expected to end) instead of queueing."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._ends: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, caller: str, limit: int, *, expected_seconds: float) -> Callable[[], None]:
        """Take a slot (or raise Busy); returns what gives it back."""
        now = time.monotonic()
        with self._lock:
            ends = self._ends.setdefault(caller, [])
            if len(ends) >= limit:
                raise Busy(self.what, limit, max(1, math.ceil(min(ends) - now)))
            end = now + max(1.0, expected_seconds)
            ends.append(end)

        def release() -> None:
            with self._lock:
                ends.remove(end)
                if not ends:
                    self._ends.pop(caller, None)

        return release


@dataclass
class App:
    settings: Settings
    backend_factory: Callable[[Settings], Backend]
    signer: ConfirmationSigner = field(init=False)
    plans: PlanStore = field(init=False)
    submits: InFlight = field(default_factory=lambda: InFlight("approved actions"), init=False)
    waits: InFlight = field(default_factory=lambda: InFlight("wait_for_job calls"), init=False)
    _backend: Backend | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    submit_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        # A per-process key: a token never outlives the server that issued it.
        self.signer = ConfirmationSigner(secrets.token_bytes(32), self.settings.confirmation_ttl_seconds)
        self.plans = PlanStore(self.settings.plan_ttl_seconds, self.settings.max_plans)
        if self.settings.audit_table:  # a name that cannot be a table stops the start, not every record
            from snowbatch.core.names import ObjectName

            ObjectName.parse(self.settings.audit_table, what="table")

    @property
    def backend(self) -> Backend:
        """Created at first use, so starting the server costs no connection and no heavy import."""
        with self._lock:
            if self._backend is None:
                self._backend = self.backend_factory(self.settings)
            return self._backend
