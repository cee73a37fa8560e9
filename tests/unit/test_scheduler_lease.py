"""The job lease contract (:class:`bot.features.scheduler.ports.Lease`), run against every
implementation.

:class:`LeaseContract` holds the behaviour; each implementation gets a subclass providing the
``leases`` fixture (a factory of leases on one shared backend) and ``expire`` (makes the
current holder's TTL run out). The in-memory leases run here; ``tests/integration/
test_scheduler_replicas.py`` runs the same class against a real ``redis-server``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.core.coordination import LeaseLost, Tenure
from bot.features.scheduler.ports import Lease
from storage.lease import InMemoryLeases
from tests.fakes.scheduler import FakeClock

TTL = 10.0


@dataclass
class Backend:
    """Leases on one backend: ``lease(owner)`` builds one on the shared name; ``expire()``
    lets the current holder's TTL run out."""

    lease: Callable[[str], Lease]
    expire: Callable[[], Awaitable[None]]


class LeaseContract:
    """What every lease implementation must do."""

    async def test_one_holder_at_a_time_with_growing_fencing_tokens(self, backend: Backend) -> None:
        a, b = backend.lease("a"), backend.lease("b")
        first = await a.acquire()
        assert first is not None
        assert (first.owner, first.name) == ("a", a.name)
        assert await b.acquire() is None, "held by a"
        assert await a.renew(first)
        await a.release(first)
        second = await b.acquire()
        assert second is not None
        assert second.fencing_token > first.fencing_token

    async def test_a_lapsed_lease_passes_on_and_the_old_grant_is_stale(
        self, backend: Backend
    ) -> None:
        a, b = backend.lease("a"), backend.lease("b")
        old = await a.acquire()
        assert old is not None
        await backend.expire()
        new = await b.acquire()
        assert new is not None
        assert new.fencing_token > old.fencing_token
        assert not await a.is_current(old)
        assert await b.is_current(new)
        assert not await a.renew(old), "a stale holder cannot extend its successor's lease"
        await a.release(old)
        assert await b.is_current(new), "nor release it"

    async def test_progress_is_written_only_by_the_current_holder(self, backend: Backend) -> None:
        a, b = backend.lease("a"), backend.lease("b")
        assert await a.last_mark() is None
        old = await a.acquire()
        assert old is not None
        assert await a.mark(old, 100.0)
        await backend.expire()
        new = await b.acquire()
        assert new is not None
        assert await b.last_mark() == 100.0, "the successor reads its predecessor's progress"
        assert not await a.mark(old, 200.0), "a stale holder's write is refused"
        assert await b.mark(new, 150.0)
        assert await a.last_mark() == 150.0

    async def test_a_released_lease_is_free_at_once(self, backend: Backend) -> None:
        a, b = backend.lease("a"), backend.lease("b")
        grant = await a.acquire()
        assert grant is not None
        await a.release(grant)
        assert not await a.is_current(grant)
        assert await b.acquire() is not None

    async def test_the_tenure_check_refuses_a_replaced_holder(self, backend: Backend) -> None:
        a, b = backend.lease("a"), backend.lease("b")
        grant = await a.acquire()
        assert grant is not None
        frozen = FakeClock(0.0)
        tenure = Tenure(a, grant, confirmed_at=0.0, clock=frozen)
        await tenure.ensure()
        await backend.expire()
        assert await b.acquire() is not None
        assert tenure.holds_locally(), "its own clock has not noticed"
        with pytest.raises(LeaseLost, match="fencing token"):
            await tenure.ensure()


class TestInMemoryLease(LeaseContract):
    @pytest.fixture
    def backend(self) -> Backend:
        clock = FakeClock(0.0)
        board = InMemoryLeases(clock)

        async def expire() -> None:
            clock.advance(TTL + 1)

        return Backend(lambda owner: board.lease("job", owner, TTL), expire)


def test_leases_of_different_jobs_are_independent() -> None:
    board = InMemoryLeases(FakeClock(0.0))
    assert board.acquire("scan", "a", TTL) is not None
    assert board.acquire("digest", "b", TTL) is not None
    assert board.holder("scan") == "a|1"
    assert board.holder("digest") == "b|1"


async def test_the_tenure_check_refuses_once_its_own_clock_ran_out() -> None:
    clock = FakeClock(0.0)
    lease = InMemoryLeases(clock).lease("job", "a", TTL)
    grant = await lease.acquire()
    assert grant is not None
    tenure = Tenure(lease, grant, confirmed_at=0.0, clock=clock)
    clock.advance(TTL * Tenure.SAFETY - 0.1)
    await tenure.ensure()
    clock.advance(0.2)
    assert not tenure.holds_locally()
    with pytest.raises(LeaseLost, match="unconfirmed"):
        await tenure.ensure()


def test_a_lease_needs_a_positive_ttl() -> None:
    with pytest.raises(ValueError, match="TTL"):
        InMemoryLeases().lease("job", "a", 0)
