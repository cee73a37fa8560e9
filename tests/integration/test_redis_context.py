"""RedisContextStore against a real redis-server: the shared contract, real TTLs, and what
happens when Redis dies, hangs and comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.core.errors import DependencyError
from bot.core.model import ConversationKey
from intents.model import Turn
from storage.redis_context import RedisContextStore
from tests.harness.redis import RedisServer
from tests.unit.test_context_contract import (
    KEY,
    Backend,
    ContextStoreContract,
    FakeClock,
    redis_backend,
)

pytestmark = pytest.mark.integration

#: What one call may cost while Redis is dead or hung (0.5 s timeouts plus slack).
FAIL_FAST_SECONDS = 1.0
HOLD_OFF_SECONDS = 0.3


class TestRealRedisContextStore(ContextStoreContract):
    @pytest.fixture
    async def backend(self, redis_server: RedisServer) -> AsyncIterator[Backend]:
        async for backend in redis_backend(Redis.from_url(redis_server.url), FakeClock()):
            yield backend


def turn(**slots: str | int) -> Turn:
    return Turn("metric_query", slots, time.time())


@pytest.fixture
async def store(private_redis_server: RedisServer) -> AsyncIterator[RedisContextStore]:
    """A store built the way the bot builds it, on a Redis this test may stop."""
    store = RedisContextStore.from_url(
        private_redis_server.url, ttl_seconds=60, max_turns=5, hold_off_seconds=HOLD_OFF_SECONDS
    )
    yield store
    await store.aclose()


async def test_append_sets_and_refreshes_the_key_ttl(redis_server: RedisServer) -> None:
    """Each append (re)sets the conversation key's expiry to the store's TTL."""
    store = RedisContextStore.from_url(redis_server.url, ttl_seconds=60, prefix="ttl-test:")
    client = Redis.from_url(redis_server.url)
    try:
        await store.append(KEY, turn(metric="cpu"))
        await client.pexpire(store.key_for(KEY), 5_000)
        await store.append(KEY, turn(metric="disk"))
        remaining = await client.pttl(store.key_for(KEY))
        assert 55_000 < remaining <= 60_000
    finally:
        await store.clear(KEY)
        await client.aclose()
        await store.aclose()


async def test_conversation_really_expires_in_redis(redis_server: RedisServer) -> None:
    """After the TTL Redis itself has dropped the key: nothing lingers in memory."""
    store = RedisContextStore.from_url(redis_server.url, ttl_seconds=0.2, prefix="expiry-test:")
    client = Redis.from_url(redis_server.url)
    try:
        await store.append(KEY, turn(metric="cpu"))
        assert await client.exists(store.key_for(KEY)) == 1
        await asyncio.sleep(0.35)
        assert await client.exists(store.key_for(KEY)) == 0
        assert await store.recent(KEY) == []
    finally:
        await client.aclose()
        await store.aclose()


async def test_key_holds_the_whole_conversation_identity(redis_server: RedisServer) -> None:
    """The key names platform, team, channel, user and thread under the ``sco:ctx:`` prefix."""
    store = RedisContextStore.from_url(redis_server.url)
    try:
        key = ConversationKey("discord", "G1", "C9", "U7", "TH3")
        assert store.key_for(key) == "sco:ctx:discord:G1:C9:U7:TH3"
    finally:
        await store.aclose()


async def test_store_recovers_when_redis_returns(
    store: RedisContextStore, private_redis_server: RedisServer
) -> None:
    """Down: calls fail fast. Back on the same port: the same store works without a restart."""
    await store.append(KEY, turn(metric="cpu"))
    private_redis_server.stop()
    with pytest.raises(DependencyError):
        await store.recent(KEY)
    with pytest.raises(DependencyError):
        await store.ping()
    private_redis_server.start()
    await store.ping()
    await store.append(KEY, turn(metric="disk"))
    assert [t.slots["metric"] for t in await store.recent(KEY)] == ["disk"]


async def test_restart_between_two_calls_is_invisible(
    store: RedisContextStore, private_redis_server: RedisServer
) -> None:
    """A pooled connection broken by a restart is retried once on a fresh one, not surfaced."""
    await store.append(KEY, turn(metric="cpu"))
    private_redis_server.stop()
    private_redis_server.start()
    assert await store.recent(KEY) == []
    await store.append(KEY, turn(metric="memory"))
    assert len(await store.recent(KEY)) == 1


async def test_hung_redis_costs_one_timeout_then_fails_fast(
    store: RedisContextStore, private_redis_server: RedisServer
) -> None:
    """A Redis that accepts connections but never answers costs one short timeout; calls
    during the hold-off fail at once; after it the store asks Redis again and recovers."""
    await store.append(KEY, turn(metric="cpu"))
    private_redis_server.pause()
    try:
        started = time.perf_counter()
        with pytest.raises(DependencyError, match="unreachable"):
            await store.recent(KEY)
        assert time.perf_counter() - started < FAIL_FAST_SECONDS
        started = time.perf_counter()
        with pytest.raises(DependencyError, match="unreachable"):
            await store.append(KEY, turn(metric="disk"))
        assert time.perf_counter() - started < 0.05
    finally:
        private_redis_server.resume()
    await asyncio.sleep(HOLD_OFF_SECONDS)
    assert [t.slots["metric"] for t in await store.recent(KEY)] == ["cpu"]


async def test_wrong_key_type_is_a_dependency_error(redis_server: RedisServer) -> None:
    """A key of another type under our name fails as a dependency error, not a crash."""
    store = RedisContextStore.from_url(redis_server.url, prefix="wrongtype-test:")
    client = Redis.from_url(redis_server.url)
    try:
        await client.set(store.key_for(KEY), "a string, not a list")
        with pytest.raises(DependencyError, match="ResponseError"):
            await store.recent(KEY)
    finally:
        await client.delete(store.key_for(KEY))
        await client.aclose()
        await store.aclose()
