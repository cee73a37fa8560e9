"""The gateway supervisor: a session only while this replica holds the shard lease."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from adapters.discord.gateway import GatewaySupervisor
from adapters.discord.lease import Fence, Grant
from bot.core.errors import DependencyError

TTL = 1.0
RENEW = 0.1
POLL = 0.02


class ScriptedLease:
    """An in-memory shard lease a test can take away, withhold or break."""

    name = "0-of-1"
    ttl_seconds = TTL

    def __init__(self) -> None:
        self.holder: Grant | None = None
        self.tokens = 0
        self.down = False
        self.released: list[Grant] = []

    async def acquire(self) -> Grant | None:
        self._check()
        if self.holder is not None:
            return None
        self.tokens += 1
        self.holder = Grant("0-of-1", "me", self.tokens)
        return self.holder

    async def renew(self, grant: Grant) -> bool:
        self._check()
        return self.holder == grant

    async def release(self, grant: Grant) -> None:
        self._check()
        if self.holder == grant:
            self.holder = None
            self.released.append(grant)

    async def is_current(self, grant: Grant) -> bool:
        self._check()
        return self.holder == grant

    async def mark(self, grant: Grant, value: float) -> bool:
        raise NotImplementedError("the gateway keeps no progress")

    async def last_mark(self) -> float | None:
        raise NotImplementedError("the gateway keeps no progress")

    def _check(self) -> None:
        if self.down:
            raise DependencyError("redis", "Redis is unreachable")


class FakeClient:
    """Runs "a gateway session" until closed, or fails at start with ``fail``."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.token: str | None = None
        self._closed = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def start(self, token: str, *, reconnect: bool = True) -> None:
        self.token = token
        if self.fail is not None:
            raise self.fail
        await self._closed.wait()

    async def close(self) -> None:
        self._closed.set()


class Harness:
    def __init__(self) -> None:
        self.lease = ScriptedLease()
        self.fence = Fence()
        self.clients: list[FakeClient] = []
        self.fail: Exception | None = None
        self.supervisor = GatewaySupervisor(
            self.lease, self.fence, self._new_client, "secret-token",
            renew_every=RENEW, standby_poll=POLL,
        )  # fmt: skip

    def _new_client(self) -> FakeClient:
        client = FakeClient(self.fail)
        self.clients.append(client)
        return client

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        for _ in range(500):
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    yield h
    await h.supervisor.stop()


async def test_the_holder_runs_one_session_and_stop_releases_the_lease(harness: Harness) -> None:
    harness.supervisor.start()
    await harness.until(lambda: len(harness.clients) == 1, "a session")
    await harness.until(lambda: harness.clients[0].token == "secret-token", "login")
    assert harness.fence.holds()
    assert harness.fence.token == 1
    await asyncio.sleep(RENEW * 4)
    assert len(harness.clients) == 1
    await harness.supervisor.stop()
    assert harness.clients[0].closed
    assert harness.lease.holder is None
    assert [g.fencing_token for g in harness.lease.released] == [1]
    assert not harness.fence.holds()
    assert not harness.supervisor.running


async def test_a_standby_connects_only_once_the_lease_is_free(harness: Harness) -> None:
    other = Grant("0-of-1", "other-replica", 1)
    harness.lease.holder, harness.lease.tokens = other, 1
    harness.supervisor.start()
    await asyncio.sleep(POLL * 5)
    assert harness.clients == []
    assert not harness.fence.holds()
    harness.lease.holder = None
    await harness.until(lambda: len(harness.clients) == 1, "the standby's session")
    assert harness.fence.token == 2


async def test_losing_the_lease_closes_the_session_and_a_new_tenure_starts_fresh(
    harness: Harness,
) -> None:
    harness.supervisor.start()
    await harness.until(lambda: len(harness.clients) == 1, "a session")
    harness.lease.holder = Grant("0-of-1", "thief", 99)
    await harness.until(lambda: harness.clients[0].closed, "the lost session to close")
    assert not harness.fence.holds()
    harness.lease.holder = None
    await harness.until(lambda: len(harness.clients) == 2, "a new session")
    assert not harness.clients[1].closed
    assert harness.supervisor.tenures == 2


async def test_an_unreachable_lease_store_closes_the_session_after_the_ttl(
    harness: Harness,
) -> None:
    harness.supervisor.start()
    await harness.until(lambda: len(harness.clients) == 1, "a session")
    harness.lease.down = True
    await asyncio.sleep(TTL / 4)
    assert not harness.clients[0].closed, "a short outage must not drop the session"
    await harness.until(lambda: harness.clients[0].closed, "fail closed after the TTL")
    assert not harness.fence.holds()
    harness.lease.down, harness.lease.holder = False, None
    await harness.until(lambda: len(harness.clients) == 2, "reconnect once the store is back")


async def test_a_failed_session_is_retried_with_a_new_client(harness: Harness) -> None:
    harness.fail = RuntimeError("gateway unreachable")
    harness.supervisor.start()
    await harness.until(lambda: len(harness.clients) >= 2, "a retry")
    assert harness.supervisor.running
    assert len(harness.lease.released) >= 1, "a failed holder lets another replica try"


class SwallowingLease(ScriptedLease):
    """A lease whose acquire and renew lose a cancellation that arrives mid-call, as
    redis-py's calls can on Python 3.11 (its internal ``wait_for`` returns the result)."""

    def __init__(self) -> None:
        super().__init__()
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
        return await super().acquire()

    async def renew(self, grant: Grant) -> bool:
        await self._pause()
        return await super().renew(grant)


@pytest.mark.parametrize("role", ["holder", "standby"])
async def test_stop_finishes_even_when_a_cancellation_is_lost(harness: Harness, role: str) -> None:
    """Stopped in the middle of a lease call that loses the cancellation (the holder while
    renewing, a standby while trying to acquire), the supervisor still stops promptly,
    releases what it holds and never re-arms the fence."""
    lease = harness.lease = SwallowingLease()
    harness.supervisor = GatewaySupervisor(
        lease, harness.fence, harness._new_client, "secret-token",
        renew_every=RENEW, standby_poll=POLL,
    )  # fmt: skip
    if role == "standby":
        lease.holder, lease.tokens = Grant("0-of-1", "other-replica", 1), 1
    harness.supervisor.start()
    if role == "holder":
        await harness.until(lambda: len(harness.clients) == 1, "a session")
        lease.in_call.clear()
    async with asyncio.timeout(3):
        await lease.in_call.wait()
    stopping = asyncio.create_task(harness.supervisor.stop())
    # Waited on, not wrapped in a timeout: a timeout's own cancellation would reach the
    # supervisor's task through stop() and hide the lost one.
    await asyncio.wait({stopping}, timeout=3)
    assert stopping.done(), "stop() hung on the lost cancellation"
    await stopping
    assert lease.swallowed == 1
    assert not harness.fence.holds()
    assert not harness.supervisor.running
    if role == "holder":
        assert harness.clients[0].closed
        assert lease.holder is None, "released on stop"
    else:
        assert harness.clients == []
        assert lease.holder == Grant("0-of-1", "other-replica", 1)
