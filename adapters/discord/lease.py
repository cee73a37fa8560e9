"""Who holds a gateway shard: a lease in Redis with a fencing token.

Every replica connected with the same shard receives every event, so exactly one replica may
hold each shard's gateway session. The lease is ``SET key owner:token NX PX ttl`` (done in one
Lua script together with ``INCR`` of the shard's fencing counter, so each grant carries a token
larger than any before it), renewed by its holder only while the stored value is still its own,
and deleted on a clean stop so a standby takes over at once. A holder that dies simply stops
renewing: the key lapses after the TTL and the next standby to poll wins.

:class:`Fence` is the holder's own view of its lease: it answers only while the last
successful renewal is recent enough, so a replica that stalled past its TTL stays silent even
before it notices another replica has taken over.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from bot.errors import DependencyError

log = logging.getLogger(__name__)

NAMESPACE = "sco:discord"

_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'NX', 'PX', ARGV[2])
return token
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class Grant:
    """One tenure of a shard lease. ``fencing_token`` grows with every grant of the shard."""

    shard: str
    owner: str
    fencing_token: int

    @property
    def value(self) -> str:
        return f"{self.owner}|{self.fencing_token}"


class ShardLease(Protocol):
    """A lease on one gateway shard. Methods raise :class:`DependencyError` when the backend is
    unreachable (the caller then keeps or gives up its tenure by the clock, see :class:`Fence`).
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


class RedisShardLease:
    """The lease across replicas, in Redis."""

    def __init__(
        self,
        client: Redis,
        *,
        shard: str,
        owner: str,
        ttl_seconds: float,
        namespace: str = NAMESPACE,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._client = client
        self._shard = shard
        self._owner = owner
        self._key = f"{namespace}:lease:{shard}"
        self._fence_key = f"{namespace}:fence:{shard}"
        self._ttl_ms = str(max(1, math.ceil(ttl_seconds * 1000)))
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    async def acquire(self) -> Grant | None:
        token = await self._call(
            self._acquire, [self._key, self._fence_key], [self._owner, self._ttl_ms]
        )
        if token is None:
            return None
        return Grant(self._shard, self._owner, token)

    async def renew(self, grant: Grant) -> bool:
        return bool(await self._call(self._renew, [self._key], [grant.value, self._ttl_ms]))

    async def release(self, grant: Grant) -> None:
        await self._call(self._release, [self._key], [grant.value])

    async def holder(self) -> str | None:
        """The stored ``owner|token`` of the current holder (for operators and tests)."""
        try:
            value = await self._client.get(self._key)
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
        return value.decode() if isinstance(value, bytes) else value

    @staticmethod
    async def _call(script: AsyncScript, keys: list[str], args: list[str]) -> int | None:
        """Run ``script``; its integer result, or None for Lua ``false``."""
        try:
            result = await script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
        return None if result is None else int(result)


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
