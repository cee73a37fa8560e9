"""Fakes for the scheduler tests: a recording Publisher shared by replicas, leases that can be
cut off from their backend, a hand-driven Run, and a clock moved by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.core.coordination import LeaseLost
from bot.core.errors import DependencyError
from bot.core.model import Reply
from bot.features.scheduler.ports import Grant, Lease

NOW = 1_700_000_000.0


@dataclass(frozen=True, slots=True)
class Published:
    """One ``publish`` call: which replica made it, and whether it was the key's first."""

    replica: str
    key: str
    reply: Reply
    severity: str
    target: str | None
    first: bool


@dataclass
class PublishLog:
    """What every replica's Publisher saw, in order (the shared "channel")."""

    calls: list[Published] = field(default_factory=list)

    @property
    def posts(self) -> list[Published]:
        """The publishes that created a post (the first of each key)."""
        return [c for c in self.calls if c.first]

    def keys(self, prefix: str = "") -> list[str]:
        return [c.key for c in self.calls if c.key.startswith(prefix)]

    def replicas(self) -> set[str]:
        return {c.replica for c in self.calls}


class RecordingPublisher:
    """A :class:`bot.core.ports.Publisher` that records into a (possibly shared)
    :class:`PublishLog`.

    Like the real one, the first publish of a key is a post and later ones are updates; it
    posts to one channel. ``fail`` makes every publish raise (a platform outage).
    """

    def __init__(self, log: PublishLog | None = None, replica: str = "r0") -> None:
        self.log = log if log is not None else PublishLog()
        self.replica = replica
        self.fail = False
        self.attempts = 0

    async def publish(
        self, key: str, reply: Reply, *, severity: str, target: str | None = None
    ) -> int:
        self.attempts += 1
        if self.fail:
            raise RuntimeError("platform down")
        first = key not in {c.key for c in self.log.calls}
        self.log.calls.append(Published(self.replica, key, reply, severity, target, first))
        return 1


class SeverableLease:
    """A lease whose replica can be cut off from the backend: after :meth:`sever` every call
    raises :class:`DependencyError` (a dead process's lease simply lapses). After
    :meth:`stall`, ``renew`` hangs instead (a partitioned or frozen replica that does not know
    it lost the lease), while ``is_current`` still reaches the backend."""

    def __init__(self, inner: Lease) -> None:
        self.inner = inner
        self.name = inner.name
        self.ttl_seconds = inner.ttl_seconds
        self.severed = False
        self.stalled = False

    def sever(self) -> None:
        self.severed = True

    def stall(self) -> None:
        self.stalled = True

    def _check(self) -> None:
        if self.severed:
            raise DependencyError("redis", "cut off")

    async def acquire(self) -> Grant | None:
        self._check()
        return await self.inner.acquire()

    async def renew(self, grant: Grant) -> bool:
        self._check()
        if self.stalled:
            await asyncio.Event().wait()
        return await self.inner.renew(grant)

    async def release(self, grant: Grant) -> None:
        self._check()
        await self.inner.release(grant)

    async def is_current(self, grant: Grant) -> bool:
        self._check()
        return await self.inner.is_current(grant)

    async def mark(self, grant: Grant, value: float) -> bool:
        self._check()
        return await self.inner.mark(grant, value)

    async def last_mark(self) -> float | None:
        self._check()
        return await self.inner.last_mark()


class FakeRun:
    """A :class:`bot.features.scheduler.ports.Run` driven by hand: ``held = False`` makes it
    stale."""

    def __init__(self, job: str = "job", due: float = NOW, token: int = 1) -> None:
        self.job = job
        self.due = due
        self.fencing_token = token
        self.held = True
        self.checks = 0

    async def ensure_held(self) -> None:
        self.checks += 1
        if not self.held:
            raise LeaseLost(f"fencing token {self.fencing_token} is stale")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def wait_until(condition: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def wait_until_async(
    condition: Callable[[], Awaitable[bool]], what: str, within: float = 10.0
) -> None:
    """:func:`wait_until` for a condition that must await (e.g. read Redis)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
