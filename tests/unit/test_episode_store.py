"""The episode store contract (:class:`bot.features.scheduler.ports.EpisodeStore`), run against
every implementation: the in-memory one here, Redis in
``tests/integration/test_forecast_scan_prometheus.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.features.scheduler.ports import EpisodeStore
from storage.episodes import InMemoryEpisodeStore
from tests.fakes.scheduler import FakeClock

TTL = 60


@dataclass
class Stores:
    """Two handles on one backend (two replicas) and a way to let an episode's TTL run out."""

    a: EpisodeStore
    b: EpisodeStore
    expire: Callable[[str], Awaitable[None]]


class EpisodeStoreContract:
    """What every episode store must do."""

    async def test_one_opener_per_episode_until_it_is_closed(self, stores: Stores) -> None:
        assert await stores.a.open("disk", "post-1", TTL)
        assert not await stores.b.open("disk", "post-2", TTL), "already open"
        assert await stores.b.close("disk") == "post-1", "the first opener's post"
        assert await stores.a.close("disk") is None, "closed once"
        assert await stores.a.open("disk", "post-3", TTL), "a new episode"
        assert await stores.b.close("disk") == "post-3"

    async def test_episodes_are_independent(self, stores: Stores) -> None:
        assert await stores.a.open("disk", "d", TTL)
        assert await stores.a.open("memory", "m", TTL)
        assert await stores.b.close("memory") == "m"
        assert not await stores.b.open("disk", "d2", TTL)

    async def test_closing_an_episode_never_opened_is_nothing(self, stores: Stores) -> None:
        assert await stores.a.close("never") is None

    async def test_an_episode_left_open_lapses_after_its_ttl(self, stores: Stores) -> None:
        assert await stores.a.open("disk", "old", TTL)
        await stores.expire("disk")
        assert await stores.a.close("disk") is None
        assert await stores.b.open("disk", "new", TTL)

    async def test_concurrent_openers_and_closers_each_have_one_winner(
        self, stores: Stores
    ) -> None:
        opened = await asyncio.gather(*(s.open("disk", f"p{i}", TTL) for i, s in
                                        enumerate([stores.a, stores.b] * 5)))  # fmt: skip
        assert sum(opened) == 1
        closed = await asyncio.gather(*(s.close("disk") for s in [stores.a, stores.b] * 5))
        assert [c for c in closed if c is not None] == [f"p{opened.index(True)}"]


class TestInMemoryEpisodeStore(EpisodeStoreContract):
    @pytest.fixture
    def stores(self) -> Stores:
        clock = FakeClock(0.0)
        store = InMemoryEpisodeStore(clock=clock)

        async def expire(_: str) -> None:
            clock.advance(TTL + 1)

        return Stores(store, store, expire)


async def test_an_open_episode_seen_again_stays_open_past_its_first_ttl() -> None:
    """Each run that still sees the episode keeps it open (a long episode is not re-posted
    when its first TTL runs out)."""
    clock = FakeClock(0.0)
    store = InMemoryEpisodeStore(clock=clock)
    assert await store.open("disk", "post", TTL)
    for _ in range(5):
        clock.advance(TTL / 2)
        assert not await store.open("disk", "other", TTL)
    assert await store.close("disk") == "post"
