"""The one port of access control: a rate limiter, in memory for one process or in Redis so
every replica counts the same uses (:mod:`storage.ratelimit`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Allowance:
    """The answer to one use: ``allowed``, how many uses are in the window (this one
    included when allowed) and, when refused, the seconds until the oldest leaves it."""

    allowed: bool
    used: int
    retry_after: float = 0.0


class RateLimiter(Protocol):
    """A sliding window per key: at most ``count`` uses in any ``per_seconds``."""

    async def take(self, key: str, count: int, per_seconds: float, now: float) -> Allowance:
        """Record a use of ``key`` at ``now`` (Unix seconds) when fewer than ``count`` uses
        fall in ``(now - per_seconds, now]``; otherwise record nothing and say when one
        frees up. Never raises for a backend outage: an implementation on a shared store
        falls back to counting in this process and logs that it did."""
        ...
