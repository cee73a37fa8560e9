"""ExpiringKeys: the Responder's memory of claimed deliveries and the in-memory dedupe store."""

from __future__ import annotations

import pytest

from bot.core.expiring import FIRST_SWEEP, ExpiringKeys
from storage.dedupe import InMemoryDedupeStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_held_for_its_own_ttl() -> None:
    clock = Clock()
    keys = ExpiringKeys(clock)
    keys.add("short", 10)
    keys.add("long", 100)
    clock.now += 50
    assert not keys.holds("short")
    assert keys.holds("long")
    assert not keys.holds("never-added")


def test_a_claim_wins_once_until_it_expires() -> None:
    clock = Clock()
    keys = ExpiringKeys(clock)
    assert keys.claim("k", 60)
    assert not keys.claim("k", 60)
    clock.now += 61
    assert keys.claim("k", 60)


def test_with_a_limit_the_oldest_keys_are_forgotten_first() -> None:
    keys = ExpiringKeys(Clock(), limit=3)
    for key in "abcd":
        keys.add(key, 60)
    assert [k for k in "abcd" if keys.holds(k)] == ["b", "c", "d"]
    keys.add("b", 60)  # renewed: now the newest
    keys.add("e", 60)
    assert [k for k in "bcde" if keys.holds(k)] == ["b", "d", "e"]


def test_expired_keys_are_swept_once_the_store_has_grown() -> None:
    clock = Clock()
    keys = ExpiringKeys(clock)
    for n in range(FIRST_SWEEP - 1):
        keys.add(f"old-{n}", 10)
    clock.now += 11
    keys.add("new", 10)
    assert len(keys) == 1
    assert keys.holds("new")


def test_live_keys_are_all_kept_however_many() -> None:
    """Without a limit nothing live is dropped: a dedupe claim must hold for its whole TTL."""
    keys = ExpiringKeys(Clock())
    for n in range(5 * FIRST_SWEEP):
        assert keys.claim(f"k{n}", 900)
    assert len(keys) == 5 * FIRST_SWEEP
    assert not any(keys.claim(f"k{n}", 900) for n in range(5 * FIRST_SWEEP))


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ExpiringKeys(limit=0)


async def test_the_in_memory_dedupe_store_claims_each_key_once_per_ttl() -> None:
    clock = Clock()
    store = InMemoryDedupeStore(clock)
    assert await store.claim("slack:event:Ev1", 3600)
    assert not await store.claim("slack:event:Ev1", 3600)
    clock.now += 3601
    assert await store.claim("slack:event:Ev1", 3600)
