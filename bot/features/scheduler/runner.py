"""Runs each scheduled job on whichever replica holds the job's lease.

Every replica runs one :class:`JobRunner` per job. A runner polls the lease until it wins it,
then does two things side by side until the tenure ends:

* **keep**: renew the lease every ``ttl/3``. The tenure ends when a renewal says the lease is
  gone, or when no renewal succeeded for a whole TTL (Redis unreachable: fail closed);
* **work**: sleep until the next firing, check the fencing token, run the job, then record the
  firing as done (a fenced write, see :meth:`bot.features.scheduler.ports.Lease.mark`).

A new holder reads that record first: when the schedule fired since the last recorded run (the
previous holder died just before or during it), it runs that latest firing at once, then
continues on the schedule. With a lease TTL well under the interval (the default is a third of
it, at most 30 s), the job therefore moves to another replica within one interval of its
holder's death. On a clean stop the lease is released, so a standby takes over at once.

A job that fails is logged and the runner goes on with the next firing; a job still running
at :data:`RUN_BUDGET` of its interval is cancelled, so the next firing starts on time. Each
firing is a turn of its own (one correlation id on all its log lines); a run that finishes
without an error is reported to the telemetry port (the job's last success time).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.coordination import LeaseLost, Tenure, give_up, keep, take
from bot.core.correlation import correlated
from bot.core.errors import DependencyError
from bot.core.tasks import cancel_and_wait
from bot.features.scheduler.ports import Job, JobTelemetry, Lease, Uncounted
from bot.features.scheduler.schedule import Schedule

log = logging.getLogger(__name__)

#: Share of the schedule's period a run may take before it is cancelled.
RUN_BUDGET = 0.9
#: Longest single sleep while waiting for a firing (the wall clock is re-read after each).
MAX_SLEEP = 60.0
#: How often a stopping runner re-sends a cancellation that may have been lost (seconds).
STOP_RECANCEL, CHILD_RECANCEL = 0.5, 0.1
#: Default lease TTL: a third of the schedule's period, within these bounds (seconds).
MIN_DEFAULT_TTL, MAX_DEFAULT_TTL = 0.5, 30.0


def default_lease_ttl(schedule: Schedule) -> float:
    """A TTL short enough that a standby takes over within one interval."""
    return min(MAX_DEFAULT_TTL, max(MIN_DEFAULT_TTL, schedule.period / 3))


class JobRunner:
    """Holds one job's lease on this replica and runs the job at its firings.

    ``clock`` is the wall clock firings are computed from; ``monotonic`` times the lease
    (see :class:`Tenure`); ``run_timeout`` defaults to :data:`RUN_BUDGET` of the period.
    """

    def __init__(
        self,
        job: Job,
        schedule: Schedule,
        lease: Lease,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        run_timeout: float | None = None,
        telemetry: JobTelemetry | None = None,
    ) -> None:
        self.job = job
        self.schedule = schedule
        self._lease = lease
        self._clock = clock
        self._monotonic = monotonic
        self._every = lease.ttl_seconds / 3
        self._run_timeout = run_timeout or schedule.period * RUN_BUDGET
        self._telemetry = telemetry or Uncounted()
        self._task: asyncio.Task[None] | None = None
        self._tenure: Tenure | None = None
        self._stopping = False
        #: Firings this replica ran (for operators and tests).
        self.runs = 0
        self.tenures = 0

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def lease(self) -> Lease:
        return self._lease

    @property
    def holding(self) -> bool:
        """Whether this replica holds the job's lease right now (by its own clock)."""
        return self._tenure is not None and self._tenure.holds_locally()

    @property
    def fencing_token(self) -> int | None:
        return self._tenure.grant.fencing_token if self._tenure else None

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name=f"scheduler-{self.name}")

    async def stop(self) -> None:
        """Stop and release the lease (idempotent)."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task, every=STOP_RECANCEL)

    async def _loop(self) -> None:
        while not self._stop_requested():
            tenure = await self._try_acquire()
            if tenure is None:
                await asyncio.sleep(self._every)
                continue
            if self._stop_requested():  # a cancellation was lost; stop() is waiting
                await self._release(tenure)
                return
            self._tenure = tenure
            self.tenures += 1
            log.info("holding job %s (fencing token %d)", self.name, tenure.grant.fencing_token)
            try:
                await self._hold(tenure)
            finally:
                tenure.drop()
                self._tenure = None
                await self._release(tenure)

    def _stop_requested(self) -> bool:
        return self._stopping

    async def _try_acquire(self) -> Tenure | None:
        return await take(self._lease, what=f"job {self.name}", clock=self._monotonic)

    async def _hold(self, tenure: Tenure) -> None:
        keeper = asyncio.create_task(self._keep(tenure), name=f"scheduler-{self.name}-lease")
        worker = asyncio.create_task(self._work(tenure), name=f"scheduler-{self.name}-work")
        try:
            await asyncio.wait({keeper, worker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Dropped first: should a cancellation below be lost, the fencing check still
            # stops the job from acting, and the keeper's next check ends it.
            tenure.drop()
            await cancel_and_wait(keeper, worker, every=CHILD_RECANCEL)
        for task in (keeper, worker):
            if not task.cancelled() and task.exception() is not None:
                log.error("job %s: tenure ended by %r", self.name, task.exception())

    async def _keep(self, tenure: Tenure) -> None:
        await keep(tenure, every=self._every, what=f"job {self.name}")

    async def _work(self, tenure: Tenure) -> None:
        due = await self._first_due()
        while True:
            await self._sleep_until(due)
            try:
                await self._fire(TenureRun(self.name, due, tenure))
            except LeaseLost as exc:
                log.warning("job %s stops on this replica: %s", self.name, exc)
                return
            due = self.schedule.next_after(max(due, self._clock()))

    async def _sleep_until(self, due: float) -> None:
        """Sleep in bounded steps, so a wall clock stepped by NTP never fires a job early."""
        while (left := due - self._clock()) > 0:  # noqa: ASYNC110 - waiting on a clock
            await asyncio.sleep(min(left, MAX_SLEEP))

    async def _first_due(self) -> float:
        """The latest firing the previous holder did not record as run, or the next one."""
        now = self._clock()
        try:
            last = await self._lease.last_mark()
        except DependencyError:
            last = None
        latest = self.schedule.latest_until(now)
        if last is not None and latest > last:
            log.info("job %s: catching up the firing due at %.0f", self.name, latest)
            return latest
        return self.schedule.next_after(now)

    async def _fire(self, run: TenureRun) -> None:
        """Run one firing, as a turn of its own, and record it; only :class:`LeaseLost`
        escapes."""
        await run.ensure_held()
        self.runs += 1
        with correlated(fresh=True):
            if await self._run(run):
                self._telemetry.job_succeeded(self.name, self._clock())
            await self._mark(run)

    async def _run(self, run: TenureRun) -> bool:
        """Whether the job ran to its end without an error."""
        try:
            async with asyncio.timeout(self._run_timeout):
                await self.job.run(run)
        except LeaseLost:
            raise
        except DependencyError as exc:
            log.warning("job %s could not run (firing due at %.0f): %s", self.name, run.due, exc)
        except TimeoutError:
            log.error(  # noqa: TRY400 - a timeout has no useful traceback
                "job %s ran out of its interval and was cancelled", self.name
            )
        except Exception:
            log.exception("job %s failed (firing due at %.0f)", self.name, run.due)
        else:
            return True
        return False

    async def _mark(self, run: TenureRun) -> None:
        """Record the firing as run (a fenced write); :class:`LeaseLost` if it passed on."""
        try:
            marked = await run.tenure.lease.mark(run.tenure.grant, run.due)
        except DependencyError as exc:
            log.warning("job %s: cannot record the firing as run: %s", self.name, exc)
            return
        if not marked:
            raise LeaseLost(f"lease {run.tenure.grant.name} passed on during the run")

    async def _release(self, tenure: Tenure) -> None:
        await give_up(tenure, what=f"job {self.name}")


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


class Scheduler:
    """Every scheduled job of this replica; starts and stops them together."""

    def __init__(self, runners: Sequence[JobRunner]) -> None:
        self.runners = tuple(runners)

    @property
    def jobs(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.runners)

    def start(self) -> None:
        for runner in self.runners:
            log.info("scheduling %s %s", runner.name, runner.schedule.describe())
            runner.start()

    async def stop(self) -> None:
        """Stop every job and release its lease (idempotent)."""
        await asyncio.gather(*(r.stop() for r in self.runners))
