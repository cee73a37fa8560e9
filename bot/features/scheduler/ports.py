"""The scheduler's ports: a lease per job (:class:`bot.core.coordination.Lease`, with a
fencing token) and the jobs themselves.

Implementations of the lease live in :mod:`storage.lease` (Redis across replicas, in memory
for one process); the jobs are in this package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.core.coordination import Grant, Lease

__all__ = ["Grant", "Job", "JobTelemetry", "Lease", "LeaseFactory", "Run", "Uncounted"]


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
