"""``share`` across replicas: a private answer given by one replica is shared through another
(both on one real Redis), exactly once even when two replicas take the same click."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.core.model import IncomingMessage, Reply, Visibility
from bot.core.sharing import NOTHING_TO_SHARE, PrivateAnswers
from storage.redis_answers import RedisAnswerStore
from tests.harness.redis import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


def _replica(client: Redis, prefix: str) -> PrivateAnswers:
    return PrivateAnswers(store=RedisAnswerStore(client, prefix=prefix), keep_seconds=60)


def _said(text: str, user: str = "U1") -> IncomingMessage:
    return IncomingMessage("slack", "T1", "C1", user, f"name-{user}", text)


async def test_an_answer_given_by_one_replica_is_shared_through_another(client: Redis) -> None:
    prefix = f"t:{uuid.uuid4().hex}:"
    first, second = _replica(client, prefix), _replica(client, prefix)
    answer = Reply(text="You may not restart payments.", visibility=Visibility.PRIVATE)
    await first.keep(_said("restart payments"), answer)
    assert (await second.share(_said("share", user="U2"))).text == NOTHING_TO_SHARE
    shared = await second.share(_said("share"))
    assert shared.text == answer.text
    assert shared.visibility is Visibility.PUBLIC
    assert (await first.share(_said("share"))).text == NOTHING_TO_SHARE


async def test_two_replicas_taking_one_click_post_it_once(client: Redis) -> None:
    prefix = f"t:{uuid.uuid4().hex}:"
    replicas = [_replica(client, prefix) for _ in range(8)]
    await replicas[0].keep(_said("help"), Reply(text="help", visibility=Visibility.PRIVATE))
    shared = await asyncio.gather(*(r.share(_said("share")) for r in replicas))
    texts = [s.text for s in shared]
    assert texts.count("help") == 1
    assert texts.count(NOTHING_TO_SHARE) == 7


async def test_the_answer_expires_in_redis(client: Redis) -> None:
    prefix = f"t:{uuid.uuid4().hex}:"
    store = RedisAnswerStore(client, prefix=prefix)
    await store.keep("k", Reply(text="x"), ttl_seconds=30)
    ttl = await client.pttl(prefix + "k")
    assert 0 < ttl <= 30_000


async def test_a_value_that_does_not_decode_is_dropped(client: Redis) -> None:
    prefix = f"t:{uuid.uuid4().hex}:"
    store = RedisAnswerStore(client, prefix=prefix)
    await client.set(prefix + "k", b"{not json")
    assert await store.take("k") is None
    assert await client.exists(prefix + "k") == 0
