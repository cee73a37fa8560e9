"""One way to build a Redis client for the bot: short timeouts so a dead Redis never stalls a
chat turn, and automatic reconnection when it comes back."""

from __future__ import annotations

from redis.asyncio import Redis

SOCKET_TIMEOUT_SECONDS = 0.5


def connect(url: str) -> Redis:
    """A lazily-connecting client for ``url`` (nothing is contacted until first use)."""
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=15,
        retry_on_timeout=False,
    )
