"""Leases with fencing tokens: who runs a scheduled job (see
:class:`bot.features.scheduler.ports.Lease`).

In Redis a lease is three keys under ``{namespace}``:

* ``lease:{name}`` holds ``owner|token`` with a TTL. Acquiring is one Lua script: when the key
  is absent, ``INCR fence:{name}`` and ``SET lease:{name} owner|token NX PX ttl``, so every
  grant carries a token larger than any before it;
* renewing (``PEXPIRE``), releasing (``DEL``) and the progress ``mark`` are Lua scripts that
  act only while ``lease:{name}`` still holds the caller's exact ``owner|token``: a holder that
  lost the lease can neither extend, delete nor overwrite its successor's state;
* ``mark:{name}`` is that progress (the last firing run), kept for :data:`MARK_TTL_SECONDS`.

The Discord gateway's shard lease (:mod:`adapters.discord.lease`) is this same
:class:`RedisLease` under its own namespace (it never uses ``mark``).
:class:`InMemoryLeases` is the same contract for one process (the embedded default, and tests
that run several schedulers side by side without Redis).
"""

from __future__ import annotations

import math
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from bot.core.errors import DependencyError
from bot.features.scheduler.ports import Grant, Lease, LeaseFactory

NAMESPACE = "sco:scheduler"
MARK_TTL_SECONDS = 90 * 86400

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
_MARK = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
"""


def replica_id() -> str:
    """This process's owner name in leases: host, pid and a random suffix (a restarted
    process with a recycled pid is still a different owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RedisLease:
    """One lease across replicas, in Redis (see the module doc)."""

    def __init__(
        self,
        client: Redis,
        *,
        name: str,
        owner: str,
        ttl_seconds: float,
        namespace: str = NAMESPACE,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("a lease needs a positive TTL")
        self.name = name
        self.owner = owner
        self.ttl_seconds = ttl_seconds
        self._client = client
        self._key = f"{namespace}:lease:{name}"
        self._fence_key = f"{namespace}:fence:{name}"
        self._mark_key = f"{namespace}:mark:{name}"
        self._ttl_ms = str(max(1, math.ceil(ttl_seconds * 1000)))
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._mark = client.register_script(_MARK)

    async def acquire(self) -> Grant | None:
        token = await _call(self._acquire, [self._key, self._fence_key], [self.owner, self._ttl_ms])
        return None if token is None else Grant(self.name, self.owner, token)

    async def renew(self, grant: Grant) -> bool:
        return bool(await _call(self._renew, [self._key], [grant.value, self._ttl_ms]))

    async def release(self, grant: Grant) -> None:
        await _call(self._release, [self._key], [grant.value])

    async def is_current(self, grant: Grant) -> bool:
        return await self.holder() == grant.value

    async def mark(self, grant: Grant, value: float) -> bool:
        args = [grant.value, repr(float(value)), str(MARK_TTL_SECONDS)]
        return bool(await _call(self._mark, [self._key, self._mark_key], args))

    async def last_mark(self) -> float | None:
        raw = await self._get(self._mark_key)
        return None if raw is None else float(raw)

    async def holder(self) -> str | None:
        """The stored ``owner|token`` of the current holder (for operators and tests)."""
        return await self._get(self._key)

    async def _get(self, key: str) -> str | None:
        try:
            value = await self._client.get(key)
        except (RedisError, OSError) as exc:
            raise DependencyError("redis", "Redis is unreachable") from exc
        return value.decode() if isinstance(value, bytes) else value


async def _call(script: AsyncScript, keys: list[str], args: list[str]) -> int | None:
    """Run ``script``; its integer result, or None for Lua ``false``."""
    try:
        result = await script(keys=keys, args=args)
    except (RedisError, OSError) as exc:
        raise DependencyError("redis", "Redis is unreachable") from exc
    return None if result is None else int(result)


@dataclass(slots=True)
class _Held:
    value: str
    expires: float


class InMemoryLeases:
    """Leases of one process: the same contract as :class:`RedisLease`, held in a dict.

    All leases built from one instance share its state, so several runners in one process
    (tests) contend exactly as replicas do through Redis.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._held: dict[str, _Held] = {}
        self._tokens: dict[str, int] = {}
        self._marks: dict[str, float] = {}

    def lease(self, name: str, owner: str, ttl_seconds: float) -> InMemoryLease:
        if ttl_seconds <= 0:
            raise ValueError("a lease needs a positive TTL")
        return InMemoryLease(self, name, owner, ttl_seconds)

    def holder(self, name: str) -> str | None:
        held = self._held.get(name)
        if held is None or held.expires <= self._clock():
            return None
        return held.value

    def acquire(self, name: str, owner: str, ttl: float) -> Grant | None:
        if self.holder(name) is not None:
            return None
        token = self._tokens[name] = self._tokens.get(name, 0) + 1
        grant = Grant(name, owner, token)
        self._held[name] = _Held(grant.value, self._clock() + ttl)
        return grant

    def renew(self, grant: Grant, ttl: float) -> bool:
        if self.holder(grant.name) != grant.value:
            return False
        self._held[grant.name] = _Held(grant.value, self._clock() + ttl)
        return True

    def release(self, grant: Grant) -> None:
        if self.holder(grant.name) == grant.value:
            del self._held[grant.name]

    def mark(self, grant: Grant, value: float) -> bool:
        if self.holder(grant.name) != grant.value:
            return False
        self._marks[grant.name] = value
        return True

    def last_mark(self, name: str) -> float | None:
        return self._marks.get(name)


class InMemoryLease:
    """One lease of an :class:`InMemoryLeases` (built by :meth:`InMemoryLeases.lease`)."""

    def __init__(self, board: InMemoryLeases, name: str, owner: str, ttl_seconds: float) -> None:
        self.name = name
        self.owner = owner
        self.ttl_seconds = ttl_seconds
        self._board = board

    async def acquire(self) -> Grant | None:
        return self._board.acquire(self.name, self.owner, self.ttl_seconds)

    async def renew(self, grant: Grant) -> bool:
        return self._board.renew(grant, self.ttl_seconds)

    async def release(self, grant: Grant) -> None:
        self._board.release(grant)

    async def is_current(self, grant: Grant) -> bool:
        return self._board.holder(grant.name) == grant.value

    async def mark(self, grant: Grant, value: float) -> bool:
        return self._board.mark(grant, value)

    async def last_mark(self) -> float | None:
        return self._board.last_mark(self.name)


def redis_leases(
    client: Redis, *, owner: str | None = None, namespace: str = NAMESPACE
) -> LeaseFactory:
    """The lease factory for replicas sharing ``client``'s Redis (one owner per process)."""
    me = owner or replica_id()

    def build(name: str, ttl_seconds: float) -> Lease:
        return RedisLease(client, name=name, owner=me, ttl_seconds=ttl_seconds, namespace=namespace)

    return build


def memory_leases(board: InMemoryLeases | None = None, *, owner: str | None = None) -> LeaseFactory:
    """The lease factory for a single process (no Redis configured)."""
    shared = board or InMemoryLeases()
    me = owner or replica_id()

    def build(name: str, ttl_seconds: float) -> Lease:
        return shared.lease(name, me, ttl_seconds)

    return build
