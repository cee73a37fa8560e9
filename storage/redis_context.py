"""The Redis context store (``redis.asyncio``), shared by every replica of the bot.

One Redis list per conversation under ``sco:ctx:<platform>:<team>:<channel>:<user>[:<thread>]``,
newest turn last. ``append`` pushes, trims to ``max_turns`` and refreshes the key's TTL in one
MULTI/EXEC transaction, so a crash between the steps can never leave an unbounded or immortal
list.

A dead or hung Redis must never stall a chat turn:

* connect and read timeouts are short (0.5 s by default) and a timeout is not retried;
* a broken connection is retried once on a fresh one, which makes a Redis restart between two
  calls invisible;
* a refused connection costs nothing, so while Redis is down every call tries again and the
  first call after it returns simply reconnects;
* a timeout costs the full timeout, so after one the store fails fast (without asking Redis)
  for ``hold_off_seconds``; one chat turn therefore waits out at most one timeout, and a hung
  Redis is probed again once the hold-off has passed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.core.errors import ConfigError, DependencyError
from bot.core.model import ConversationKey
from intents.model import Turn
from storage.memory import Clock, decode_turns, encode_turn

DEFAULT_PREFIX = "sco:ctx:"
DEFAULT_TIMEOUT_SECONDS = 0.5
DEFAULT_HOLD_OFF_SECONDS = 2.0
DEPENDENCY = "redis"

_SLOW = (RedisTimeoutError, TimeoutError)
_UNREACHABLE = (RedisConnectionError, OSError, *_SLOW)


class RedisContextStore:
    """A :class:`bot.core.ports.ContextStore` on Redis.

    ``client`` must return bytes (the default ``decode_responses=False``); build it with
    :func:`client_options` or use :meth:`from_url`. Turns older than ``ttl_seconds`` by
    ``clock`` are never returned, even when newer turns kept the list alive; the whole list
    expires ``ttl_seconds`` after the last append.
    """

    def __init__(
        self,
        client: Redis,
        *,
        ttl_seconds: float = 3600.0,
        max_turns: int = 10,
        prefix: str = DEFAULT_PREFIX,
        hold_off_seconds: float = DEFAULT_HOLD_OFF_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        if ttl_seconds <= 0 or max_turns < 1:
            raise ValueError("ttl_seconds and max_turns must be positive")
        self._client = client
        self._ttl = ttl_seconds
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._max_turns = max_turns
        self._prefix = prefix
        self._hold_off = hold_off_seconds
        self._quiet_until = 0.0
        self._clock = clock

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        ttl_seconds: float = 3600.0,
        max_turns: int = 10,
        prefix: str = DEFAULT_PREFIX,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        hold_off_seconds: float = DEFAULT_HOLD_OFF_SECONDS,
        clock: Clock = time.time,
    ) -> RedisContextStore:
        """A store with its own client. Nothing connects until the first call."""
        try:
            client = Redis.from_url(url, **client_options(timeout_seconds))
        except ValueError:
            raise ConfigError("REDIS_URL must be a redis://, rediss:// or unix:// URL") from None
        return cls(
            client,
            ttl_seconds=ttl_seconds,
            max_turns=max_turns,
            prefix=prefix,
            hold_off_seconds=hold_off_seconds,
            clock=clock,
        )

    def key_for(self, key: ConversationKey) -> str:
        """The Redis key holding ``key``'s turns."""
        return self._prefix + key.as_string()

    async def recent(self, key: ConversationKey, limit: int = 10) -> list[Turn]:
        if limit <= 0:
            return []
        name = self.key_for(key)
        async with self._calling("read context"):
            raw = await self._client.lrange(name, -limit, -1)
        return decode_turns(raw, not_before=self._clock() - self._ttl, where=name)

    async def append(self, key: ConversationKey, turn: Turn) -> None:
        name = self.key_for(key)
        async with self._calling("save context"), self._client.pipeline(transaction=True) as pipe:
            pipe.rpush(name, encode_turn(turn))
            pipe.ltrim(name, -self._max_turns, -1)
            pipe.pexpire(name, self._ttl_ms)
            await pipe.execute()

    async def clear(self, key: ConversationKey) -> None:
        async with self._calling("clear context"):
            await self._client.delete(self.key_for(key))

    async def ping(self) -> None:
        async with self._calling("ping"):
            await self._client.ping()

    async def aclose(self) -> None:
        await self._client.aclose()

    @contextlib.asynccontextmanager
    async def _calling(self, action: str) -> AsyncIterator[None]:
        """Fail fast during a hold-off; turn driver errors into :class:`DependencyError`.

        The message is safe for chat: the URL (and any password in it) never reaches it. The
        driver's exception stays chained for the log.
        """
        if time.monotonic() < self._quiet_until:
            raise DependencyError(DEPENDENCY, "Redis is unreachable")
        try:
            yield
        except _UNREACHABLE as exc:
            if isinstance(exc, _SLOW):
                self._quiet_until = time.monotonic() + self._hold_off
            raise DependencyError(DEPENDENCY, "Redis is unreachable") from exc
        except RedisError as exc:
            message = f"Redis refused to {action} ({type(exc).__name__})"
            raise DependencyError(DEPENDENCY, message) from exc


def client_options(timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Client options that make a dead or hung Redis fail fast and a restarted one reconnect."""
    return {
        "socket_connect_timeout": timeout_seconds,
        "socket_timeout": timeout_seconds,
        "retry": Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
        "health_check_interval": 0,
    }
