"""The scan's look ahead against a real Prometheus whose db-primary disk fills (5 points an hour,
92 % at the end of its history) and a real Redis: "db-primary disk full in < 24 h" is posted
exactly once across two scan runs on each of two replicas; the episode store holds to its
contract in Redis."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.metrics.prometheus import PrometheusMetricsSource
from bot.features.metrics.targets import TargetDirectory
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.anomaly_scan import AnomalyScan
from bot.features.scheduler.config import load_schedules
from ml.anomaly.service import AnomalyService
from ml.forecast.service import ForecastService
from storage.dedupe import RedisDedupeStore
from storage.episodes import RedisEpisodeStore
from storage.redis_client import connect
from tests.fakes.scheduler import FakeRun, PublishLog, RecordingPublisher
from tests.harness.prometheus import PrometheusServer
from tests.harness.redis import RedisServer
from tests.unit.test_episode_store import EpisodeStoreContract, Stores

pytestmark = pytest.mark.integration

SCAN = {
    "targets": ["db-primary"],
    "metrics": ["disk"],
    "min_score": 1.0,  # anomaly findings are not what this test is about
    "forecast_metrics": ["disk"],
}


@pytest.fixture
async def redis(private_redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A fresh Redis per test: the keys of an episode are the same in every test."""
    client = connect(private_redis_server.url)
    yield client
    await client.aclose()


class TestRedisEpisodeStore(EpisodeStoreContract):
    """The episode store contract against a real redis-server (its Lua scripts included)."""

    @pytest.fixture
    def stores(self, redis: Redis) -> Stores:
        async def expire(key: str) -> None:
            await redis.pexpire(f"sco:episode:{key}", 1)
            await asyncio.sleep(0.01)

        return Stores(RedisEpisodeStore(redis), RedisEpisodeStore(redis), expire)


async def test_an_episode_in_redis_outlives_its_first_ttl_while_it_is_seen(redis: Redis) -> None:
    store = RedisEpisodeStore(redis)
    assert await store.open("disk", "post", 2)
    assert not await store.open("disk", "other", 60)
    assert await redis.ttl("sco:episode:disk") > 2, "seen again: kept open longer"


class Replica:
    """One replica: its own source, detector, forecaster and Publisher (into the shared log),
    the shared Redis for dedupe claims and episodes."""

    def __init__(self, server: PrometheusServer, client: Redis, log: PublishLog, name: str):
        config = load_schedules({"anomaly_scan": SCAN}).anomaly_scan
        assert config is not None
        self.source = PrometheusMetricsSource(server.url, timeout=5.0)
        announcer = Announcer(
            RecordingPublisher(log, name),
            RedisDedupeStore(client),
            episodes=RedisEpisodeStore(client),
        )
        self.job = AnomalyScan(
            config,
            metrics=self.source,
            directory=TargetDirectory(self.source),
            detector=AnomalyService(),
            announcer=announcer,
            forecaster=ForecastService(),
            clock=time.time,
        )


async def test_the_filling_disk_is_posted_once_across_runs_and_replicas(
    filling_prometheus_server: PrometheusServer, redis: Redis
) -> None:
    log = PublishLog()
    replicas = [Replica(filling_prometheus_server, redis, log, name) for name in ("a", "b")]
    try:
        for token, replica in enumerate([*replicas, *replicas], start=1):
            await replica.job.run(FakeRun(job="anomaly_scan", token=token))
    finally:
        for replica in replicas:
            await replica.source.aclose()
    posts = [c for c in log.calls if c.key.startswith("forecast:")]
    assert [(c.replica, c.target, c.first) for c in posts] == [("a", "db-primary", True)]
    [post] = posts
    assert re.fullmatch(r"forecast:db-primary:disk:\d{4}-\d\d-\d\dT\d\d:\d\dZ", post.key)
    assert post.reply.title == "db-primary disk full in < 24 h"
    text = post.reply.text
    assert text.startswith("Disk of db-primary reaches full (100 %) in "), text
    assert "Now 92 %, rising 5 points/h." in text
    assert await redis.get("sco:episode:scheduler:forecast:db-primary:disk") == post.key.encode()


async def test_a_flat_disk_opens_no_episode(
    prometheus_server: PrometheusServer, redis: Redis
) -> None:
    """The default story's db-primary disk is a flat 90 %: nothing to post, nothing open."""
    log = PublishLog()
    replica = Replica(prometheus_server, redis, log, "a")
    try:
        await replica.job.run(FakeRun(job="anomaly_scan"))
    finally:
        await replica.source.aclose()
    assert [c for c in log.calls if c.key.startswith("forecast:")] == []
    assert await redis.keys("sco:episode:*") == []
