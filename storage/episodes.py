"""Episode stores: which ongoing episodes a scheduled job has announced (see
:class:`bot.features.scheduler.ports.EpisodeStore`), in one process or across replicas.

In Redis an episode is one key, ``sco:episode:{key}``, holding the Publisher key of its post
with a TTL. Opening is one Lua script (``SET NX EX``, else refresh the TTL), so exactly one
replica opens each episode; closing is another (``GET`` then ``DEL``), so exactly one replica
ends it and learns which post to update.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.errors import DependencyError

if TYPE_CHECKING:  # redis is imported only with a client
    from redis.asyncio import Redis

_PREFIX = "sco:episode:"

_OPEN = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return 1
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 0
"""

_CLOSE = """
local post = redis.call('GET', KEYS[1])
if post then
  redis.call('DEL', KEYS[1])
end
return post
"""


class InMemoryEpisodeStore:
    """For a single process (the embedded default and tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._open: dict[str, tuple[str, float]] = {}

    async def open(self, key: str, post: str, ttl_seconds: int) -> bool:
        now = self._clock()
        current = self._open.get(key)
        if current is not None and current[1] > now:
            self._open[key] = (current[0], now + ttl_seconds)
            return False
        self._open[key] = (post, now + ttl_seconds)
        return True

    async def close(self, key: str) -> str | None:
        current = self._open.pop(key, None)
        if current is None or current[1] <= self._clock():
            return None
        return current[0]


class RedisEpisodeStore:
    """Across replicas (see the module doc)."""

    def __init__(self, client: Redis) -> None:
        self._open = client.register_script(_OPEN)
        self._close = client.register_script(_CLOSE)

    async def open(self, key: str, post: str, ttl_seconds: int) -> bool:
        from redis.exceptions import RedisError

        try:
            opened = await self._open(keys=[_PREFIX + key], args=[post, ttl_seconds])
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
        return bool(opened)

    async def close(self, key: str) -> str | None:
        from redis.exceptions import RedisError

        try:
            post = await self._close(keys=[_PREFIX + key])
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
        if post is None:
            return None
        return post.decode() if isinstance(post, bytes) else str(post)
