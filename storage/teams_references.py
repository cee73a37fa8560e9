"""Stores for Teams conversation references (JSON documents by conversation id).

Both implement :class:`adapters.teams.references.ReferenceStore` and pass one contract suite.
References do not expire: a channel subscribed to alerts may stay silent for months, and the
bot's removal from a conversation deletes its reference. Documents are stored serialised, as
Redis holds them, so the in-memory store behaves the same (a caller cannot mutate what was
saved).

The same stores keep the Teams adapter's short-lived documents (a card's per-viewer views, a
file offered and not yet answered): those are given ``ttl_seconds``, so a card nobody finishes
or an offer nobody answers is forgotten instead of kept for ever (in memory, also at most
``limit`` of them, the oldest forgotten first).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.core.errors import DependencyError
from bot.core.expiring import ExpiringMap

_PREFIX = "sco:teams:reference:"


def _encode(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def _decode(raw: str | bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


class InMemoryReferenceStore:
    """For a single process (the embedded default and tests)."""

    def __init__(
        self,
        *,
        ttl_seconds: float | None = None,
        limit: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._documents: ExpiringMap[str] = ExpiringMap(clock, limit=limit)
        self._ttl = math.inf if ttl_seconds is None else ttl_seconds

    async def save(self, key: str, document: Mapping[str, Any]) -> None:
        self._documents.put(key, _encode(document), self._ttl)

    async def load(self, key: str) -> dict[str, Any] | None:
        return _decode(self._documents.get(key))

    async def delete(self, key: str) -> None:
        self._documents.pop(key)


class RedisReferenceStore:
    """Shared by every replica: one string key per conversation."""

    def __init__(
        self, client: Redis, *, prefix: str = _PREFIX, ttl_seconds: float | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl_ms = None if ttl_seconds is None else max(1, round(ttl_seconds * 1000))

    async def save(self, key: str, document: Mapping[str, Any]) -> None:
        try:
            await self._client.set(self._prefix + key, _encode(document), px=self._ttl_ms)
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc

    async def load(self, key: str) -> dict[str, Any] | None:
        try:
            raw = await self._client.get(self._prefix + key)
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
        return _decode(raw)

    async def delete(self, key: str) -> None:
        try:
            await self._client.delete(self._prefix + key)
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
