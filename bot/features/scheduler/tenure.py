"""A replica's hold on a job's lease, and the fencing check jobs run before acting.

Two checks stand between a replica and a side effect, and both must pass:

* **the clock**: the last confirmed renewal is younger than the TTL (less a safety margin for
  latency and clock steps). A replica whose renewals stalled (Redis unreachable, a long GC
  pause) stops acting on its own, before anyone else could have taken over;
* **the fencing token**: the lease still holds this grant's ``owner|token`` value. A replica
  that was replaced (its lease lapsed and another replica won a larger token) is refused even
  if its own clock has not caught up yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.errors import DependencyError, SmartCloudOpsError
from bot.features.scheduler.ports import Grant, Lease


class LeaseLost(SmartCloudOpsError):
    """This replica no longer holds the job's lease: the job must stop acting."""


class Tenure:
    """One grant of a job's lease, held from acquisition until lost or released."""

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


@dataclass(frozen=True, slots=True)
class TenureRun:
    """One firing run under a tenure (implements :class:`bot.features.scheduler.ports.Run`)."""

    job: str
    due: float
    tenure: Tenure

    @property
    def fencing_token(self) -> int:
        return self.tenure.grant.fencing_token

    async def ensure_held(self) -> None:
        await self.tenure.ensure()
