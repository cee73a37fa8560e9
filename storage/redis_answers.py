"""Private answers kept for ``share`` in Redis (:class:`bot.core.ports.AnswerStore`), so the
answer one replica gave can be shared through any other.

``keep`` is ``SET key value PX ttl``; ``take`` is ``GETDEL`` (Redis 6.2+), so of two replicas
handling the same Share click exactly one gets the answer. A stored value that does not
decode is dropped and treated as absent (logged): nothing is ever half-shown.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from bot.core.errors import DependencyError
from bot.core.model import Reply
from storage.replies import decode_reply, encode_reply

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "sco:private:"


class RedisAnswerStore:
    def __init__(self, client: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._prefix = prefix

    async def keep(self, key: str, reply: Reply, ttl_seconds: float) -> None:
        value = encode_reply(reply)
        try:
            await self._client.set(self._prefix + key, value, px=max(1, round(ttl_seconds * 1000)))
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc

    async def take(self, key: str) -> Reply | None:
        try:
            raw = await self._client.getdel(self._prefix + key)
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
        if raw is None:
            return None
        try:
            return decode_reply(raw)
        except ValueError as exc:
            log.warning("dropped a stored private answer that did not decode: %s", exc)
            return None
