"""The publisher: each key is posted once per subscribed channel (across replicas sharing the
database), later publishes edit those posts, filters choose the channels, and failures are
retried by the next publish instead of being doubled or lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.errors import DependencyError
from bot.core.model import Reply, Severity
from bot.core.ports import ChannelRef, Publisher
from bot.features.alerts.model import PostClaim, StoredPost, Subscription
from bot.features.alerts.publisher import ChannelPublisher
from storage.sql.alert_store import SqlAlertStore, open_alert_store_at
from tests.fakes.alerts import RecordingPoster
from tests.unit.test_alerts_store import NOW

OPS = ChannelRef("chat", "T1", "C-OPS")
PAY = ChannelRef("chat", "T1", "C-PAY", "thread-1")
ELSEWHERE = ChannelRef("other", "T9", "C-X")
FIRING = Reply(title="Firing: HighLatency", text="p95 2.3 s", severity=Severity.CRITICAL)
RESOLVED = Reply(title="Resolved: HighLatency", text="back to 0.2 s", severity=Severity.SUCCESS)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlAlertStore]:
    async with open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}") as store:
        yield store


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


def replica(store: SqlAlertStore, poster: RecordingPoster) -> ChannelPublisher:
    """A publisher as one replica has it: the shared database and this replica's posters."""
    return ChannelPublisher(store, store, {poster.platform: poster}, wait_for_post=5.0)


async def subscribe(store: SqlAlertStore, *subscriptions: Subscription) -> None:
    for subscription in subscriptions:
        await store.add_subscription(subscription, NOW)


async def test_it_is_the_bots_publisher(store: SqlAlertStore, poster: RecordingPoster) -> None:
    publisher: Publisher = replica(store, poster)
    await subscribe(store, Subscription(OPS))
    assert await publisher.publish("finding:1", FIRING, severity="warning", target="web-1") == 1


