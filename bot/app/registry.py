"""Intent handlers. :func:`build_registry` registers every handler with its help text.

Each feature's handlers are built at the first message for one of its intents
(:func:`~bot.core.registry.built_on_first_use`), from the help the feature declares up
front: ``smartcloudops chat -c help`` imports and builds neither the lookups, the anomaly
and forecast handlers, the alert commands nor the remediation policy
(bench/RESULTS_STARTUP.md). What a handler does once built is unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from bot.core.model import IncomingMessage
from bot.core.registry import HandlerSpec, Help, Registry, built_on_first_use
from bot.features.alerts.help import ALERT_HELP
from bot.features.anomaly.help import anomaly_help
from bot.features.forecast.help import FORECAST_HELP
from bot.features.help.advice import Advisor, plain_advice, with_advice
from bot.features.help.handlers import help_specs
from bot.features.metrics.help import lookup_help
from bot.features.remediation.help import REMEDIATION_HELP, WHOAMI_HELP
from bot.features.remediation.unknown import guard_unknown
from intents.model import IntentName, Mention

if TYPE_CHECKING:
    from bot.app.config import Settings
    from bot.core.later import Later
    from bot.features.access.ports import RateLimiter
    from bot.features.alerts.alerting import Alerting
    from bot.features.anomaly.ports import AnomalyDetector
    from bot.features.forecast.ports import Forecaster
    from bot.features.metrics.ports import AlertSource, MetricsSource
    from bot.features.metrics.targets import TargetDirectory
    from bot.features.remediation.policy import Policy
    from bot.features.remediation.service import RemediationService

HEALTH_HELP = Help(
    intent=IntentName.HEALTH,
    topic="health",
    summary="How a target is doing: up or down, alerts, anything unusual, key metrics.",
    examples=("how's payments doing?", "what's wrong with checkout-api?"),
)


def build_registry(
    *,
    settings: Settings,
    metrics: MetricsSource,
    alerts: AlertSource,
    directory: TargetDirectory,
    anomaly: AnomalyDetector,
    forecaster: Forecaster,
    remediation: Later[RemediationService] | None = None,
    alerting: Alerting | None = None,
    limiter: RateLimiter | None = None,
    clock: Callable[[], float] = time.time,
) -> Registry:
    """Every handler the bot has. Help is generated from the registry itself. ``clock`` is
    the metrics' notion of now (tests pin it to the demo's). Reads the policy limits
    (``policy.read``) are checked first; expensive queries count against the asker's
    allowance (``policy.limits``) through ``limiter`` (none: not limited)."""
    look_back = settings.file.default_range_seconds
    advisor = _advisor(settings, remediation)

    def policy() -> Policy:
        # Who may silence, subscribe, acknowledge and read comes from the remediation
        # policy's roles; without one, nobody may change alerting and every read is open.
        # The service's policy is ``settings.policy`` (parsed once): reading it builds
        # neither the service nor anything else.
        if remediation is None:
            from bot.features.remediation.policy import Policy

            return Policy()
        return settings.policy

    async def finish(spec: HandlerSpec) -> HandlerSpec:
        return with_advice(_guard(spec, policy, limiter, clock), advisor)

    def feature(
        helps: Sequence[Help], build: Callable[[], Awaitable[Sequence[HandlerSpec]]]
    ) -> list[HandlerSpec]:
        return built_on_first_use(helps, build, finish)

    async def lookups() -> Sequence[HandlerSpec]:
        from bot.features.metrics.specs import lookup_specs

        return lookup_specs(metrics, alerts, directory, look_back, clock=clock)

    async def anomalies() -> Sequence[HandlerSpec]:
        from bot.features.anomaly.handler import anomaly_specs

        return anomaly_specs(
            metrics, anomaly, directory, look_back, alerts=alerts, forecaster=forecaster,
            clock=clock,
        )  # fmt: skip

    async def forecasts() -> Sequence[HandlerSpec]:
        from bot.features.forecast.handler import forecast_spec

        return [forecast_spec(metrics, directory, forecaster, clock=clock)]

    async def health() -> Sequence[HandlerSpec]:
        from bot.features.health.handler import HealthCheck
        from bot.features.metrics.status import StatusQueries

        status = StatusQueries(metrics, alerts, directory, clock=clock)
        check = HealthCheck(
            metrics, status, anomaly, directory, alerts=alerts, forecaster=forecaster, clock=clock
        )
        return [HEALTH_HELP.spec(check.health)]

    async def whoami() -> Sequence[HandlerSpec]:
        from bot.features.remediation.identity import identity_spec

        return [identity_spec(policy())]

    specs = [
        *feature(lookup_help(is_demo=metrics.is_demo), lookups),
        *feature([anomaly_help(look_back)], anomalies),
        *feature([FORECAST_HELP], forecasts),
        *feature([HEALTH_HELP], health),
        *feature([WHOAMI_HELP], whoami),
    ]
    if remediation is not None:

        async def actions() -> Sequence[HandlerSpec]:
            from bot.features.remediation.handlers import remediation_specs

            return remediation_specs(await remediation.get())

        specs.extend(feature(REMEDIATION_HELP, actions))
    if alerting is not None:
        on = alerting

        async def alert_commands() -> Sequence[HandlerSpec]:
            from bot.features.alerts.handlers import alert_specs

            return alert_specs(on, policy())

        specs.extend(feature(ALERT_HELP, alert_commands))
    registry = Registry(specs)
    for spec in help_specs(registry):
        if remediation is not None and spec.intent is IntentName.UNKNOWN:
            spec = guard_unknown(spec, remediation.get)
        registry.register(with_advice(spec, advisor))
    return registry


def _guard(
    spec: HandlerSpec,
    policy: Callable[[], Policy],
    limiter: RateLimiter | None,
    clock: Callable[[], float],
) -> HandlerSpec:
    """``spec`` as the bot runs it: an expensive query counted against the asker's allowance,
    a read the policy limits checked first. Only those intents read the policy, so a turn
    asking anything else loads none (no ``policy:`` section: nothing to parse)."""
    from bot.features.access.limits import MAY_BE_EXPENSIVE, ExpensiveQueries
    from bot.features.access.reads import READS, guard_reads

    if spec.intent not in MAY_BE_EXPENSIVE and spec.intent not in READS:
        return spec
    if limiter is not None:
        spec = ExpensiveQueries(limiter, policy().limits, data_clock=clock).guard(spec)
    return guard_reads(spec, policy())


def _advisor(settings: Settings, remediation: Later[RemediationService] | None) -> Advisor:
    if remediation is None:
        return plain_advice

    def policy_advice(message: IncomingMessage, about: Mention) -> str:
        if about.intent is not IntentName.REMEDIATION:
            return plain_advice(message, about)
        from bot.features.remediation.advice import advise
        from bot.features.remediation.model import Actor

        # The remediation service's policy is this very object (``settings.policy`` is
        # parsed once); reading it here does not build the service.
        return advise(settings.policy, Actor.from_message(message), about)

    return policy_advice
