"""Teams conversation-reference stores: one contract for the in-memory and Redis stores,
and the dead-Redis behaviour."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import fakeredis
import pytest

from adapters.teams.references import ReferenceBook, ReferenceStore, reference_document
from bot.core.errors import DependencyError
from storage.redis_client import connect
from storage.teams_references import InMemoryReferenceStore, RedisReferenceStore
from tests.fakes.teams_activities import CHANNEL, activity, mention
from tests.harness.require import free_port

DOCUMENT = {"conversation": {"id": CHANNEL}, "serviceUrl": "https://smba.example/emea/"}


class ReferenceStoreContract:
    """What every :class:`ReferenceStore` must do; subclasses provide a ``store`` fixture."""

    async def test_saved_document_loads_back_equal(self, store: ReferenceStore) -> None:
        """A document round-trips unchanged."""
        await store.save(CHANNEL, DOCUMENT)
        assert await store.load(CHANNEL) == DOCUMENT

    async def test_unknown_key_loads_none(self, store: ReferenceStore) -> None:
        """A conversation never saved is None, not an error."""
        assert await store.load("19:never@thread.tacv2") is None

    async def test_save_replaces_and_delete_forgets(self, store: ReferenceStore) -> None:
        """The latest save wins; after delete the key is unknown; deleting twice is fine."""
        await store.save(CHANNEL, DOCUMENT)
        await store.save(CHANNEL, {**DOCUMENT, "serviceUrl": "https://smba.example/amer/"})
        loaded = await store.load(CHANNEL)
        assert loaded is not None
        assert loaded["serviceUrl"] == "https://smba.example/amer/"
        await store.delete(CHANNEL)
        await store.delete(CHANNEL)
        assert await store.load(CHANNEL) is None

    async def test_mutating_a_saved_document_does_not_change_the_store(
        self, store: ReferenceStore
    ) -> None:
        """The store keeps its own serialised copy."""
        document: dict[str, Any] = {"conversation": {"id": CHANNEL}}
        await store.save(CHANNEL, document)
        document["conversation"]["id"] = "changed"
        loaded = await store.load(CHANNEL)
        assert loaded == {"conversation": {"id": CHANNEL}}


class TestInMemoryReferenceStore(ReferenceStoreContract):
    @pytest.fixture
    def store(self) -> ReferenceStore:
        return InMemoryReferenceStore()


class TestFakeRedisReferenceStore(ReferenceStoreContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[ReferenceStore]:
        client = fakeredis.FakeAsyncRedis()
        yield RedisReferenceStore(client)
        await client.aclose()


async def test_dead_redis_is_a_dependency_error_and_remember_survives_it() -> None:
    """A refused connection is DependencyError("redis"); storing a reference during a turn
    only logs it, so the user is still answered."""
    client = connect(f"redis://127.0.0.1:{free_port()}/0")
    store = RedisReferenceStore(client)
    try:
        started = time.perf_counter()
        with pytest.raises(DependencyError) as caught:
            await store.load(CHANNEL)
        assert caught.value.dependency == "redis"
        assert time.perf_counter() - started < 1.0
        await ReferenceBook(store).remember(activity(mention("hi")))
        with pytest.raises(DependencyError):
            await ReferenceBook(store).find(CHANNEL)
    finally:
        await client.aclose()


async def test_reference_book_finds_what_an_activity_stored() -> None:
    """The reference found by channel id addresses the channel through its service URL."""
    book = ReferenceBook(InMemoryReferenceStore())
    await book.remember(activity(mention("hi", service_url="https://smba.example/emea/")))
    reference = await book.find(CHANNEL)
    assert reference is not None
    assert reference.conversation.id == CHANNEL
    assert reference.service_url == "https://smba.example/emea/"
    assert reference.activity_id is None
    assert await book.find("19:other@thread.tacv2") is None


def test_reference_document_drops_thread_activity_and_sender() -> None:
    """Only what addressing needs is kept: no thread, no message id, no personal data."""
    key, document = reference_document(activity(mention("hi")))
    assert key == CHANNEL
    assert set(document) == {"bot", "conversation", "channelId", "locale", "serviceUrl"}


async def test_in_memory_documents_expire_and_are_bounded() -> None:
    now = [100.0]
    store = InMemoryReferenceStore(ttl_seconds=60, limit=2, clock=lambda: now[0])
    await store.save("a", {"n": 1})
    await store.save("b", {"n": 2})
    await store.save("c", {"n": 3})
    assert await store.load("a") is None
    assert await store.load("c") == {"n": 3}
    now[0] += 61
    assert await store.load("c") is None
