"""Dedupe stores: the first caller of a key wins, in one process or across replicas."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.errors import DependencyError
from bot.core.expiring import ExpiringKeys

if TYPE_CHECKING:  # redis is imported only with a client (start-up of the in-memory default)
    from redis.asyncio import Redis

_PREFIX = "sco:dedupe:"


class InMemoryDedupeStore:
    """For a single process (the embedded default and tests); a
    :class:`~bot.core.ports.LocalDedupeStore`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._claims = ExpiringKeys(clock)

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        return self._claims.claim(key, ttl_seconds)

    def holds(self, key: str) -> bool:
        return self._claims.holds(key)


class RedisDedupeStore:
    """Across replicas: ``SET key 1 NX EX ttl`` decides who is first."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        from redis.exceptions import RedisError

        try:
            won = await self._client.set(_PREFIX + key, b"1", nx=True, ex=ttl_seconds)
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
        return bool(won)
