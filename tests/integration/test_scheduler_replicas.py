"""Several replicas, one schedule, a real Redis: each job runs on one replica at a time, each
finding is posted once, a killed holder's job moves to a standby within one interval, and a
stale holder that wakes up after losing its lease cannot publish."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from adapters.metrics.demo import DemoMetricsSource
from bot.features.metrics.targets import TargetDirectory
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.anomaly_scan import AnomalyScan
from bot.features.scheduler.config import load_schedules
from bot.features.scheduler.ports import Lease, Run
from bot.features.scheduler.runner import JobRunner
from bot.features.scheduler.schedule import Every
from ml.anomaly.service import AnomalyService
from storage.dedupe import RedisDedupeStore
from storage.lease import RedisLease
from storage.redis_client import connect
from tests.fakes.scheduler import (
    NOW,
    FakeClock,
    PublishLog,
    RecordingPublisher,
    SeverableLease,
    wait_until,
    wait_until_async,
)
from tests.fakes.scheduler_replica import INTERVAL, LEASE_TTL, SCHEDULES
from tests.harness.redis import RedisServer
from tests.unit.test_scheduler_lease import Backend, LeaseContract

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
#: Findings of the demo fleet at NOW over latency and error rate, 4h back.
EXPECTED_KEYS = {
    "finding:checkout-api:latency:2023-11-14T19:03Z",
    "finding:checkout-api:error_rate:2023-11-14T19:03Z",
    "finding:payments:latency:2023-11-14T21:49Z",
}


@pytest.fixture
def namespace() -> str:
    return f"sco-test:{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = connect(redis_server.url)
    yield client
    await client.aclose()


class TestRedisLease(LeaseContract):
    """The lease contract against a real redis-server (Lua scripts included)."""

    @pytest.fixture
    def backend(self, redis: Redis, namespace: str) -> Backend:
        async def expire() -> None:
            await redis.pexpire(f"{namespace}:lease:job", 1)
            await asyncio.sleep(0.01)

        return Backend(
            lambda owner: RedisLease(
                redis, name="job", owner=owner, ttl_seconds=10.0, namespace=namespace
            ),
            expire,
        )


async def test_a_redis_lease_lapses_by_itself_when_its_holder_stops_renewing(
    redis: Redis, namespace: str
) -> None:
    a = RedisLease(redis, name="job", owner="a", ttl_seconds=0.2, namespace=namespace)
    b = RedisLease(redis, name="job", owner="b", ttl_seconds=0.2, namespace=namespace)
    first = await a.acquire()
    assert first is not None
    assert await a.holder() == f"a|{first.fencing_token}"
    assert await b.acquire() is None
    await asyncio.sleep(0.3)
    second = await b.acquire()
    assert second is not None
    assert second.fencing_token == first.fencing_token + 1


# --------------------------------------------------------------------------- replica processes


class Replicas:
    """Scheduler replicas in processes of their own (see ``tests.fakes.scheduler_replica``)."""

    def __init__(self, server: RedisServer, namespace: str) -> None:
        self.server = server
        self.namespace = namespace
        self.processes: dict[str, subprocess.Popen[str]] = {}

    def start(self, name: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        args = [sys.executable, "-m", "tests.fakes.scheduler_replica", self.server.url,
                self.namespace, name, repr(NOW)]  # fmt: skip
        self.processes[name] = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )

    def kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(timeout=10)

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture
def replicas(private_redis_server: RedisServer, namespace: str) -> Iterator[Replicas]:
    """A fresh Redis per test: the dedupe keys of the demo's findings are the same each time."""
    group = Replicas(private_redis_server, namespace)
    yield group
    group.close()


async def entries(client: Redis, key: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in await client.lrange(key, 0, -1)]


async def test_three_replica_processes_post_each_finding_once_and_survive_a_kill(
    replicas: Replicas, namespace: str
) -> None:
    """Each finding is posted once across three replicas; SIGKILL of the job's holder moves
    the job to a standby within one interval, with no firing skipped and nothing reposted."""
    client = connect(replicas.server.url)
    runs_key, published_key = f"{namespace}:runs", f"{namespace}:published"

    async def runs() -> list[dict[str, Any]]:
        return await entries(client, runs_key)

    async def published() -> list[dict[str, Any]]:
        return await entries(client, published_key)

    try:
        for name in ("r1", "r2", "r3"):
            replicas.start(name)

        async def settled() -> bool:
            return len(await published()) >= len(EXPECTED_KEYS) and len(await runs()) >= 2

        await wait_until_async(settled, "the first scans to post", within=30)
        holder = (await runs())[-1]["replica"]
        lease = RedisLease(client, name="anomaly_scan", owner="test", ttl_seconds=1,
                           namespace=namespace)  # fmt: skip
        assert str(await lease.holder()).startswith(f"{holder}|"), "the last runner holds it"
        replicas.kill(holder)
        killed_at = time.time()

        async def taken_over() -> bool:
            return any(r["replica"] != holder for r in await runs())

        await wait_until_async(taken_over, "a standby to run the job", within=20)
        first_after = next(r for r in await runs() if r["replica"] != holder)
        handover = first_after["started"] - killed_at
        assert handover <= INTERVAL + 0.3, f"standby ran {handover:.2f}s after the kill"

        count = len(await runs())

        async def more_runs() -> bool:
            return len(await runs()) >= count + 2

        await wait_until_async(more_runs, "two more firings on the new holder")
    finally:
        all_runs, posts = await runs(), await published()
        await client.aclose()
    print(f"handover {handover:.2f}s after SIGKILL (interval {INTERVAL}s, lease {LEASE_TTL}s)")
    assert sorted(p["key"] for p in posts) == sorted(EXPECTED_KEYS), "each finding posted once"
    assert {p["target"] for p in posts} == {"checkout-api", "payments"}
    assert len({p["replica"] for p in posts}) == 1, "the holder at the time posted them all"
    dues = sorted({r["due"] for r in all_runs})
    assert all(b - a == pytest.approx(INTERVAL) for a, b in itertools.pairwise(dues))
    repeated = {r["due"] for r in all_runs if [x["due"] for x in all_runs].count(r["due"]) > 1}
    assert repeated <= {max(r["due"] for r in all_runs if r["replica"] == holder)}, (
        "only the firing the holder died in may run again (caught up by the successor)"
    )
    after_kill = [r["replica"] for r in all_runs if r["started"] > killed_at]
    assert len(set(after_kill)) == 1, "one holder at a time after the handover"


