"""Building the scheduler from the ``schedules:`` config.

The composition root calls :func:`build_scheduler` with the services it already has and a
lease factory (:func:`storage.lease.redis_leases` with ``REDIS_URL``, else
:func:`storage.lease.memory_leases`), then mounts it on the server
(:func:`bot.app.wiring.scheduler.scheduler_plugin`) so the jobs start with
``smartcloudops serve`` and stop (releasing their leases) when it stops. ``chat`` never
mounts it, so a console session never posts to channels.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.ports import DedupeStore, Publisher
from bot.features.anomaly.ports import AnomalyDetector
from bot.features.forecast.ports import Forecaster
from bot.features.metrics.ports import AlertSource, MetricsSource
from bot.features.metrics.targets import TargetDirectory
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.anomaly_scan import AnomalyScan
from bot.features.scheduler.config import JobConfig, SchedulesConfig
from bot.features.scheduler.digest import (
    ActionHistory,
    AlertHistory,
    DailyDigest,
    DigestSources,
    SilenceHistory,
)
from bot.features.scheduler.ports import EpisodeStore, Job, JobTelemetry, LeaseFactory
from bot.features.scheduler.runner import JobRunner, Scheduler, default_lease_ttl


def build_scheduler(
    config: SchedulesConfig,
    *,
    leases: LeaseFactory,
    publisher: Publisher,
    dedupe: DedupeStore,
    metrics: MetricsSource,
    directory: TargetDirectory,
    firing_now: AlertSource,
    anomaly: AnomalyDetector,
    forecaster: Forecaster | None = None,
    episodes: EpisodeStore | None = None,
    actions: ActionHistory | None = None,
    alert_history: AlertHistory | None = None,
    silences: SilenceHistory | None = None,
    clock: Callable[[], float] = time.time,
    telemetry: JobTelemetry | None = None,
) -> Scheduler:
    """One runner per enabled job; nothing runs until :meth:`Scheduler.start`.

    ``config`` is the ``schedules:`` section, parsed once at load
    (:func:`~bot.features.scheduler.config.load_schedules`). The digest's optional sources are
    described in :mod:`bot.features.scheduler.digest`. With a ``forecaster`` and an
    ``episodes`` store the anomaly scan also posts near-term forecast crossings (once per
    episode; see :mod:`bot.features.scheduler.forecast_watch`). ``clock`` is the wall clock
    jobs read "now" from (tests pin it to the demo source's fixed now); ``telemetry`` hears of
    each run that succeeded.
    """
    announcer = Announcer(publisher, dedupe, episodes=episodes)
    jobs: list[tuple[Job, JobConfig]] = []
    scan, digest = config.anomaly_scan, config.daily_digest
    if scan is not None and scan.enabled:
        scanner = AnomalyScan(
            scan,
            metrics=metrics,
            directory=directory,
            detector=anomaly,
            announcer=announcer,
            forecaster=forecaster,
            clock=clock,
        )
        jobs.append((scanner, scan))
    if digest is not None and digest.enabled:
        sources = DigestSources(metrics.description, firing_now, alert_history, silences, actions)
        jobs.append((DailyDigest(digest, sources, announcer), digest))
    runners = []
    for job, job_config in jobs:
        schedule = job_config.schedule
        ttl = job_config.lease_ttl or default_lease_ttl(schedule)
        runners.append(JobRunner(job, schedule, leases(job.name, ttl), telemetry=telemetry))
    return Scheduler(runners)
