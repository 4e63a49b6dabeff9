"""Confirmation tokens: an HMAC over the exact parameters of a gated action, with an expiry.

A token approves one action with one set of parameters for a few minutes, for the one client that was
given it. Any change to the parameters (another pool, another output location, another mode) or another
caller (the principal an HTTP client authenticated as, or its MCP session) produces a different MAC, so an
approval given for one thing, or to one client, can never be replayed for another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Verdict = Literal["ok", "expired", "mismatch", "malformed"]


def canonical(action: str, params: Mapping[str, Any]) -> bytes:
    """A stable byte form of an action and its parameters (key order and spacing never matter)."""
    body = {"action": action, "params": {k: v for k, v in params.items() if v is not None}}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


@dataclass(frozen=True)
class ConfirmationSigner:
    key: bytes
    ttl_seconds: int = 600

    def _mac(self, expires: int, action: str, params: Mapping[str, Any], principal: str) -> str:
        who = json.dumps(principal).encode()  # quoted: no principal can end where the parameters begin
        msg = str(expires).encode() + b"|" + who + b"|" + canonical(action, params)
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()[:32]

    def issue(self, action: str, params: Mapping[str, Any], *, now: float, principal: str = "") -> str:
        expires = int(now) + self.ttl_seconds
        return f"{expires}.{self._mac(expires, action, params, principal)}"

    def verify(
        self, token: str, action: str, params: Mapping[str, Any], *, now: float, principal: str = ""
    ) -> Verdict:
        stamp, _, mac = token.partition(".")
        if not stamp.isdigit() or len(mac) != 32:
            return "malformed"
        if not hmac.compare_digest(mac, self._mac(int(stamp), action, params, principal)):
            return "mismatch"
        return "expired" if now > int(stamp) else "ok"


VERDICT_ADVICE: dict[str, str] = {
    "expired": "The confirmation token has expired.",
    "mismatch": (
        "The confirmation token was issued for different parameters (or another action, or another client)."
    ),
    "malformed": "That is not a confirmation token issued by this server.",
}
