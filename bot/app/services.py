"""The composition root: the one place that builds clients from :class:`Settings`, wires the
ports to the core, and closes everything on the way out.

Outer packages (``storage``, ``adapters``, ``ml``) are imported inside the builder functions,
so importing the core never pulls in Redis, SQLAlchemy, scikit-learn or a platform SDK.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.app.config import Settings
from bot.app.parsing import build_parser
from bot.app.plugins import DependencyCheck, WebPlugin
from bot.app.registry import build_registry
from bot.core.admission import Admission
from bot.core.dispatcher import Dispatcher
from bot.core.ports import ChannelPoster, ContextStore, DedupeStore, IntentParserPort, Publisher
from bot.core.sharing import PrivateAnswers
from bot.core.telemetry import Telemetry
from bot.features.access.ports import RateLimiter
from bot.features.alerts.alerting import Alerting
from bot.features.anomaly.ports import AnomalyDetector
from bot.features.forecast.ports import Forecaster
from bot.features.metrics.ports import AlertSource, MetricsSource
from bot.features.metrics.targets import TargetDirectory

if TYPE_CHECKING:  # the core never imports redis at run time
    from aiohttp import web
    from redis.asyncio import Redis

    from adapters.teams.factory import TeamsOptions
    from bot.core.later import Later
    from bot.features.access.tenants import TenantGate
    from bot.features.remediation.service import RemediationService


@dataclass
class Services:
    """Everything built from the settings, for the CLI, the server and the tests."""

    settings: Settings
    telemetry: Telemetry
    parser: IntentParserPort
    context: ContextStore
    metrics: MetricsSource
    alerts: AlertSource
    directory: TargetDirectory
    anomaly: AnomalyDetector
    dedupe: DedupeStore
    dispatcher: Dispatcher
    checks: list[DependencyCheck] = field(default_factory=list)
    web_plugins: list[WebPlugin] = field(default_factory=list)
    #: The one Redis client (REDIS_URL set): context, dedupe, leases and adapters share it.
    redis: Redis | None = None
    #: Proactive posting, one per enabled platform (adapters append theirs in ``plugin``).
    posters: dict[str, ChannelPoster] = field(default_factory=dict)
    #: Guarded remediation (policy, audit store, executors), built at start-up when there is
    #: a policy or a database to check, else at its first use; None only in hand-built rigs.
    remediation: Later[RemediationService] | None = None
    #: Posts notifications (alerts, findings, digests) to subscribed channels, once per channel
    #: across replicas, and edits them in place; None only in hand-built test rigs.
    publisher: Publisher | None = None
    #: Where metrics are heading (the forecast intent, "anything odd?" and the scheduled scan).
    forecaster: Forecaster | None = None


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    telemetry: Telemetry | None = None,
    teams_options: TeamsOptions | None = None,
) -> AsyncIterator[Services]:
    """Build every service from ``settings``; close them all when the block exits.
    ``teams_options`` tunes the Teams adapter (tests give it a click deadline that never
    passes, so an end-to-end click is answered with its result however loaded the machine)."""
    async with contextlib.AsyncExitStack() as stack:
        telemetry = telemetry or Telemetry()
        checks: list[DependencyCheck] = []
        redis = _redis_client(settings, stack)
        context = _context_store(settings, redis, checks)
        dedupe = _dedupe_store(redis)
        source = await _metrics_source(settings, stack, checks)
        directory = TargetDirectory(source)
        anomaly = _anomaly_detector(settings)
        remediation = await _remediation(settings, stack, checks, telemetry)
        posters: dict[str, ChannelPoster] = {}
        alerting = await _alerting(settings, stack, posters, checks, telemetry)
        alerts = alerting.alerts_source(source)
        parser = build_parser(settings)
        forecaster = _forecaster()
        registry = build_registry(
            settings=settings,
            metrics=source,
            alerts=alerts,
            directory=directory,
            anomaly=anomaly,
            forecaster=forecaster,
            remediation=remediation,
            alerting=alerting,
            limiter=_rate_limiter(redis),
        )
        dispatcher = Dispatcher(
            parser,
            context,
            registry,
            telemetry,
            history_limit=settings.file.history_limit,
            gate=_tenant_gate(settings),
            private_answers=_private_answers(redis),
            admission=_admission(settings),
        )
        services = Services(
            settings=settings,
            telemetry=telemetry,
            parser=parser,
            context=context,
            metrics=source,
            alerts=alerts,
            directory=directory,
            anomaly=anomaly,
            dedupe=dedupe,
            redis=redis,
            dispatcher=dispatcher,
            remediation=remediation,
            checks=checks,
            posters=posters,
            publisher=alerting.publisher,
            forecaster=forecaster,
        )
        services.web_plugins.append(_alertmanager_webhook(settings, alerting, telemetry))
        services.web_plugins.extend(await _platform_plugins(services, stack, teams_options))
        services.web_plugins.extend(await _scheduler_plugins(services, stack, alerting))
        if checks:
            services.web_plugins.append(_dependency_monitor(settings, telemetry, checks))
        yield services


def _admission(settings: Settings) -> Admission:
    file = settings.file
    return Admission.bounded(
        max_turns=file.max_turns_in_flight,
        turn_wait=file.turn_queue_seconds,
        max_heavy=file.max_heavy_in_flight,
        heavy_wait=file.heavy_queue_seconds,
    )


async def _remediation(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    checks: list[DependencyCheck],
    telemetry: Telemetry,
) -> Later[RemediationService]:
    """The remediation service. With a policy or a database it is built now, so a bad
    database or executor fails start-up; without either (the console on the embedded
    defaults) nothing can fail, and it is built when first needed: the policy models
    (pydantic) cost ~100 ms that ``help`` or a metric never uses."""
    from bot.core.later import Later

    async def build() -> RemediationService:
        return await _remediation_service(settings, stack, checks, telemetry)

    later = Later(build)
    if settings.file.policy or settings.database_url:
        await later.get()
    return later


def _tenant_gate(settings: Settings) -> TenantGate | None:
    """Refuses messages from tenants ``policy.tenants`` does not list; without a policy
    every tenant is served, so there is nothing to check (and no policy to load)."""
    if not settings.file.policy:
        return None
    from bot.features.access.tenants import TenantGate

    return TenantGate(settings.policy.tenants)


async def _remediation_service(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    checks: list[DependencyCheck],
    telemetry: Telemetry,
) -> RemediationService:
    """Policy, audit store (migrated on the way up) and executors for guarded remediation.
    With no actions in the policy and no DATABASE_URL, the store is a throw-away file."""
    from adapters.executors import open_executors
    from bot.features.remediation.service import RemediationService
    from storage.sql import open_remediation_store

    policy = settings.policy
    store = await stack.enter_async_context(
        open_remediation_store(
            settings.database_url, settings.file.database, persistent=bool(policy.actions)
        )
    )
    if settings.database_url:
        checks.append(DependencyCheck("database", store.ping, serving=bool(policy.actions)))
    executors = await stack.enter_async_context(open_executors(policy))
    return RemediationService(policy, store, executors, telemetry=telemetry)


async def _alerting(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    posters: dict[str, ChannelPoster],
    checks: list[DependencyCheck],
    telemetry: Telemetry,
) -> Alerting:
    """Alert posts: subscriptions, posts and groups in the database, the Alertmanager API
    (when ALERTMANAGER_URL is set), the publisher over ``posters`` (filled in later by the
    platform plugins) and the ``POST /alertmanager`` route."""
    from bot.app.wiring.alerts import open_alerting

    return await open_alerting(settings, stack, posters=posters, checks=checks, telemetry=telemetry)


def _dependency_monitor(
    settings: Settings, telemetry: Telemetry, checks: list[DependencyCheck]
) -> WebPlugin:
    """Checks every dependency in the background while the server runs, so
    ``smartcloudops_dependency_up`` stays current whatever probes ``/readyz``."""
    from bot.app.monitor import DependencyMonitor, monitor_plugin

    interval = settings.file.dependency_check_interval_seconds
    return monitor_plugin(DependencyMonitor(telemetry, checks, interval=interval))


def _alertmanager_webhook(
    settings: Settings, alerting: Alerting, telemetry: Telemetry
) -> WebPlugin:
    """``POST /alertmanager``, feeding Alertmanager's notifications to the notifier. The route
    module (aiohttp's web server) is imported when a server mounts it, not by ``chat``."""

    def mount(app: web.Application) -> None:
        from adapters.alertmanager.webhook import webhook_plugin

        webhook_plugin(alerting.notifier, settings.webhook_token, telemetry)(app)

    return mount


def _redis_client(settings: Settings, stack: contextlib.AsyncExitStack) -> Redis | None:
    """One lazily-connecting client for every Redis user, closed on the way out."""
    if settings.redis_url is None:
        return None
    from storage.redis_client import connect

    client = connect(settings.redis_url)
    stack.push_async_callback(client.aclose)
    return client


def _context_store(
    settings: Settings, redis: Redis | None, checks: list[DependencyCheck]
) -> ContextStore:
    ttl, limit = settings.file.context_ttl_seconds, settings.file.history_limit
    if redis is None:
        from storage.memory import InMemoryContextStore

        return InMemoryContextStore(ttl_seconds=ttl, max_turns=limit)
    from storage.redis_context import RedisContextStore

    store = RedisContextStore(redis, ttl_seconds=ttl, max_turns=limit)
    checks.append(DependencyCheck("redis", store.ping))
    return store


class _MetricsWithAlerts(MetricsSource, AlertSource, Protocol):
    """A metrics source that also knows what is firing (Prometheus' rules, the demo's)."""


async def _metrics_source(
    settings: Settings, stack: contextlib.AsyncExitStack, checks: list[DependencyCheck]
) -> _MetricsWithAlerts:
    if settings.prometheus_url is None:
        from adapters.metrics.demo import DemoMetricsSource

        return DemoMetricsSource(seed=settings.file.demo_seed)
    from adapters.metrics.prometheus import PrometheusMetricsSource

    source = PrometheusMetricsSource(
        settings.prometheus_url,
        timeout=settings.file.prometheus_timeout_seconds,
        max_concurrency=settings.file.prometheus_max_concurrency,
        queue_seconds=settings.file.prometheus_queue_seconds,
        catalog_overrides=settings.file.catalog,
        target_labels=settings.file.target_labels,
    )
    stack.push_async_callback(source.aclose)
    checks.append(DependencyCheck("prometheus", source.ping))
    return source


def _forecaster() -> Forecaster:
    """The forecaster, imported at its first question (start-up time)."""
    from bot.app.deferred import DeferredForecaster

    return DeferredForecaster()


def _anomaly_detector(settings: Settings) -> AnomalyDetector:
    """The anomaly detector, imported at its first question (start-up time)."""
    from bot.app.deferred import DeferredAnomalyDetector

    return DeferredAnomalyDetector()


def _rate_limiter(redis: Redis | None) -> RateLimiter:
    """Per-person limits on expensive queries, shared by every replica through Redis."""
    if redis is None:
        from storage.ratelimit import InMemoryRateLimiter

        return InMemoryRateLimiter()
    from storage.ratelimit import RedisRateLimiter

    return RedisRateLimiter(redis)


def _private_answers(redis: Redis | None) -> PrivateAnswers:
    """Private answers kept for ``share``: in Redis when there is one, so a Share click that
    reaches another replica still finds the answer."""
    if redis is None:
        return PrivateAnswers()
    from storage.redis_answers import RedisAnswerStore

    return PrivateAnswers(store=RedisAnswerStore(redis))


def _dedupe_store(redis: Redis | None) -> DedupeStore:
    if redis is None:
        from storage.dedupe import InMemoryDedupeStore

        return InMemoryDedupeStore()
    from storage.dedupe import RedisDedupeStore

    return RedisDedupeStore(redis)


async def _platform_plugins(
    services: Services, stack: contextlib.AsyncExitStack, teams_options: TeamsOptions | None
) -> list[WebPlugin]:
    """The web routes (and background tasks) of every platform whose credentials are set.

    Each adapter package exposes ``async def plugin(services, stack) -> WebPlugin``.
    """
    import importlib

    settings = services.settings
    enabled = {
        "bot.app.wiring.slack": settings.slack_enabled,
        "bot.app.wiring.teams": settings.teams_enabled,
        "bot.app.wiring.discord": settings.discord_enabled,
    }
    plugins: list[WebPlugin] = []
    for module_name, on in enabled.items():
        if on:
            module = importlib.import_module(module_name)
            if module_name.endswith(".teams") and teams_options is not None:
                plugins.append(await module.plugin(services, stack, options=teams_options))
            else:
                plugins.append(await module.plugin(services, stack))
    return plugins


async def _scheduler_plugins(
    services: Services, stack: contextlib.AsyncExitStack, alerting: Alerting
) -> list[WebPlugin]:
    """The scheduled jobs (``schedules:``), started with the web server (so ``serve`` runs
    them and ``chat`` does not). With REDIS_URL the job leases live in Redis, so exactly one
    replica runs each job; without it this process is the only one."""
    settings = services.settings
    schedules = settings.schedules
    if schedules is None:  # no jobs: skip importing the scheduler (start-up time)
        return []
    from bot.app.wiring.scheduler import scheduler_plugin
    from bot.features.scheduler.build import build_scheduler
    from bot.features.scheduler.digest_sources import AlertmanagerSilences, RecordedAlerts
    from storage.episodes import InMemoryEpisodeStore, RedisEpisodeStore
    from storage.lease import memory_leases, redis_leases

    redis = services.redis
    leases = memory_leases() if redis is None else redis_leases(redis)
    episodes = InMemoryEpisodeStore() if redis is None else RedisEpisodeStore(redis)
    feed, recorded = alerting.feed, alerting.history
    scheduler = build_scheduler(
        schedules,
        leases=leases,
        publisher=alerting.publisher,
        dedupe=services.dedupe,
        metrics=services.metrics,
        directory=services.directory,
        firing_now=services.alerts,
        anomaly=services.anomaly,
        forecaster=services.forecaster,
        episodes=episodes,
        actions=await services.remediation.get() if services.remediation else None,
        alert_history=RecordedAlerts(recorded) if recorded is not None else None,
        silences=AlertmanagerSilences(feed) if feed is not None else None,
        telemetry=services.telemetry,
    )
    if not scheduler.jobs:
        return []
    stack.push_async_callback(scheduler.stop)
    return [scheduler_plugin(scheduler)]
