"""The bound on calls in flight to one backend: at most ``size`` at once, first come first
served, and "busy" (never a hang, never a leaked slot) when no slot comes free in time."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.bound import ConcurrencyLimit
from bot.core.errors import BUSY_MESSAGE, DependencyError, Overloaded


class Holder:
    """A task holding one slot of ``limit`` until :meth:`leave`."""

    def __init__(self, limit: ConcurrencyLimit) -> None:
        self.limit = limit
        self.inside = asyncio.Event()
        self._leave = asyncio.Event()
        self.task = asyncio.create_task(self._hold())

    async def _hold(self) -> None:
        async with self.limit.slot():
            self.inside.set()
            await self._leave.wait()

    async def leave(self) -> None:
        self._leave.set()
        await self.task


async def test_at_most_size_callers_hold_a_slot_and_the_next_one_waits_its_turn() -> None:
    """Two slots: two holders get in, a third waits, and gets in as soon as one leaves."""
    limit = ConcurrencyLimit("prometheus", 2, wait=60)
    first, second = Holder(limit), Holder(limit)
    await first.inside.wait()
    await second.inside.wait()
    third = Holder(limit)
    assert (limit.in_use, limit.waiting) == (2, 0)
    await asyncio.sleep(0)  # the third starts waiting
    assert (limit.in_use, limit.waiting) == (2, 1)
    assert not third.inside.is_set()

    await first.leave()
    await third.inside.wait()
    assert (limit.in_use, limit.waiting) == (2, 0)
    await second.leave()
    await third.leave()
    assert limit.in_use == 0


async def test_no_free_slot_within_the_wait_is_overloaded_not_a_backend_failure() -> None:
    """Every slot taken and no wait allowed: Overloaded, with the busy message and the
    dependency named; it is a DependencyError, so callers that degrade without the backend
    degrade the same way."""
    limit = ConcurrencyLimit("prometheus", 1, wait=0)
    holder = Holder(limit)
    await holder.inside.wait()
    with pytest.raises(Overloaded) as caught:
        async with limit.slot():
            pytest.fail("entered a slot that was taken")
    assert caught.value.message == BUSY_MESSAGE
    assert caught.value.dependency == "prometheus"
    assert isinstance(caught.value, DependencyError)
    await holder.leave()


async def test_a_caller_turned_away_or_cancelled_leaks_no_slot() -> None:
    """After a busy answer and a cancelled waiter, a freed slot is free again at once."""
    limit = ConcurrencyLimit("prometheus", 1, wait=0)
    holder = Holder(limit)
    await holder.inside.wait()
    with pytest.raises(Overloaded):
        async with limit.slot():
            pass
    patient = ConcurrencyLimit("prometheus", 1, wait=60)
    patient_holder = Holder(patient)
    await patient_holder.inside.wait()
    waiter = Holder(patient)
    await asyncio.sleep(0)
    waiter.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter.task

    await holder.leave()
    await patient_holder.leave()
    for each in (limit, patient):
        assert (each.in_use, each.waiting) == (0, 0)
        async with each.slot():  # wait=0 for ``limit``: a free slot is taken without waiting
            assert each.in_use == 1


def test_a_limit_needs_a_slot_and_a_non_negative_wait() -> None:
    with pytest.raises(ValueError, match="size"):
        ConcurrencyLimit("prometheus", 0, wait=1)
    with pytest.raises(ValueError, match="wait"):
        ConcurrencyLimit("prometheus", 1, wait=-1)
