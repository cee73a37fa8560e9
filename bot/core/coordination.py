"""Coordination between replicas: a lease with a fencing token, so exactly one replica does
a thing (runs a scheduled job, holds a Discord gateway shard) and a replica that stalled past
its tenure can tell, and be told, that it no longer may.

Implementations live in :mod:`storage.lease` (Redis across replicas, in memory for one
process).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Grant:
    """One tenure of a lease. ``fencing_token`` grows with every grant of the same lease, so
    a later holder's token is always larger than any earlier holder's."""

    name: str
    owner: str
    fencing_token: int

    @property
    def value(self) -> str:
        """What the lease stores while this grant holds it."""
        return f"{self.owner}|{self.fencing_token}"


class Lease(Protocol):
    """Who may run one job right now, across every replica.

    ``acquire`` grants the lease to nobody else until it lapses ``ttl_seconds`` after the last
    successful ``renew`` or is released. ``is_current`` is the fencing check: True only while
    ``grant`` is still the lease's current holder (a holder that stalled past its TTL and was
    replaced gets False, even if it has not noticed yet). ``mark`` stores a progress value
    (the last firing that ran) *only if* ``grant`` still holds the lease, so a stale holder can
    never overwrite its successor's progress; ``last_mark`` reads it back for whoever holds the
    lease next. Every method raises :class:`bot.core.errors.DependencyError` when the backend is
    unreachable.
    """

    name: str
    ttl_seconds: float

    async def acquire(self) -> Grant | None:
        """A new grant if nobody holds the lease, else None."""
        ...

    async def renew(self, grant: Grant) -> bool:
        """Extend ``grant`` by the TTL; False when it no longer holds the lease."""
        ...

    async def release(self, grant: Grant) -> None:
        """Give the lease up now, if ``grant`` still holds it."""
        ...

    async def is_current(self, grant: Grant) -> bool: ...

    async def mark(self, grant: Grant, value: float) -> bool:
        """Store ``value`` as the lease's progress; False (nothing stored) for a stale grant."""
        ...

    async def last_mark(self) -> float | None: ...
