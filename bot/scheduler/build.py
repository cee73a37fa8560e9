"""Building the scheduler from the ``schedules:`` config, and hooking it onto the server.

The composition root calls :func:`build_scheduler` with the services it already has and a
lease factory (:func:`storage.lease.redis_leases` with ``REDIS_URL``, else
:func:`storage.lease.memory_leases`), then mounts :func:`scheduler_plugin` so the jobs start
with ``smartcloudops serve`` and stop (releasing their leases) when it stops. ``chat`` never
mounts it, so a console session never posts to channels.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.ports import AlertSource, AnomalyDetector, DedupeStore, MetricsSource, Publisher
from bot.scheduler.announce import Announcer
from bot.scheduler.anomaly_scan import AnomalyScan
from bot.scheduler.config import JobConfig, SchedulesConfig, load_schedules
from bot.scheduler.digest import (
    ActionHistory,
    AlertHistory,
    DailyDigest,
    DigestSources,
    SilenceHistory,
)
from bot.scheduler.ports import Job, LeaseFactory
from bot.scheduler.runner import JobRunner, Scheduler, default_lease_ttl
from bot.targets import TargetDirectory

SCHEDULER_KEY = web.AppKey("scheduler", Scheduler)


def build_scheduler(
    schedules: SchedulesConfig | Mapping[str, Any],
    *,
    leases: LeaseFactory,
    publisher: Publisher,
    dedupe: DedupeStore,
    metrics: MetricsSource,
    directory: TargetDirectory,
    firing_now: AlertSource,
    anomaly: AnomalyDetector,
    actions: ActionHistory | None = None,
    alert_history: AlertHistory | None = None,
    silences: SilenceHistory | None = None,
    clock: Callable[[], float] = time.time,
) -> Scheduler:
    """One runner per enabled job; nothing runs until :meth:`Scheduler.start`.

    ``schedules`` is the validated config or the raw ``schedules:`` mapping (validated here;
    :class:`~bot.errors.ConfigError` names the bad key). The digest's optional sources are
    described in :mod:`bot.scheduler.digest`. ``clock`` is the wall clock jobs read "now"
    from (tests pin it to the demo source's fixed now).
    """
    config = schedules if isinstance(schedules, SchedulesConfig) else load_schedules(schedules)
    announcer = Announcer(publisher, dedupe)
    jobs: list[tuple[Job, JobConfig]] = []
    scan, digest = config.anomaly_scan, config.daily_digest
    if scan is not None and scan.enabled:
        scanner = AnomalyScan(
            scan,
            metrics=metrics,
            directory=directory,
            detector=anomaly,
            announcer=announcer,
            clock=clock,
        )
        jobs.append((scanner, scan))
    if digest is not None and digest.enabled:
        sources = DigestSources(
            metrics.description, firing_now, alert_history, silences, actions
        )
        jobs.append((DailyDigest(digest, sources, announcer), digest))
    runners = []
    for job, job_config in jobs:
        schedule = job_config.schedule
        ttl = job_config.lease_ttl or default_lease_ttl(schedule)
        runners.append(JobRunner(job, schedule, leases(job.name, ttl)))
    return Scheduler(runners)


def scheduler_plugin(scheduler: Scheduler) -> Callable[[web.Application], None]:
    """A :data:`bot.server.WebPlugin` that runs ``scheduler`` for the server's lifetime."""

    async def run_jobs(_: web.Application) -> AsyncIterator[None]:
        scheduler.start()
        yield
        await scheduler.stop()

    def mount(app: web.Application) -> None:
        app[SCHEDULER_KEY] = scheduler
        app.cleanup_ctx.append(run_jobs)

    return mount
