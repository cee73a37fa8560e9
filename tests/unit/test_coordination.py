"""The one lease keeper the scheduler and the Discord gateway share: take, keep, give up."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core.coordination import Grant, Tenure, give_up, keep, take
from bot.core.errors import DependencyError


class Backend:
    """A lease whose answers a test scripts: held elsewhere, lost, or unreachable."""

    name = "job"

    def __init__(self, ttl: float = 0.2) -> None:
        self.ttl_seconds = ttl
        self.held_elsewhere = False
        self.down = False
        self.lost_after: int | None = None
        self.renewals = 0
        self.released: list[Grant] = []

    def _check(self) -> None:
        if self.down:
            raise DependencyError("redis", "Redis is unreachable")

    async def acquire(self) -> Grant | None:
        self._check()
        return None if self.held_elsewhere else Grant(self.name, "me", 7)

    async def renew(self, grant: Grant) -> bool:
        self._check()
        self.renewals += 1
        return self.lost_after is None or self.renewals <= self.lost_after

    async def release(self, grant: Grant) -> None:
        self._check()
        self.released.append(grant)

    async def is_current(self, grant: Grant) -> bool:
        return True

    async def mark(self, grant: Grant, value: float) -> bool:
        return True

    async def last_mark(self) -> float | None:
        return None


async def test_take_is_none_when_held_elsewhere_or_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = Backend()
    tenure = await take(backend, what="job x")
    assert tenure is not None
    assert tenure.grant.fencing_token == 7
    assert tenure.holds_locally()
    backend.held_elsewhere = True
    assert await take(backend, what="job x") is None
    backend.down = True
    with caplog.at_level(logging.WARNING):
        assert await take(backend, what="job x") is None
    assert "cannot take the lease of job x" in caplog.text


async def test_keep_renews_until_another_replica_has_the_lease(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = Backend()
    backend.lost_after = 3
    tenure = await take(backend, what="job x")
    assert tenure is not None
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(keep(tenure, every=0.01, what="job x"), 5)
    assert backend.renewals == 4
    assert "lost the lease of job x" in caplog.text


async def test_keep_fails_closed_when_no_renewal_succeeds_for_a_whole_ttl(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis down: renewals err, the tenure stays good by the clock for 90 % of the TTL, then
    the keeper gives up and the tenure no longer holds."""
    backend = Backend(ttl=0.1)
    tenure = await take(backend, what="job x")
    assert tenure is not None
    backend.down = True
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(keep(tenure, every=0.01, what="job x"), 5)
    assert not tenure.holds_locally()
    assert "unconfirmed for a whole TTL" in caplog.text


async def test_keep_returns_once_the_tenure_is_dropped() -> None:
    backend = Backend(ttl=60)
    tenure = await take(backend, what="job x")
    assert tenure is not None
    tenure.drop()
    await asyncio.wait_for(keep(tenure, every=0.01, what="job x"), 5)
    assert backend.renewals == 0


async def test_give_up_drops_and_releases_even_when_the_backend_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = Backend()
    tenure = await take(backend, what="job x")
    assert isinstance(tenure, Tenure)
    await give_up(tenure, what="job x")
    assert backend.released == [tenure.grant]
    assert tenure.dropped
    second = await take(backend, what="job x")
    assert second is not None
    backend.down = True
    with caplog.at_level(logging.WARNING):
        await give_up(second, what="job x")
    assert second.dropped
    assert "lapses by itself" in caplog.text
