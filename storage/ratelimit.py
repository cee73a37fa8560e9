"""Rate limiters (:class:`bot.features.access.ports.RateLimiter`): a sliding window of uses per
key, in this process or in Redis, where every replica counts the same uses.

Redis keeps one sorted set per key (``sco:rate:<key>``, score = time of use) and decides in
one Lua script: drop uses older than the window, count, add this use if there is room, and
expire the key a window after its last use. Times come from the caller, so a test drives
them with an explicit clock; replicas' clocks agree to well under a second (NTP).

A limit is a brake, not a lock: when Redis cannot be reached the limiter counts in this
process instead (and logs it), so an outage neither refuses every expensive query nor lifts
the limit.
"""

from __future__ import annotations

import collections
import logging
import uuid
from typing import TYPE_CHECKING

from bot.features.access.ports import Allowance

if TYPE_CHECKING:  # redis is imported only with a client
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

PREFIX = "sco:rate:"
_MAX_KEYS = 10_000

# KEYS[1] the key; ARGV: now, window (s), count, a unique member. Returns {allowed, used,
# retry_after as text} (Lua numbers would reach Python truncated to integers).
_TAKE = """
local now, window, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used < count then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return {1, used + 1, '0'}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, used, tostring(tonumber(oldest[2]) + window - now)}
"""


class InMemoryRateLimiter:
    """For one process (the embedded default, and the fallback of the Redis limiter)."""

    def __init__(self) -> None:
        self._uses: dict[str, collections.deque[float]] = {}
        self._ends: dict[str, float] = {}

    async def take(self, key: str, count: int, per_seconds: float, now: float) -> Allowance:
        if len(self._uses) > _MAX_KEYS:
            self._forget_idle(now)
        uses = self._uses.setdefault(key, collections.deque())
        while uses and uses[0] <= now - per_seconds:
            uses.popleft()
        if len(uses) >= count:
            return Allowance(False, len(uses), uses[0] + per_seconds - now)
        uses.append(now)
        self._ends[key] = now + per_seconds
        return Allowance(True, len(uses))

    def _forget_idle(self, now: float) -> None:
        idle = [key for key, end in self._ends.items() if end <= now]
        for key in idle:
            del self._ends[key]
            self._uses.pop(key, None)


class RedisRateLimiter:
    """Across replicas, on the bot's one Redis client."""

    def __init__(self, client: Redis, *, fallback: InMemoryRateLimiter | None = None) -> None:
        self._script = client.register_script(_TAKE)
        self._fallback = fallback or InMemoryRateLimiter()

    async def take(self, key: str, count: int, per_seconds: float, now: float) -> Allowance:
        from redis.exceptions import RedisError

        args = [repr(float(now)), repr(float(per_seconds)), str(count), uuid.uuid4().hex]
        try:
            allowed, used, retry_after = await self._script(keys=[PREFIX + key], args=args)
        except (RedisError, OSError) as exc:
            log.warning("rate limit: Redis unreachable (%s); counting in this process", exc)
            return await self._fallback.take(key, count, per_seconds, now)
        return Allowance(bool(allowed), int(used), float(retry_after))
