"""The alert store's contract (subscriptions, once-per-channel post claims, groups and
acknowledgements), on SQLite here and on PostgreSQL in
``tests/integration/test_alertmanager_store_postgres.py``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.ports import ChannelRef, PostedRef
from bot.features.alerts.model import Acknowledgement, Subscription
from storage.sql.alert_store import SqlAlertStore, open_alert_store_at

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPS = ChannelRef("slack", "T1", "C-OPS")
OPS_THREAD = ChannelRef("slack", "T1", "C-OPS", "1700.000100")
PAY = ChannelRef("discord", "G1", "C-PAY")
KEY = "alertmanager:abc:0"


class AlertStoreContract:
    """Behaviour every alert store must have; subclasses provide ``store``."""

    concurrent_claims = 10

    async def test_a_subscription_is_stored_once_per_channel_and_filter(
        self, store: SqlAlertStore
    ) -> None:
        critical = Subscription(OPS, "critical", None, "U1", "Ana")
        assert await store.add_subscription(critical, NOW)
        assert not await store.add_subscription(critical, NOW)
        assert await store.add_subscription(Subscription(OPS, "warning", "payments"), NOW)
        assert await store.add_subscription(Subscription(OPS_THREAD, "critical"), NOW)
        assert [s.severity for s in await store.subscriptions(OPS)] == ["critical", "warning"]
        assert await store.subscriptions(OPS_THREAD) == [Subscription(OPS_THREAD, "critical")]
        assert (await store.subscriptions(OPS))[0] == critical
        assert len(await store.subscriptions()) == 3

    async def test_removing_needs_the_exact_filters_and_clearing_takes_all(
        self, store: SqlAlertStore
    ) -> None:
        await store.add_subscription(Subscription(OPS, "critical"), NOW)
        await store.add_subscription(Subscription(OPS, None, "web-1"), NOW)
        await store.add_subscription(Subscription(PAY), NOW)
        assert not await store.remove_subscription(Subscription(OPS, "warning"))
        assert await store.remove_subscription(Subscription(OPS, "critical"))
        assert await store.clear_subscriptions(OPS) == 1
        assert await store.subscriptions() == [Subscription(PAY)]

    async def test_exactly_one_of_many_concurrent_claims_wins(self, store: SqlAlertStore) -> None:
        claims = await asyncio.gather(
            *(
                store.claim_post(KEY, OPS, NOW, NOW - timedelta(minutes=2))
                for _ in range(self.concurrent_claims)
            )
        )
        assert sum(c.won for c in claims) == 1
        assert all(c.posted is None for c in claims)

    async def test_a_recorded_post_is_what_later_claims_see(self, store: SqlAlertStore) -> None:
        assert (await store.claim_post(KEY, OPS_THREAD, NOW, NOW)).won
        posted = PostedRef("slack", "C-OPS", "1700.000200", "1700.000100", OPS_THREAD.team_id)
        await store.record_post(KEY, OPS_THREAD, posted, "d1", NOW)
        later = await store.claim_post(KEY, OPS_THREAD, NOW + timedelta(hours=1), NOW)
        assert (later.won, later.posted, later.digest) == (False, posted, "d1")
        await store.set_digest(KEY, OPS_THREAD, "d2", NOW)
        (stored,) = await store.posts(KEY)
        assert (stored.channel, stored.posted, stored.digest) == (OPS_THREAD, posted, "d2")
        assert await store.posts("another key") == []

    async def test_a_released_claim_can_be_claimed_again(self, store: SqlAlertStore) -> None:
        assert (await store.claim_post(KEY, OPS, NOW, NOW)).won
        await store.release_post(KEY, OPS)
        assert (await store.claim_post(KEY, OPS, NOW, NOW)).won

    async def test_a_stale_unrecorded_claim_is_taken_over_by_one_caller(
        self, store: SqlAlertStore
    ) -> None:
        assert (await store.claim_post(KEY, OPS, NOW, NOW)).won
        fresh = await store.claim_post(KEY, OPS, NOW, NOW - timedelta(minutes=2))
        assert not fresh.won
        later = NOW + timedelta(minutes=3)
        takeovers = await asyncio.gather(
            *(store.claim_post(KEY, OPS, later, later - timedelta(minutes=2)) for _ in range(4))
        )
        assert sum(t.won for t in takeovers) == 1

    async def test_a_group_keeps_its_epoch_until_it_fires_again_after_resolving(
        self, store: SqlAlertStore
    ) -> None:
        first = await store.record_group("ab" * 32, "{}:{a}", "firing", "{1}", NOW)
        assert (first.epoch, first.snapshot, first.ack) == (0, "{1}", None)
        ack = Acknowledgement("U1", "Ana", NOW)
        assert (await store.acknowledge("ab" * 32, ack)).ack == ack
        still = await store.record_group("ab" * 32, "{}:{a}", "firing", "{2}", NOW)
        assert (still.epoch, still.snapshot, still.ack) == (0, "{2}", ack)
        resolved = await store.record_group("ab" * 32, "{}:{a}", "resolved", "{3}", NOW)
        assert (resolved.epoch, resolved.status) == (0, "resolved")
        again = await store.record_group("ab" * 32, "{}:{a}", "firing", "{4}", NOW)
        assert (again.epoch, again.ack) == (1, None)

    async def test_the_first_acknowledgement_stands(self, store: SqlAlertStore) -> None:
        await store.record_group("cd" * 32, "{}:{b}", "firing", "{}", NOW)
        ana = Acknowledgement("U1", "Ana", NOW)
        bob = Acknowledgement("U2", "Bob", NOW + timedelta(minutes=1))
        assert (await store.acknowledge("cd" * 32, ana)).ack == ana
        assert (await store.acknowledge("cd" * 32, bob)).ack == ana

    async def test_groups_are_found_by_a_prefix_of_their_hash(self, store: SqlAlertStore) -> None:
        await store.record_group("abc1" + "0" * 60, "{}:{x}", "firing", "{}", NOW)
        await store.record_group("abc2" + "0" * 60, "{}:{y}", "firing", "{}", NOW)
        assert len(await store.find_groups("abc")) == 2
        (found,) = await store.find_groups("ABC1")
        assert found.group_key == "{}:{x}"
        assert await store.find_groups("abd") == []
        assert len(await store.find_groups("abc%_")) == 2, (
            "only hex digits count, never LIKE wildcards"
        )

    async def test_groups_since_are_those_notified_since_and_those_still_firing(
        self, store: SqlAlertStore
    ) -> None:
        """The digest's read: recent groups, plus groups still firing however old."""
        day_ago = NOW - timedelta(days=1)
        await store.record_group("a1" * 32, "{}:{old-resolved}", "resolved", "{1}", day_ago)
        await store.record_group("b2" * 32, "{}:{old-firing}", "firing", "{2}", day_ago)
        await store.record_group("c3" * 32, "{}:{recent}", "firing", "{3}", NOW)
        await store.record_group("c3" * 32, "{}:{recent}", "resolved", "{4}", NOW)
        found = await store.groups_since(NOW - timedelta(hours=1))
        assert [(g.group_key, g.status, g.snapshot) for g in found] == [
            ("{}:{recent}", "resolved", "{4}"),
            ("{}:{old-firing}", "firing", "{2}"),
        ]
        assert len(await store.groups_since(NOW - timedelta(hours=1), limit=1)) == 1
        assert len(await store.groups_since(day_ago)) == 3


class TestSqliteAlertStore(AlertStoreContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[SqlAlertStore]:
        async with open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}") as store:
            yield store


async def test_a_store_whose_database_is_gone_is_a_dependency_error(tmp_path: Path) -> None:
    """The publisher then fails closed: nothing is posted that could not be recorded."""
    from bot.core.errors import DependencyError

    async with open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}") as store:
        await store.engine.dispose()
        (tmp_path / "alerts.db").unlink()
        (tmp_path / "alerts.db").mkdir()
        with pytest.raises(DependencyError) as failure:
            await store.subscriptions()
    assert failure.value.dependency == "database"
    await _join_sqlite_workers()


async def _join_sqlite_workers() -> None:
    """aiosqlite finishes a failed connection on its own worker thread, which then calls
    back into the event loop; wait for those threads while the loop is still open, or the
    callback lands on a closed loop during a later test."""
    workers = [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]
    for worker in workers:
        await asyncio.to_thread(worker.join, 5)
        assert not worker.is_alive(), "an aiosqlite connection was left open"