async def test_severity_is_a_floor_and_a_target_filter_must_match(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    """Which channels each publish reaches. The channels of one publish are posted to
    concurrently (a slow platform must not hold up the others), so their order is not part
    of the contract: each publish's channels are compared as a set."""
    await subscribe(store, Subscription(OPS, "critical"), Subscription(PAY, "warning", "payments"))
    publisher = replica(store, poster)

    async def reached(key: str, severity: str, target: str) -> tuple[int, set[ChannelRef]]:
        before = len(poster.posts)
        count = await publisher.publish(key, FIRING, severity=severity, target=target)
        return count, {p.channel for p in poster.posts[before:]}

    assert await reached("k1", "warning", "payments") == (1, {PAY})
    assert await reached("k2", "critical", "web-1") == (1, {OPS})
    assert await reached("k3", "critical", "PAYMENTS") == (2, {OPS, PAY})
    assert await reached("k4", "info", "payments") == (0, set())
    assert len(poster.posts) == 4


async def test_a_channel_with_two_matching_subscriptions_gets_one_post(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    await subscribe(store, Subscription(OPS, "warning"), Subscription(OPS, None, "web-1"))
    assert await replica(store, poster).publish("k", FIRING, severity="critical",
                                                target="web-1") == 1  # fmt: skip
    assert len(poster.posts) == 1


async def test_a_later_publish_edits_the_post_and_an_unchanged_one_edits_nothing(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    await subscribe(store, Subscription(PAY))
    publisher = replica(store, poster)
    await publisher.publish("group", FIRING, severity="critical")
    assert await publisher.publish("group", FIRING, severity="critical") == 0
    assert poster.edits == []
    assert await publisher.publish("group", RESOLVED, severity="critical") == 1
    (post,) = poster.posts
    (edit,) = poster.edits
    assert edit.ref == post.ref
    assert edit.ref.thread_id == "thread-1"
    assert edit.reply == RESOLVED


async def test_posts_are_edited_after_a_restart_and_on_another_replica(
    store: SqlAlertStore, tmp_path: Path
) -> None:
    """The message ids live in the database, not in the publisher."""
    await subscribe(store, Subscription(OPS))
    first, second = RecordingPoster(), RecordingPoster()
    await replica(store, first).publish("group", FIRING, severity="critical")
    async with open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}") as reopened:
        assert await replica(reopened, second).publish("group", RESOLVED, severity="critical")
    assert second.posts == []
    assert [e.ref for e in second.edits] == [first.posts[0].ref]


async def test_replicas_publishing_at_once_post_once_per_channel(store: SqlAlertStore) -> None:
    await subscribe(store, Subscription(OPS), Subscription(PAY))
    posters = [RecordingPoster(delay=0.2) for _ in range(3)]
    counts = await asyncio.gather(
        *(replica(store, p).publish("group", FIRING, severity="critical") for p in posters)
    )
    posts = [post for p in posters for post in p.posts]
    assert sorted(p.channel.channel_id for p in posts) == ["C-OPS", "C-PAY"]
    assert sum(len(p.edits) for p in posters) == 0, "the same reply edits nothing"
    assert sum(counts) == 2


async def test_a_replica_that_lost_the_claim_edits_the_winners_post(
    store: SqlAlertStore,
) -> None:
    """A resolve arriving at another replica while the first post is in flight is not lost."""
    await subscribe(store, Subscription(OPS))
    slow, other = RecordingPoster(delay=0.5), RecordingPoster()
    firing = asyncio.create_task(replica(store, slow).publish("g", FIRING, severity="critical"))
    await asyncio.sleep(0.1)
    assert await replica(store, other).publish("g", RESOLVED, severity="critical") == 1
    await firing
    assert other.posts == []
    assert [e.ref for e in other.edits] == [slow.posts[0].ref]


async def test_a_failed_post_is_released_and_posted_by_the_next_publish(
    store: SqlAlertStore, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe(store, Subscription(OPS), Subscription(PAY))
    poster = RecordingPoster(fail_next=1)
    publisher = replica(store, poster)
    assert await publisher.publish("g", FIRING, severity="critical") == 1
    assert "the platform is down" in caplog.text
    assert await publisher.publish("g", FIRING, severity="critical") == 1
    assert sorted(p.channel.channel_id for p in poster.posts) == ["C-OPS", "C-PAY"]


async def test_a_platform_not_enabled_here_is_skipped(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    await subscribe(store, Subscription(OPS), Subscription(ELSEWHERE))
    assert await replica(store, poster).publish("g", FIRING, severity="critical") == 1
    assert [p.channel for p in poster.posts] == [OPS]


async def test_refresh_edits_existing_posts_only(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    await subscribe(store, Subscription(OPS))
    publisher = replica(store, poster)
    await publisher.publish("g", FIRING, severity="critical")
    await subscribe(store, Subscription(PAY))
    assert await publisher.refresh("g", RESOLVED) == 1
    assert [p.channel for p in poster.posts] == [OPS]
    assert [e.ref.channel_id for e in poster.edits] == ["C-OPS"]
    assert await publisher.refresh("never published", RESOLVED) == 0


async def test_with_the_database_down_nothing_is_posted(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    await subscribe(store, Subscription(OPS))
    await store.engine.dispose()

    class Down:
        async def claim_post(self, *_: object) -> None:
            raise DependencyError("database", "down")

    publisher = ChannelPublisher(store, Down(), {"chat": poster})  # type: ignore[arg-type]
    with pytest.raises(DependencyError):
        await publisher.publish("g", FIRING, severity="critical")
    assert poster.posts == []


class FlakyPosts:
    """The real post store, except that ``record_post`` fails ``fail_records`` times and
    waits for ``gate`` first (when set); releases are counted."""

    def __init__(self, store: SqlAlertStore, fail_records: int = 0) -> None:
        self.store = store
        self.fail_records = fail_records
        self.gate: asyncio.Event | None = None
        self.releases = 0

    async def claim_post(self, *args: Any) -> PostClaim:
        return await self.store.claim_post(*args)

    async def record_post(self, *args: Any) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_records:
            self.fail_records -= 1
            raise DependencyError("database", "connection reset")
        await self.store.record_post(*args)

    async def release_post(self, key: str, channel: ChannelRef) -> None:
        self.releases += 1
        await self.store.release_post(key, channel)

    async def set_digest(self, *args: Any) -> None:
        await self.store.set_digest(*args)

    async def posts(self, key: str) -> list[StoredPost]:
        return await self.store.posts(key)


def flaky_replica(posts: FlakyPosts, poster: RecordingPoster) -> ChannelPublisher:
    return ChannelPublisher(
        posts.store, posts, {poster.platform: poster}, wait_for_post=1.0,
        record_retry_delays=(0.0, 0.0),
    )  # fmt: skip


async def test_a_post_whose_record_fails_for_a_moment_is_recorded_not_released(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    """The message exists, so its id is recorded on a retry and the next publish edits it."""
    await subscribe(store, Subscription(OPS))
    posts = FlakyPosts(store, fail_records=2)
    publisher = flaky_replica(posts, poster)
    assert await publisher.publish("g", FIRING, severity="critical") == 1
    (stored,) = await store.posts("g")
    assert stored.posted == poster.posts[0].ref
    assert await publisher.publish("g", RESOLVED, severity="critical") == 1
    assert (len(poster.posts), len(poster.edits), posts.releases) == (1, 1, 0)


async def test_a_post_whose_record_keeps_failing_keeps_its_claim(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    """The store stays down: the publish fails (Alertmanager retries) but the claim is kept,
    so no second post follows until the claim is stale."""
    await subscribe(store, Subscription(OPS))
    posts = FlakyPosts(store, fail_records=3)
    with pytest.raises(DependencyError):
        await flaky_replica(posts, poster).publish("g", FIRING, severity="critical")
    assert posts.releases == 0
    assert await flaky_replica(posts, poster).publish("g", FIRING, severity="critical") == 0
    assert len(poster.posts) == 1


async def test_a_publish_cancelled_after_the_post_still_records_it(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    """Cancelled between the platform's answer and the database write: the message id is
    still recorded and the claim never released, so nothing is posted twice."""
    await subscribe(store, Subscription(OPS))
    posts = FlakyPosts(store)
    posts.gate = asyncio.Event()
    publisher = flaky_replica(posts, poster)
    task = asyncio.create_task(publisher.publish("g", FIRING, severity="critical"))
    await poster.wait_for_posts()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    posts.gate.set()
    for _ in range(100):
        if await store.posts("g"):
            break
        await asyncio.sleep(0.01)
    (stored,) = await store.posts("g")
    assert stored.posted == poster.posts[0].ref
    assert posts.releases == 0
    assert await replica(store, poster).publish("g", RESOLVED, severity="critical") == 1
    assert (len(poster.posts), len(poster.edits)) == (1, 1)
