"""One scheduler replica in a process of its own, so a test can kill it (``SIGKILL``) the way
a crashed pod dies: no lease release, renewals just stop.

``python -m tests.fakes.scheduler_replica REDIS_URL NAMESPACE NAME NOW``

It runs the real scheduler (:func:`bot.features.scheduler.build_scheduler`) with Redis leases and
the
Redis dedupe store, over the demo metrics source frozen at ``NOW``, the anomaly scan every
second. What it does is written to Redis lists the test reads: ``{NAMESPACE}:runs`` gets
``{"replica", "due", "started"}`` for every firing it starts, and ``{NAMESPACE}:published``
gets ``{"replica", "key", "severity", "target", "title"}`` for every publish (the shared
"channel" of the replicas). It fits its detector first (:func:`warm_up`) and prints
``ready`` once its jobs are started.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from redis.asyncio import Redis

from bot.core.model import Reply
from bot.features.anomaly.ports import AnomalyDetector
from bot.features.metrics.ports import MetricsSource
from bot.features.scheduler.config import load_schedules
from bot.features.scheduler.ports import Job, Run

INTERVAL = 1.0
LEASE_TTL = 0.5
SCHEDULES = {
    "anomaly_scan": {
        "every": f"{INTERVAL}s",
        "lease_ttl": f"{LEASE_TTL}s",
        "lookback": "4h",
        "metrics": ["latency", "error_rate"],
    }
}


class ListPublisher:
    """A Publisher whose channel is a Redis list shared by every replica process."""

    def __init__(self, client: Redis, key: str, replica: str) -> None:
        self._client = client
        self._key = key
        self._replica = replica

    async def publish(
        self, key: str, reply: Reply, *, severity: str, target: str | None = None
    ) -> int:
        entry = {"replica": self._replica, "key": key, "severity": severity, "target": target,
                 "title": reply.title}  # fmt: skip
        await self._client.rpush(self._key, json.dumps(entry))
        return 1


class RecordedJob:
    """Writes each firing's start to a Redis list, then runs the real job."""

    def __init__(self, job: Job, client: Redis, key: str, replica: str) -> None:
        self.name = job.name
        self._job = job
        self._client = client
        self._key = key
        self._replica = replica

    async def run(self, run: Run) -> None:
        entry = {"replica": self._replica, "due": run.due, "started": time.time()}
        await self._client.rpush(self._key, json.dumps(entry))
        await self._job.run(run)


class _WarmUpRun:
    """A firing that belongs to no schedule, for :func:`warm_up`."""

    job = "warm-up"
    fencing_token = 0

    def __init__(self, due: float) -> None:
        self.due = due

    async def ensure_held(self) -> None:
        return None


class _Nowhere:
    async def publish(
        self, key: str, reply: Reply, *, severity: str, target: str | None = None
    ) -> int:
        return 0


async def warm_up(anomaly: AnomalyDetector, metrics: MetricsSource, now: float) -> None:
    """Fit the detector on the scan's series before joining, publishing nothing.

    A cold fit takes a good part of the 1 s interval (all of it on a busy machine), and a
    run that overruns its interval is cancelled and the firing after it skipped: the
    scheduler's overload behaviour, not what the replica tests are about. Warm, a run
    takes about 10 ms."""
    from bot.features.metrics.targets import TargetDirectory
    from bot.features.scheduler.announce import Announcer
    from bot.features.scheduler.anomaly_scan import AnomalyScan
    from bot.features.scheduler.config import load_schedules
    from storage.dedupe import InMemoryDedupeStore

    config = load_schedules(SCHEDULES).anomaly_scan
    assert config is not None
    announcer = Announcer(_Nowhere(), InMemoryDedupeStore())
    scan = AnomalyScan(config, metrics=metrics, directory=TargetDirectory(metrics),
                       detector=anomaly, announcer=announcer, clock=lambda: now)  # fmt: skip
    await scan.run(_WarmUpRun(now))


async def serve(redis_url: str, namespace: str, name: str, now: float) -> None:
    from adapters.metrics.demo import DemoMetricsSource
    from bot.features.metrics.targets import TargetDirectory
    from bot.features.scheduler.build import build_scheduler
    from ml.anomaly.service import AnomalyService
    from storage.dedupe import RedisDedupeStore
    from storage.lease import redis_leases
    from storage.redis_client import connect

    client = connect(redis_url)
    metrics, anomaly = DemoMetricsSource(seed=7, now=lambda: now), AnomalyService()
    await warm_up(anomaly, metrics, now)
    scheduler = build_scheduler(
        load_schedules(SCHEDULES),
        leases=redis_leases(client, owner=name, namespace=namespace),
        publisher=ListPublisher(client, f"{namespace}:published", name),
        dedupe=RedisDedupeStore(client),
        metrics=metrics,
        directory=TargetDirectory(metrics),
        firing_now=metrics,
        anomaly=anomaly,
        clock=lambda: now,
    )
    for runner in scheduler.runners:
        runner.job = RecordedJob(runner.job, client, f"{namespace}:runs", name)
    scheduler.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await scheduler.stop()
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
