"""The ContextStore contract, run against every implementation.

:class:`ContextStoreContract` holds the behaviour every store must have; each implementation
gets a subclass that provides the ``backend`` fixture. The in-memory store and a fakeredis-backed
Redis store run here; ``tests/integration/test_redis_context.py`` runs the same class against a
real ``redis-server``.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import fakeredis
import pytest
from redis.asyncio import Redis

from bot.core.model import ConversationKey
from intents.model import Turn
from storage.memory import InMemoryContextStore
from storage.redis_context import RedisContextStore

TTL = 600.0
MAX_TURNS = 5
KEY = ConversationKey("slack", "T1", "C1", "U1")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


RawInjector = Callable[[ConversationKey, bytes], Awaitable[None]]


@dataclass
class Backend:
    """A store under test, its clock, and a way to plant raw (possibly corrupt) entries."""

    store: InMemoryContextStore | RedisContextStore
    clock: FakeClock
    inject_raw: RawInjector

    def turn(self, intent: str = "metric_query", **slots: str | int) -> Turn:
        return Turn(intent, slots, self.clock())


CORRUPT_ENTRIES = [
    pytest.param(b"not json at all", id="not-json"),
    pytest.param(b"[1, 2, 3]", id="json-list"),
    pytest.param(b'{"slots": {}, "at": 1}', id="no-intent"),
    pytest.param(b'{"intent": "status", "slots": {}, "at": "yesterday"}', id="bad-time"),
    pytest.param(b'{"intent": "status", "slots": 7, "at": 1}', id="bad-slots"),
    pytest.param(b"\xff\xfe\x00", id="not-utf8"),
]

DIFFERENT_CONVERSATIONS = [
    pytest.param(ConversationKey("teams", "T1", "C1", "U1"), id="platform"),
    pytest.param(ConversationKey("slack", "T2", "C1", "U1"), id="team"),
    pytest.param(ConversationKey("slack", "T1", "C2", "U1"), id="channel"),
    pytest.param(ConversationKey("slack", "T1", "C1", "U2"), id="user"),
    pytest.param(ConversationKey("slack", "T1", "C1", "U1", "1700.01"), id="thread"),
    pytest.param(ConversationKey("slack", "T1:C1", "", "U1"), id="colon-in-id"),
]


class ContextStoreContract:
    """What every ContextStore does. Subclasses provide the ``backend`` fixture."""

    async def test_recent_returns_turns_oldest_first(self, backend: Backend) -> None:
        """Turns come back in the order they were appended, oldest first."""
        for metric in ("cpu", "memory", "disk"):
            await backend.store.append(KEY, backend.turn(metric=metric))
            backend.clock.advance(1)
        turns = await backend.store.recent(KEY)
        assert [t.slots["metric"] for t in turns] == ["cpu", "memory", "disk"]

    async def test_unknown_conversation_has_no_turns(self, backend: Backend) -> None:
        """A conversation nobody spoke in is empty, not an error."""
        assert await backend.store.recent(KEY) == []

    async def test_turn_round_trips(self, backend: Backend) -> None:
        """Intent, string and integer slots and the time survive storage unchanged."""
        turn = backend.turn("metric_query", metric="cpu", target="web-1", range=7200)
        await backend.store.append(KEY, turn)
        assert await backend.store.recent(KEY) == [turn]

    async def test_stored_turn_is_a_copy(self, backend: Backend) -> None:
        """Mutating the slots after append does not change what was remembered."""
        slots: dict[str, str | int] = {"metric": "cpu"}
        await backend.store.append(KEY, Turn("metric_query", slots, backend.clock()))
        slots["metric"] = "memory"
        (turn,) = await backend.store.recent(KEY)
        assert turn.slots == {"metric": "cpu"}

    async def test_a_reader_cannot_change_what_was_remembered(self, backend: Backend) -> None:
        """Changing the slots of a turn read back (where allowed) changes no later read."""
        await backend.store.append(KEY, backend.turn(metric="cpu"))
        (turn,) = await backend.store.recent(KEY)
        with contextlib.suppress(TypeError):
            turn.slots["metric"] = "disk"  # type: ignore[index]
        assert [t.slots["metric"] for t in await backend.store.recent(KEY)] == ["cpu"]

    @pytest.mark.parametrize("limit", [1, 2, 3])
    async def test_limit_returns_the_newest_turns(self, backend: Backend, limit: int) -> None:
        """``limit`` keeps the newest turns, still oldest first."""
        for n in range(4):
            await backend.store.append(KEY, backend.turn(range=n))
        turns = await backend.store.recent(KEY, limit)
        assert [t.slots["range"] for t in turns] == list(range(4))[-limit:]

    async def test_zero_limit_returns_nothing(self, backend: Backend) -> None:
        """A limit of zero asks for no turns (and must not mean "all of them")."""
        await backend.store.append(KEY, backend.turn())
        assert await backend.store.recent(KEY, 0) == []

    async def test_history_is_bounded(self, backend: Backend) -> None:
        """Only the newest ``max_turns`` turns are kept."""
        for n in range(MAX_TURNS + 7):
            await backend.store.append(KEY, backend.turn(range=n))
        turns = await backend.store.recent(KEY, 100)
        assert [t.slots["range"] for t in turns] == list(range(7, MAX_TURNS + 7))

    async def test_conversation_expires_after_ttl(self, backend: Backend) -> None:
        """A conversation idle for longer than the TTL is forgotten."""
        await backend.store.append(KEY, backend.turn())
        backend.clock.advance(TTL - 1)
        assert len(await backend.store.recent(KEY)) == 1
        backend.clock.advance(2)
        assert await backend.store.recent(KEY) == []

    async def test_old_turn_expires_while_newer_survives(self, backend: Backend) -> None:
        """Append refreshes the conversation, yet a turn older than the TTL is not returned."""
        await backend.store.append(KEY, backend.turn(metric="cpu"))
        backend.clock.advance(TTL * 0.6)
        await backend.store.append(KEY, backend.turn(metric="memory"))
        backend.clock.advance(TTL * 0.6)
        turns = await backend.store.recent(KEY)
        assert [t.slots["metric"] for t in turns] == ["memory"]

    @pytest.mark.parametrize("other", DIFFERENT_CONVERSATIONS)
    async def test_conversations_are_isolated(
        self, backend: Backend, other: ConversationKey
    ) -> None:
        """Turns in one conversation are invisible from any other (platform, team, channel,
        user or thread differs)."""
        await backend.store.append(KEY, backend.turn(metric="cpu"))
        await backend.store.append(other, backend.turn(metric="disk"))
        assert [t.slots["metric"] for t in await backend.store.recent(KEY)] == ["cpu"]
        assert [t.slots["metric"] for t in await backend.store.recent(other)] == ["disk"]

    async def test_clear_forgets_only_that_conversation(self, backend: Backend) -> None:
        """``clear`` empties one conversation and leaves the others alone."""
        other = ConversationKey("slack", "T1", "C1", "U2")
        await backend.store.append(KEY, backend.turn())
        await backend.store.append(other, backend.turn())
        await backend.store.clear(KEY)
        assert await backend.store.recent(KEY) == []
        assert len(await backend.store.recent(other)) == 1

    async def test_clear_of_unknown_conversation_is_harmless(self, backend: Backend) -> None:
        """Clearing a conversation that has no turns does not fail."""
        await backend.store.clear(KEY)
        assert await backend.store.recent(KEY) == []

    @pytest.mark.parametrize("raw", CORRUPT_ENTRIES)
    async def test_corrupt_entry_is_skipped(
        self, backend: Backend, raw: bytes, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A corrupt stored entry is logged and skipped; the good turns around it survive."""
        await backend.store.append(KEY, backend.turn(metric="cpu"))
        await backend.inject_raw(KEY, raw)
        await backend.store.append(KEY, backend.turn(metric="disk"))
        with caplog.at_level(logging.WARNING, logger="storage.memory"):
            turns = await backend.store.recent(KEY)
        assert [t.slots["metric"] for t in turns] == ["cpu", "disk"]
        assert "corrupt context entry" in caplog.text

    async def test_ping_answers(self, backend: Backend) -> None:
        """``ping`` returns quietly while the store is reachable."""
        await backend.store.ping()


