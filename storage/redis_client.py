"""One way to build a Redis client for the bot: short timeouts so a dead Redis never stalls a
chat turn, and automatic reconnection when it comes back (see
:func:`storage.redis_context.client_options`)."""

from __future__ import annotations

from redis.asyncio import Redis

from storage.redis_context import client_options


def connect(url: str) -> Redis:
    """A lazily-connecting client for ``url`` (nothing is contacted until first use)."""
    return Redis.from_url(url, **client_options())
