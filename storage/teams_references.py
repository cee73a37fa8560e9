"""Stores for Teams conversation references (JSON documents by conversation id).

Both implement :class:`adapters.teams.references.ReferenceStore` and pass one contract suite.
References do not expire: a channel subscribed to alerts may stay silent for months, and the
bot's removal from a conversation deletes its reference. Documents are stored serialised, as
Redis holds them, so the in-memory store behaves the same (a caller cannot mutate what was
saved).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.core.errors import DependencyError

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

    def __init__(self) -> None:
        self._documents: dict[str, str] = {}

    async def save(self, key: str, document: Mapping[str, Any]) -> None:
        self._documents[key] = _encode(document)

    async def load(self, key: str) -> dict[str, Any] | None:
        return _decode(self._documents.get(key))

    async def delete(self, key: str) -> None:
        self._documents.pop(key, None)


class RedisReferenceStore:
    """Shared by every replica: one string key per conversation."""

    def __init__(self, client: Redis, *, prefix: str = _PREFIX) -> None:
        self._client = client
        self._prefix = prefix

    async def save(self, key: str, document: Mapping[str, Any]) -> None:
        try:
            await self._client.set(self._prefix + key, _encode(document))
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