# --------------------------------------------------------------------------- in-memory


class TestInMemoryContextStore(ContextStoreContract):
    @pytest.fixture
    def backend(self) -> Backend:
        clock = FakeClock()
        store = InMemoryContextStore(ttl_seconds=TTL, max_turns=MAX_TURNS, clock=clock)

        async def inject_raw(key: ConversationKey, raw: bytes) -> None:
            # The memory store keeps entries serialised; plant one the way Redis would hold it.
            conversation = store._conversations[key.as_string()]
            conversation.entries = (*conversation.entries, raw.decode(errors="replace"))

        return Backend(store, clock, inject_raw)

    async def test_least_recent_conversations_are_evicted(self) -> None:
        """Beyond ``max_conversations`` the least recently appended conversation goes first."""
        store = InMemoryContextStore(max_conversations=2, clock=FakeClock())
        keys = [ConversationKey("console", "local", "c", f"u{n}") for n in range(3)]
        for key in keys:
            await store.append(key, Turn("status", {}, FakeClock()()))
        assert await store.recent(keys[0]) == []
        assert [len(await store.recent(k)) for k in keys[1:]] == [1, 1]

    @pytest.mark.parametrize(
        "kwargs", [{"ttl_seconds": 0}, {"max_turns": 0}, {"max_conversations": 0}]
    )
    def test_rejects_non_positive_bounds(self, kwargs: dict[str, float]) -> None:
        """A store that could keep nothing (or forever) is a configuration mistake."""
        with pytest.raises(ValueError, match="positive"):
            InMemoryContextStore(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- fakeredis


async def redis_backend(client: Redis, clock: FakeClock) -> AsyncIterator[Backend]:
    """A RedisContextStore on ``client`` with a prefix of its own (shared by real Redis)."""
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    store = RedisContextStore(
        client, ttl_seconds=TTL, max_turns=MAX_TURNS, prefix=prefix, clock=clock
    )

    async def inject_raw(key: ConversationKey, raw: bytes) -> None:
        await client.rpush(store.key_for(key), raw)

    yield Backend(store, clock, inject_raw)
    await store.aclose()


class TestFakeRedisContextStore(ContextStoreContract):
    @pytest.fixture
    async def backend(self) -> AsyncIterator[Backend]:
        async for backend in redis_backend(fakeredis.FakeAsyncRedis(), FakeClock()):
            yield backend
