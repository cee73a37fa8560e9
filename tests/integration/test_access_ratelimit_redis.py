"""The expensive-query limit on a real redis-server: every replica counts the same uses.

Two bots built by the composition root on one Redis (two replicas) share one allowance per
person; underneath, the limiter's Lua script stays exact under a stampede from two clients,
slides with explicit times and expires its keys."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.app.config import FileSettings, Settings
from bot.app.services import Services, open_services
from bot.core.model import IncomingMessage, Reply
from storage.ratelimit import PREFIX, RedisRateLimiter
from tests.harness.redis import RedisServer

pytestmark = pytest.mark.integration

T0 = 1_800_000_000.0
LIMIT = {"limits": {"expensive": {"count": 2, "per_seconds": 3600}}}


@contextlib.asynccontextmanager
async def replica(redis_url: str) -> AsyncIterator[Services]:
    settings = Settings(redis_url=redis_url, file=FileSettings(policy=LIMIT))
    async with open_services(settings) as services:
        yield services


async def ask(services: Services, user: str, text: str) -> Reply:
    message = IncomingMessage("slack", "T1", "C1", user, user, text, tenant_id="T1")
    return await services.dispatcher.handle(message)


async def test_two_replicas_share_one_allowance_per_person(redis_server: RedisServer) -> None:
    """Two long PromQL queries on two replicas use up the allowance: the third is refused
    on either replica, while another person (and a short query) still gets an answer."""
    user = f"U{uuid.uuid4().hex[:8].upper()}"
    long_query = "promql up over 7d"
    async with replica(redis_server.url) as one, replica(redis_server.url) as two:
        first = await ask(one, user, long_query)
        second = await ask(two, user, long_query)
        third = await ask(one, user, long_query)
        fourth = await ask(two, user, "anything unusual with web-1?")
        short = await ask(two, user, "promql up over 2h")
        other = await ask(two, f"{user}X", long_query)
    for answered in (first, second, short, other):
        assert (answered.title or "").startswith("PromQL"), answered
    for refused in (third, fourth):
        assert refused.text.startswith(
            "You've run 2 expensive queries in the last hour; try again in "
        ), refused.text
    client = Redis.from_url(redis_server.url)
    try:
        assert await client.zcard(f"{PREFIX}expensive:slack:{user}") == 2
    finally:
        await client.aclose()


async def test_the_window_is_exact_under_a_stampede_from_two_clients(
    redis_server: RedisServer,
) -> None:
    """200 concurrent uses at one instant through two clients: exactly ``count`` pass."""
    key = f"stampede-{uuid.uuid4().hex}"
    clients = [Redis.from_url(redis_server.url) for _ in range(2)]
    try:
        limiters = [RedisRateLimiter(c) for c in clients]
        results = await asyncio.gather(*(limiters[i % 2].take(key, 10, 60, T0) for i in range(200)))
        assert sum(r.allowed for r in results) == 10
        assert {r.used for r in results if not r.allowed} == {10}
        assert {r.retry_after for r in results if not r.allowed} == {60.0}
    finally:
        for client in clients:
            await client.aclose()


async def test_the_window_slides_with_the_callers_time_and_the_key_expires(
    redis_server: RedisServer,
) -> None:
    key = f"slide-{uuid.uuid4().hex}"
    client = Redis.from_url(redis_server.url)
    try:
        limiter = RedisRateLimiter(client)
        assert (await limiter.take(key, 2, 60, T0)).allowed
        assert (await limiter.take(key, 2, 60, T0 + 15.5)).allowed
        full = await limiter.take(key, 2, 60, T0 + 20)
        assert (full.allowed, full.used, full.retry_after) == (False, 2, 40.0)
        again = await limiter.take(key, 2, 60, T0 + 60)
        assert (again.allowed, again.used) == (True, 2)
        assert 0 < await client.pttl(PREFIX + key) <= 60_000
    finally:
        await client.aclose()
