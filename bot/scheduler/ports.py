"""The scheduler's ports: a lease per job with a fencing token, and the jobs themselves.

Implementations of :class:`Lease` live in :mod:`storage.lease` (Redis across replicas, in
memory for one process); the jobs are in this package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


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
    lease next. Every method raises :class:`bot.errors.DependencyError` when the backend is
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


#: Builds the lease of one job: ``(job name, ttl seconds) -> Lease``.
LeaseFactory = Callable[[str, float], Lease]


class Run(Protocol):
    """One firing of a job, as the job sees it.

    ``due`` is the scheduled firing time (unix s), identical on every replica. A job calls
    ``ensure_held`` before every side effect (a claim, a post): it raises
    :class:`bot.scheduler.tenure.LeaseLost` once this replica may no longer act for the job,
    which is how a stale holder's late publish is refused.
    """

    @property
    def job(self) -> str: ...

    @property
    def due(self) -> float: ...

    @property
    def fencing_token(self) -> int: ...

    async def ensure_held(self) -> None: ...


class Job(Protocol):
    """A scheduled job. ``run`` may raise; the runner logs the failure and goes on with the
    next firing."""

    @property
    def name(self) -> str: ...

    async def run(self, run: Run) -> None: ...
