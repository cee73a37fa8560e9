"""Coordination between replicas: a lease with a fencing token, so exactly one replica does
a thing (runs a scheduled job, holds a Discord gateway shard) and a replica that stalled past
its tenure can tell, and be told, that it no longer may.

The one lease keeper both use lives here: :func:`take` a lease into a :class:`Tenure`,
:func:`keep` it renewed while the work runs, :func:`give_up` when done. Two checks stand between
a replica and a side effect, and both must pass:

* **the clock**: the last confirmed renewal is younger than the TTL (less a safety margin for
  latency and clock steps). A replica whose renewals stalled (Redis unreachable, a long GC
  pause) stops acting on its own, before anyone else could have taken over;
* **the fencing token**: the lease still holds this grant's ``owner|token`` value. A replica
  that was replaced (its lease lapsed and another replica won a larger token) is refused even
  if its own clock has not caught up yet (:meth:`Tenure.ensure`).

Lease implementations live in :mod:`storage.lease` (Redis across replicas, in memory for one
process).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.errors import DependencyError, SmartCloudOpsError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Grant:
    """One tenure of a lease. ``fencing_token`` grows with every grant of the same lease, so
    a later holder's token is always larger than any earlier holder's."""

    name: str
    owner: str
    fencing_token: int

    @property
    def value(self) -> str:
        """What the lease stores while this grant holds it."""
        return f"{self.owner}|{self.fencing_token}"


class Lease(Protocol):
    """Who may run one job right now, across every replica.

    ``acquire`` grants the lease to nobody else until it lapses ``ttl_seconds`` after the last
    successful ``renew`` or is released. ``is_current`` is the fencing check: True only while
    ``grant`` is still the lease's current holder (a holder that stalled past its TTL and was
    replaced gets False, even if it has not noticed yet). ``mark`` stores a progress value
    (the last firing that ran) *only if* ``grant`` still holds the lease, so a stale holder can
    never overwrite its successor's progress; ``last_mark`` reads it back for whoever holds the
    lease next. Every method raises :class:`bot.core.errors.DependencyError` when the backend is
    unreachable.
    """

    name: str
    ttl_seconds: float

    async def acquire(self) -> Grant | None:
        """A new grant if nobody holds the lease, else None."""
        ...

    async def renew(self, grant: Grant) -> bool:
        """Extend ``grant`` by the TTL; False when it no longer holds the lease."""
        ...

    async def release(self, grant: Grant) -> None:
        """Give the lease up now, if ``grant`` still holds it."""
        ...

    async def is_current(self, grant: Grant) -> bool: ...

    async def mark(self, grant: Grant, value: float) -> bool:
        """Store ``value`` as the lease's progress; False (nothing stored) for a stale grant."""
        ...

    async def last_mark(self) -> float | None: ...


class LeaseLost(SmartCloudOpsError):
    """This replica no longer holds the lease: whatever it guards must stop acting."""


class Tenure:
    """One grant of a lease, held from acquisition until lost or released."""

    #: Fraction of the TTL a confirmation stays good for locally.
    SAFETY = 0.9

    def __init__(
        self,
        lease: Lease,
        grant: Grant,
        confirmed_at: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lease = lease
        self.grant = grant
        self._clock = clock
        self._until = float("-inf")
        self._dropped = False
        self.confirm(confirmed_at)

    def now(self) -> float:
        return self._clock()

    def confirm(self, at: float) -> None:
        """The lease was confirmed by a request sent at ``at`` (clock time)."""
        self._until = at + self.lease.ttl_seconds * self.SAFETY

    def drop(self) -> None:
        """This tenure is over (lost or released); every later check fails."""
        self._dropped = True

    @property
    def dropped(self) -> bool:
        return self._dropped

    def remaining(self) -> float:
        """Seconds this tenure stays good by the clock alone (0 once it ran out)."""
        return 0.0 if self._dropped else max(0.0, self._until - self._clock())

    def holds_locally(self) -> bool:
        """The clock check alone (no round trip)."""
        return not self._dropped and self._clock() < self._until

    async def ensure(self) -> None:
        """Raise :class:`LeaseLost` unless both the clock and the fencing token say this
        replica still holds the lease. A backend that cannot answer fails closed."""
        if not self.holds_locally():
            raise LeaseLost(f"lease {self.grant.name} unconfirmed for a whole TTL")
        try:
            current = await self.lease.is_current(self.grant)
        except DependencyError as exc:
            raise LeaseLost(f"cannot confirm lease {self.grant.name}: {exc}") from exc
        if not current:
            self.drop()
            raise LeaseLost(
                f"lease {self.grant.name} passed to a newer holder "
                f"(fencing token {self.grant.fencing_token} is stale)"
            )


async def take(
    lease: Lease, *, what: str, clock: Callable[[], float] = time.monotonic
) -> Tenure | None:
    """A tenure of ``lease`` if nobody holds it; None when it is held elsewhere or the backend
    cannot answer (logged, naming ``what`` the lease guards)."""
    started = clock()
    try:
        grant = await lease.acquire()
    except DependencyError as exc:
        log.warning("cannot take the lease of %s: %s", what, exc)
        return None
    return None if grant is None else Tenure(lease, grant, started, clock)


async def keep(tenure: Tenure, *, every: float, what: str) -> None:
    """Renew ``tenure`` every ``every`` seconds; return when it was dropped, when a renewal says
    another replica holds the lease, or when no renewal succeeded for a whole TTL (the backend
    unreachable: fail closed). A renewal that errs or outlasts its turn is retried while the
    clock still vouches for the tenure."""
    while True:
        await asyncio.sleep(min(every, tenure.remaining()))
        if tenure.dropped:
            return
        if not tenure.holds_locally():
            log.error("lease of %s unconfirmed for a whole TTL; giving it up", what)
            return
        started = tenure.now()
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a cancellation.
            async with asyncio.timeout(min(every, tenure.remaining())):
                renewed = await tenure.lease.renew(tenure.grant)
        except (DependencyError, TimeoutError) as exc:
            log.warning("cannot renew the lease of %s: %r", what, exc)
            continue
        if not renewed:
            log.warning("lost the lease of %s to another replica", what)
            return
        tenure.confirm(started)  # a tenure dropped meanwhile stays dropped


async def give_up(tenure: Tenure, *, what: str) -> None:
    """Drop ``tenure`` and release its lease now, so a standby takes over at once; a backend
    that cannot answer is logged (the lease lapses by itself after its TTL)."""
    tenure.drop()
    try:
        await tenure.lease.release(tenure.grant)
    except DependencyError as exc:
        log.warning("cannot release the lease of %s (it lapses by itself): %s", what, exc)
