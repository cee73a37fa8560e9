"""The job runner: one replica runs each firing, a standby takes over when the holder stops or
dies, missed firings are caught up once, and failures never stop the schedule.

Runners here share in-memory leases (one process, real clock, sub-second intervals); the
same scenarios against Redis are in ``tests/integration/test_scheduler_replicas.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from bot.features.scheduler.ports import Grant, Lease, Run
from bot.features.scheduler.runner import JobRunner, Scheduler
from bot.features.scheduler.schedule import Every
from storage.lease import InMemoryLeases
from tests.fakes.scheduler import SeverableLease, wait_until

INTERVAL = 0.4
TTL = 0.15


@dataclass(frozen=True)
class Ran:
    replica: str
    due: float
    token: int
    at: float
    wall: float


@dataclass
class Ledger:
    """Every firing any replica ran."""

    runs: list[Ran] = field(default_factory=list)

    def dues(self) -> list[float]:
        return [r.due for r in self.runs]

    async def wait_for(self, count: int, within: float = 10.0) -> None:
        await wait_until(lambda: len(self.runs) >= count, f"{count} firings", within)


class RecordingJob:
    """Records each firing; ``body`` (if any) runs after recording."""

    def __init__(
        self,
        ledger: Ledger,
        replica: str,
        body: Callable[[Run], Awaitable[None]] | None = None,
        name: str = "job",
    ) -> None:
        self.name = name
        self._ledger = ledger
        self._replica = replica
        self._body = body

    async def run(self, run: Run) -> None:
        ran = Ran(self._replica, run.due, run.fencing_token, time.monotonic(), time.time())
        self._ledger.runs.append(ran)
        if self._body is not None:
            await self._body(run)


@pytest.fixture
def board() -> InMemoryLeases:
    return InMemoryLeases()


@pytest.fixture
async def stoppers() -> AsyncIterator[list[JobRunner]]:
    runners: list[JobRunner] = []
    yield runners
    for runner in runners:
        await runner.stop()


def replica(
    board: InMemoryLeases,
    ledger: Ledger,
    name: str,
    stoppers: list[JobRunner],
    *,
    interval: float = INTERVAL,
    ttl: float = TTL,
    wrap: Callable[[Lease], Lease] = lambda lease: lease,
    body: Callable[[Run], Awaitable[None]] | None = None,
) -> JobRunner:
    lease = wrap(board.lease("job", name, ttl))
    runner = JobRunner(RecordingJob(ledger, name, body), Every(interval), lease)
    stoppers.append(runner)
    runner.start()
    return runner


def assert_consecutive(dues: list[float], interval: float = INTERVAL) -> None:
    """Each firing ran once, and none was skipped."""
    assert len(set(dues)) == len(dues), f"a firing ran twice: {dues}"
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(dues)]
    assert all(g == pytest.approx(interval) for g in gaps), f"a firing was skipped: {gaps}"


async def test_three_replicas_run_each_firing_exactly_once(
    board: InMemoryLeases, stoppers: list[JobRunner]
) -> None:
    ledger = Ledger()
    runners = [replica(board, ledger, f"r{i}", stoppers) for i in range(3)]
    await ledger.wait_for(4)
    assert_consecutive(ledger.dues())
    assert sum(r.runs for r in runners) == len(ledger.runs)
    assert sum(r.holding for r in runners) == 1
    assert all(r.wall >= r.due for r in ledger.runs), "nothing ran before it was due"


async def test_a_stopped_holder_hands_over_at_once_and_nothing_repeats(
    board: InMemoryLeases, stoppers: list[JobRunner]
) -> None:
    ledger = Ledger()
    first = replica(board, ledger, "a", stoppers)
    await ledger.wait_for(1)
    second = replica(board, ledger, "b", stoppers)
    await first.stop()
    await asyncio.sleep(TTL / 3 + 0.05)
    assert second.holding, "the released lease was taken at the next poll"
    await ledger.wait_for(3)
    assert [r.replica for r in ledger.runs[:3]] == ["a", "b", "b"]
    assert_consecutive(ledger.dues())
    assert ledger.runs[1].token > ledger.runs[0].token


async def test_a_dead_holder_hands_over_within_one_interval(
    board: InMemoryLeases, stoppers: list[JobRunner]
) -> None:
    ledger = Ledger()
    cut: list[SeverableLease] = []

    def severable(lease: Lease) -> Lease:
        cut.append(SeverableLease(lease))
        return cut[-1]

    replica(board, ledger, "a", stoppers, wrap=severable)
    await ledger.wait_for(1)
    replica(board, ledger, "b", stoppers)
    cut[0].sever()
    died = time.monotonic()
    await ledger.wait_for(2)
    taken_over = ledger.runs[1]
    assert taken_over.replica == "b"
    assert taken_over.at - died <= INTERVAL + 0.1, "the next firing ran on the standby"
    assert_consecutive(ledger.dues())


async def test_a_new_holder_catches_up_the_firing_its_predecessor_missed(
    board: InMemoryLeases, stoppers: list[JobRunner]
) -> None:
    every = Every(30.0)
    missed = every.latest_until(time.time())
    old = board.lease("job", "old", TTL)
    grant = await old.acquire()
    assert grant is not None
    await old.mark(grant, missed - 30.0)
    await old.release(grant)
    ledger = Ledger()
    replica(board, ledger, "new", stoppers, interval=30.0)
    await ledger.wait_for(1, within=2.0)
    assert ledger.dues() == [missed], "the latest firing ran at once, the older ones are gone"


async def test_a_fresh_start_waits_for_the_next_firing(
    board: InMemoryLeases, stoppers: list[JobRunner]
) -> None:
    ledger = Ledger()
    started = time.time()
    replica(board, ledger, "new", stoppers, interval=30.0)
    await asyncio.sleep(0.3)
    assert ledger.runs == [], f"nothing due since {started}"


async def test_a_failing_job_keeps_its_schedule(
    board: InMemoryLeases, stoppers: list[JobRunner]
) -> None:
    async def boom(run: Run) -> None:
        raise RuntimeError("prometheus exploded")

    ledger = Ledger()
    runner = replica(board, ledger, "a", stoppers, body=boom)
    await ledger.wait_for(3)
    assert_consecutive(ledger.dues())
    assert runner.holding
    mark = await board.lease("job", "x", TTL).last_mark()
    assert mark is not None
    assert mark >= ledger.dues()[1], "failed firings are recorded as run"


async def test_a_job_running_past_its_interval_is_cancelled(
    board: InMemoryLeases, stoppers: list[JobRunner]
) -> None:
    cancelled: list[float] = []

    async def hang(run: Run) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(run.due)
            raise

    ledger = Ledger()
    replica(board, ledger, "a", stoppers, body=hang)
    await ledger.wait_for(2)
    assert cancelled == [ledger.dues()[0]]
    assert ledger.dues()[1] - ledger.dues()[0] == pytest.approx(INTERVAL)


async def test_a_holder_that_cannot_renew_stops_its_job_before_the_lease_lapses(
    board: InMemoryLeases, stoppers: list[JobRunner]
) -> None:
    stuck: list[SeverableLease] = []
    holder_when_cancelled: list[str | None] = []

    def stallable(lease: Lease) -> Lease:
        stuck.append(SeverableLease(lease))
        return stuck[-1]

    async def slow(run: Run) -> None:
        stuck[0].stall()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            holder_when_cancelled.append(board.holder("job"))
            raise

    ledger = Ledger()
    replica(board, ledger, "a", stoppers, interval=1.0, ttl=0.6, wrap=stallable, body=slow)
    await wait_until(lambda: bool(holder_when_cancelled), "the stalled job to be cancelled")
    assert holder_when_cancelled == [f"a|{ledger.runs[0].token}"], (
        "the job stopped while nobody else could have taken the lease yet"
    )


async def test_stopping_the_scheduler_releases_every_lease(board: InMemoryLeases) -> None:
    ledger = Ledger()
    runners = [
        JobRunner(
            RecordingJob(ledger, "a", name=name), Every(INTERVAL), board.lease(name, "a", TTL)
        )
        for name in ("scan", "digest")
    ]
    scheduler = Scheduler(runners)
    assert scheduler.jobs == ("scan", "digest")
    scheduler.start()
    await wait_until(lambda: all(r.holding for r in runners), "both leases to be held")
    await scheduler.stop()
    assert board.holder("scan") is None
    assert board.holder("digest") is None
    await scheduler.stop()


class SwallowingLease:
    """A lease whose calls lose a cancellation that arrives mid-call, as redis-py's calls can
    on Python 3.11 (its internal ``wait_for`` returns the result instead of re-raising)."""

    def __init__(self, inner: Lease) -> None:
        self.inner = inner
        self.name = inner.name
        self.ttl_seconds = inner.ttl_seconds
        self.in_call = asyncio.Event()
        self.swallowed = 0

    async def _pause(self) -> None:
        self.in_call.set()
        try:
            await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            self.swallowed += 1
        finally:
            self.in_call.clear()

    async def acquire(self) -> Grant | None:
        await self._pause()
        return await self.inner.acquire()

    async def renew(self, grant: Grant) -> bool:
        await self._pause()
        return await self.inner.renew(grant)

    async def release(self, grant: Grant) -> None:
        await self.inner.release(grant)

    async def is_current(self, grant: Grant) -> bool:
        return await self.inner.is_current(grant)

    async def mark(self, grant: Grant, value: float) -> bool:
        return await self.inner.mark(grant, value)

    async def last_mark(self) -> float | None:
        return await self.inner.last_mark()


@pytest.mark.parametrize("role", ["holder", "standby"])
async def test_stop_finishes_even_when_a_cancellation_is_lost(
    board: InMemoryLeases, role: str
) -> None:
    """Stopped in the middle of a lease call that loses the cancellation (the holder while
    renewing, a standby while trying to acquire), the runner still stops and releases."""
    if role == "standby":
        assert board.acquire("job", "someone-else", 60) is not None
    lease = SwallowingLease(board.lease("job", "me", 0.3))
    runner = JobRunner(RecordingJob(Ledger(), "me"), Every(5.0), lease)
    runner.start()
    if role == "holder":
        await wait_until(lambda: runner.holding, "the lease")
        lease.in_call.clear()
    async with asyncio.timeout(3):
        await lease.in_call.wait()
    async with asyncio.timeout(3):
        await runner.stop()
    assert lease.swallowed == 1
    assert board.holder("job") == ("someone-else|1" if role == "standby" else None)
