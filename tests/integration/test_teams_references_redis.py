"""Teams conversation references in a real redis-server: the shared store contract, and a
reference stored by one replica found by another."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.teams.references import ReferenceBook, ReferenceStore
from storage.teams_references import RedisReferenceStore
from tests.fakes.teams_activities import CHANNEL, activity, mention
from tests.harness.redis import RedisServer
from tests.unit.test_teams_references import ReferenceStoreContract

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[Redis]:
    redis = Redis.from_url(redis_server.url)
    yield redis
    await redis.aclose()


def isolated(client: Redis) -> RedisReferenceStore:
    """A store under a key prefix of its own (the server is shared by the session)."""
    return RedisReferenceStore(client, prefix=f"test:{uuid.uuid4().hex}:")


class TestRealRedisReferenceStore(ReferenceStoreContract):
    @pytest.fixture
    def store(self, client: Redis) -> ReferenceStore:
        return isolated(client)


async def test_reference_stored_by_one_replica_is_found_by_another(
    redis_server: RedisServer,
) -> None:
    """Two clients (two replicas) share references: either can post where the other was
    addressed, and the document is plain JSON in Redis."""
    prefix = f"test:{uuid.uuid4().hex}:"
    first, second = Redis.from_url(redis_server.url), Redis.from_url(redis_server.url)
    try:
        await ReferenceBook(RedisReferenceStore(first, prefix=prefix)).remember(
            activity(mention("hi", service_url="https://smba.example/emea/"))
        )
        found = await ReferenceBook(RedisReferenceStore(second, prefix=prefix)).find(CHANNEL)
        assert found is not None
        assert found.service_url == "https://smba.example/emea/"
        raw = await second.get(prefix + CHANNEL)
        assert raw is not None
        assert b'"serviceUrl":"https://smba.example/emea/"' in raw
        assert await second.ttl(prefix + CHANNEL) == -1
    finally:
        await first.aclose()
        await second.aclose()


async def test_short_lived_documents_expire_in_redis_and_references_do_not(client: Redis) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    documents = RedisReferenceStore(client, prefix=prefix, ttl_seconds=3600)
    references = RedisReferenceStore(client, prefix=prefix + "ref:")
    await documents.save("view", {"seen": ["a"]})
    await references.save("conv", {"id": "x"})
    assert 0 < await client.pttl(prefix + "view") <= 3_600_000
    assert await client.pttl(prefix + "ref:conv") == -1
