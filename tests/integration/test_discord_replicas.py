"""Several replicas, one Discord shard: the Redis lease (and the dedupe store behind it) make
one message get one answer, and a standby takes the shard over when the holder goes away."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.core.errors import DependencyError
from storage.dedupe import RedisDedupeStore
from storage.lease import RedisLease
from storage.redis_client import connect
from tests.fakes.discord_bot import (
    ScriptedCore,
    connected,
    fake_discord,
    fast_options,
    running_bot,
    scripted_services,
)
from tests.fakes.discord_checks import assert_nobody_pinged
from tests.fakes.discord_server import FakeDiscord
from tests.harness.redis import RedisServer

pytestmark = pytest.mark.integration

REPLY = r"/channels/\d+/messages"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def namespace() -> str:
    return f"sco-test:{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = connect(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(heartbeat_ms=500) as server:
        yield server
        assert_nobody_pinged(server)


def lease(client: Redis, namespace: str, owner: str, ttl: float = 10.0) -> RedisLease:
    return RedisLease(client, name="0-of-1", owner=owner, ttl_seconds=ttl, namespace=namespace)


async def test_one_holder_at_a_time_with_growing_fencing_tokens(
    redis: Redis, namespace: str
) -> None:
    a, b = lease(redis, namespace, "a"), lease(redis, namespace, "b")
    first = await a.acquire()
    assert first is not None
    assert await b.acquire() is None
    assert await a.renew(first)
    assert await a.holder() == f"a|{first.fencing_token}"
    assert await redis.get(f"{namespace}:lease:0-of-1") == f"a|{first.fencing_token}".encode()
    assert await redis.get(f"{namespace}:fence:0-of-1") == str(first.fencing_token).encode(), (
        "the key layout replicas of earlier releases read and write"
    )
    await b.release(first.__class__(first.name, "b", first.fencing_token))
    assert await b.acquire() is None, "only the holder's exact value releases"
    await a.release(first)
    second = await b.acquire()
    assert second is not None
    assert second.fencing_token > first.fencing_token
    assert not await a.renew(first), "a released grant cannot be renewed"


async def test_a_lease_nobody_renews_lapses_and_the_old_holder_cannot_renew(
    redis: Redis, namespace: str
) -> None:
    a, b = lease(redis, namespace, "a", ttl=0.3), lease(redis, namespace, "b", ttl=0.3)
    old = await a.acquire()
    assert old is not None
    await asyncio.sleep(0.45)
    new = await b.acquire()
    assert new is not None
    assert new.fencing_token == old.fencing_token + 1
    assert not await a.renew(old)
    assert await a.holder() == f"b|{new.fencing_token}"


async def test_an_unreachable_redis_is_a_dependency_error(
    private_redis_server: RedisServer, namespace: str
) -> None:
    client = connect(private_redis_server.url)
    try:
        private_redis_server.stop()
        with pytest.raises(DependencyError):
            await lease(client, namespace, "a").acquire()
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def replica(
    fake: FakeDiscord, redis_url: str, namespace: str, core: ScriptedCore
) -> AsyncIterator[None]:
    dedupe_client = connect(redis_url)
    services = scripted_services(core, redis=dedupe_client, dedupe=RedisDedupeStore(dedupe_client))
    try:
        async with running_bot(services, fast_options(fake, lease_namespace=namespace)):
            yield
    finally:
        await dedupe_client.aclose()


async def test_two_replicas_answer_a_message_once_and_hand_over_on_stop(
    fake: FakeDiscord, redis_server: RedisServer, namespace: str
) -> None:
    first, second = ScriptedCore(), ScriptedCore()
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(replica(fake, redis_server.url, namespace, first))
        await connected(fake)
        holder_stack = stack.pop_all()
        await stack.enter_async_context(replica(fake, redis_server.url, namespace, second))
        await asyncio.sleep(0.3)
        assert len(fake.live_sessions) == 1, "the standby must not open a second session"
        await fake.dispatch("MESSAGE_CREATE", fake.user_message("chart once"))
        await fake.wait_for_call("POST", REPLY)
        await asyncio.sleep(0.3)
        assert len(fake.calls_to("POST", REPLY)) == 1
        assert [r.text for r in first.requests + second.requests] == ["chart once"]

        await holder_stack.aclose()
        await fake.wait_until(lambda: len(fake.ops(2)) == 2, "the standby to IDENTIFY")
        await connected(fake)
        await fake.dispatch("MESSAGE_CREATE", fake.user_message("after handover"))
        await fake.wait_for_call("POST", REPLY, count=2)
        await asyncio.sleep(0.3)
        assert len(fake.calls_to("POST", REPLY)) == 2
        assert [r.text for r in second.requests] == ["after handover"]


@pytest.fixture
def killable_replica(
    fake: FakeDiscord, redis_server: RedisServer, namespace: str
) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "tests.fakes.discord_replica", fake.api_base,
            fake.gateway_url, redis_server.url, namespace]  # fmt: skip
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


async def test_a_killed_holder_is_replaced_once_its_lease_lapses(
    fake: FakeDiscord,
    redis_server: RedisServer,
    namespace: str,
    killable_replica: subprocess.Popen[str],
) -> None:
    await fake.wait_until(lambda: len(fake.live_sessions) == 1, "the first replica", within=30)
    core = ScriptedCore()
    async with replica(fake, redis_server.url, namespace, core):
        await asyncio.sleep(0.3)
        assert len(fake.ops(2)) == 1, "a standby while the holder lives"
        killable_replica.send_signal(signal.SIGKILL)
        await fake.wait_until(lambda: len(fake.ops(2)) == 2, "the standby to take over")
        await connected(fake)
        await fake.dispatch("MESSAGE_CREATE", fake.user_message("anyone there?"))
        await fake.wait_for_call("POST", REPLY)
    assert [r.text for r in core.requests] == ["anyone there?"]
    assert len(fake.calls_to("POST", REPLY)) == 1


async def test_dedupe_guards_even_when_two_replicas_share_a_session_by_mistake(
    fake: FakeDiscord, redis_server: RedisServer
) -> None:
    """Two replicas without a shared lease both connect; the shared dedupe store still lets
    only one of them answer."""
    cores = [ScriptedCore(), ScriptedCore()]
    clients = [connect(redis_server.url) for _ in cores]
    async with contextlib.AsyncExitStack() as stack:
        for core, client in zip(cores, clients, strict=True):
            services = scripted_services(core, dedupe=RedisDedupeStore(client))
            await stack.enter_async_context(running_bot(services, fast_options(fake)))
            stack.push_async_callback(client.aclose)
        await connected(fake, sessions=2)
        await fake.dispatch("MESSAGE_CREATE", fake.user_message("chart twice?"))
        await fake.wait_for_call("POST", REPLY)
        await asyncio.sleep(0.3)
    assert len(fake.calls_to("POST", REPLY)) == 1
    assert sum(len(c.requests) for c in cores) == 1


async def test_the_holder_gives_the_shard_up_while_redis_is_down_and_returns(
    fake: FakeDiscord, private_redis_server: RedisServer, namespace: str
) -> None:
    async with replica(fake, private_redis_server.url, namespace, ScriptedCore()):
        await connected(fake)
        private_redis_server.stop()
        await fake.wait_until(lambda: not fake.live_sessions, "the session to close", within=10)
        private_redis_server.start()
        await fake.wait_until(lambda: len(fake.live_sessions) == 1, "a new session", within=10)
    assert len(fake.ops(2)) == 2