# --------------------------------------------------------------------------- stale holder


class Gate:
    """Wraps a job: the first firing stops at the gate until the test opens it."""

    def __init__(self, job: AnomalyScan) -> None:
        self.name = job.name
        self._job = job
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()
        self.outcome: BaseException | None = None

    async def run(self, run: Run) -> None:
        if not self.entered.is_set():
            self.entered.set()
            await self.opened.wait()
        try:
            await self._job.run(run)
        except BaseException as exc:
            self.outcome = exc
            raise


def scan_job(client: Redis, log: PublishLog, name: str, detector: AnomalyService) -> AnomalyScan:
    config = load_schedules(SCHEDULES).anomaly_scan
    assert config is not None
    return AnomalyScan(
        config,
        metrics=(source := DemoMetricsSource(seed=7, now=lambda: NOW)),
        directory=TargetDirectory(source),
        detector=detector,
        announcer=Announcer(RecordingPublisher(log, name), RedisDedupeStore(client)),
        clock=lambda: NOW,
    )


def redis_lease(client: Redis, namespace: str, owner: str) -> Lease:
    return RedisLease(
        client, name="anomaly_scan", owner=owner, ttl_seconds=LEASE_TTL, namespace=namespace
    )


async def test_a_stale_holder_cannot_publish_after_losing_the_lease(
    private_redis_server: RedisServer, namespace: str
) -> None:
    """A's renewals hang and its clock stands still (a frozen VM): it still believes it holds
    the job. B takes over once the lease lapses and posts every finding; when A wakes up and
    finishes its run, the fencing token check refuses its publishes and its progress write."""
    clients = [connect(private_redis_server.url) for _ in range(2)]
    log = PublishLog()
    detector = AnomalyService()
    stale_lease = SeverableLease(redis_lease(clients[0], namespace, "a"))
    gate = Gate(scan_job(clients[0], log, "a", detector))
    frozen = FakeClock(0.0)
    a = JobRunner(gate, Every(INTERVAL), stale_lease, monotonic=frozen, run_timeout=60)
    b = JobRunner(
        scan_job(clients[1], log, "b", detector), Every(INTERVAL),
        redis_lease(clients[1], namespace, "b"),
    )  # fmt: skip
    try:
        a.start()
        async with asyncio.timeout(10):
            await gate.entered.wait()
        stale_lease.stall()
        b.start()
        await wait_until(lambda: len(log.calls) >= len(EXPECTED_KEYS), "B to post")
        assert a.holding, "A's own clock still says it holds the job"
        assert (b.fencing_token or 0) > (a.fencing_token or 0) > 0
        gate.opened.set()
        await wait_until(lambda: gate.outcome is not None, "A's run to end")
        assert "fencing token" in str(gate.outcome)
        await asyncio.sleep(INTERVAL)
    finally:
        await a.stop()
        await b.stop()
        for client in clients:
            await client.aclose()
    assert sorted(c.key for c in log.calls) == sorted(EXPECTED_KEYS)
    assert log.replicas() == {"b"}, "nothing from the stale holder"


async def test_jobs_stop_while_redis_is_down_and_resume_when_it_is_back(
    private_redis_server: RedisServer, namespace: str
) -> None:
    """No replica can confirm its lease without Redis, so none runs the job (fail closed);
    once Redis is back a replica takes the job again."""
    client = connect(private_redis_server.url)
    log = PublishLog()
    ran: list[float] = []

    class Counted:
        name = "anomaly_scan"

        async def run(self, run: Run) -> None:
            ran.append(time.monotonic())

    runner = JobRunner(Counted(), Every(0.5), redis_lease(client, namespace, "a"))
    try:
        runner.start()
        await wait_until(lambda: bool(ran), "the first firing")
        private_redis_server.stop()
        stopped = time.monotonic()
        await asyncio.sleep(1.5)
        during = [t for t in ran if t > stopped + LEASE_TTL]
        assert during == [], "no firing started once the lease could not be confirmed"
        assert not runner.holding
        private_redis_server.start()
        back = time.monotonic()
        await wait_until(lambda: any(t > back for t in ran), "a firing after Redis is back")
    finally:
        await runner.stop()
        await client.aclose()
    assert log.calls == []
