"""Who holds a gateway shard: a lease with a fencing token, shared with the scheduler.

Every replica connected with the same shard receives every event, so exactly one replica may
hold each shard's gateway session. Across replicas the lease is a
:class:`bot.core.coordination.Lease` in Redis (:class:`storage.lease.RedisLease`, built by the
composition root) named after the shard (``{namespace}:lease:<shard>`` holding
``owner|token``, granted together with ``INCR {namespace}:fence:<shard>`` so each grant
carries a larger token), renewed by its holder only while the stored value is still its own,
and deleted on a clean stop so a standby takes over at once. A holder that dies simply stops
renewing: the key lapses after the TTL and the next standby to poll wins.

:class:`Fence` is the holder's own view of its lease: it answers only while the last
successful renewal is recent enough, so a replica that stalled past its TTL stays silent even
before it notices another replica has taken over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from bot.core.coordination import Grant

NAMESPACE = "sco:discord"

__all__ = [
    "NAMESPACE",
    "Fence",
    "Grant",
    "LocalShardLease",
    "ShardLease",
    "shard_name",
]


class ShardLease(Protocol):
    """A lease on one gateway shard: the part of :class:`bot.core.coordination.Lease` the
    gateway uses (a grant's ``name`` is the shard). Methods raise
    :class:`~bot.core.errors.DependencyError` when the backend is unreachable (the caller then
    keeps or gives up its tenure by the clock, see :class:`Fence`).
    """

    ttl_seconds: float

    async def acquire(self) -> Grant | None:
        """A new grant if nobody holds the shard, else None."""
        ...

    async def renew(self, grant: Grant) -> bool:
        """Extend ``grant`` by the TTL; False when it is no longer held (lapsed or taken)."""
        ...

    async def release(self, grant: Grant) -> None:
        """Give the shard up now, if ``grant`` still holds it."""
        ...


def shard_name(shard_id: int, shard_count: int) -> str:
    return f"{shard_id}-of-{shard_count}"


class LocalShardLease:
    """The lease when there is one replica and no Redis: always granted."""

    def __init__(self, *, shard: str, owner: str, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._shard = shard
        self._owner = owner
        self._tokens = 0

    async def acquire(self) -> Grant | None:
        self._tokens += 1
        return Grant(self._shard, self._owner, self._tokens)

    async def renew(self, grant: Grant) -> bool:
        return grant.fencing_token == self._tokens

    async def release(self, grant: Grant) -> None:
        return None


class Fence:
    """Whether this replica may answer right now: it holds a grant whose last confirmation is
    younger than the lease's TTL (minus a safety margin for clock steps and latency)."""

    SAFETY = 0.9

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = float("-inf")
        self._token: int | None = None

    def hold(self, grant: Grant, confirmed_at: float, ttl_seconds: float) -> None:
        self._token = grant.fencing_token
        self._until = confirmed_at + ttl_seconds * self.SAFETY

    def drop(self) -> None:
        self._token = None
        self._until = float("-inf")

    def holds(self) -> bool:
        return self._token is not None and self._clock() < self._until

    @property
    def token(self) -> int | None:
        return self._token

    def now(self) -> float:
        return self._clock()
