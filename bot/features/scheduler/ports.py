"""The scheduler's ports: a lease per job (:class:`bot.core.coordination.Lease`, with a
fencing token) and the jobs themselves.

Implementations of the lease live in :mod:`storage.lease` (Redis across replicas, in memory
for one process); the jobs are in this package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.core.coordination import Grant, Lease

__all__ = [
    "EpisodeStore",
    "Grant",
    "Job",
    "JobTelemetry",
    "Lease",
    "LeaseFactory",
    "Run",
    "Uncounted",
]


#: Builds the lease of one job: ``(job name, ttl seconds) -> Lease``.
LeaseFactory = Callable[[str, float], Lease]


class Run(Protocol):
    """One firing of a job, as the job sees it.

    ``due`` is the scheduled firing time (unix s), identical on every replica. A job calls
    ``ensure_held`` before every side effect (a claim, a post): it raises
    :class:`bot.core.coordination.LeaseLost` once this replica may no longer act for the
    job,
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


class JobTelemetry(Protocol):
    """Where the runner reports a run that finished without an error, at Unix time ``at``
    (so a dashboard shows a job that stopped succeeding). Implementation:
    :class:`bot.core.telemetry.Telemetry`."""

    def job_succeeded(self, job: str, at: float) -> None: ...


class Uncounted:
    """A :class:`JobTelemetry` that records nothing (test rigs built by hand)."""

    def job_succeeded(self, job: str, at: float) -> None:
        """Nothing to record."""


class EpisodeStore(Protocol):
    """Which ongoing episodes have been announced, shared by every replica (Redis; in memory
    for one process).

    An episode is something that holds for a while and is announced once while it does ("db-
    primary's disk fills within a day"), then announced again only after it has ended. So,
    unlike a dedupe claim, it ends when the job says so, and it remembers the Publisher key
    of its post so that whoever ends it can update that post. Both calls raise
    :class:`bot.core.errors.DependencyError` when the backend is down (callers fail closed).
    """

    async def open(self, key: str, post: str, ttl_seconds: int) -> bool:
        """True for the one caller that opened episode ``key`` (announced under Publisher key
        ``post``); False while it is already open, which also keeps it open for another
        ``ttl_seconds``."""
        ...

    async def close(self, key: str) -> str | None:
        """End episode ``key``: the Publisher key it was opened with, for the one caller that
        ended it; None when it was not open."""
        ...
