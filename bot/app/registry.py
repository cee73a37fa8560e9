"""Intent handlers. :func:`build_registry` registers every handler with its help text."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.app.config import Settings
from bot.core.model import IncomingMessage
from bot.core.registry import HandlerSpec, Registry
from bot.features.access.limits import ExpensiveQueries
from bot.features.access.ports import RateLimiter
from bot.features.access.reads import guard_reads
from bot.features.alerts.alerting import Alerting
from bot.features.anomaly.ports import AnomalyDetector
from bot.features.forecast.ports import Forecaster
from bot.features.help.advice import Advisor, plain_advice, with_advice
from bot.features.help.handlers import help_specs
from bot.features.metrics.ports import AlertSource, MetricsSource
from bot.features.metrics.targets import TargetDirectory
from bot.features.remediation.advice import advise
from bot.features.remediation.handlers import guard_unknown, remediation_specs
from bot.features.remediation.identity import identity_spec
from bot.features.remediation.model import Actor
from bot.features.remediation.policy import Policy
from bot.features.remediation.service import RemediationService
from intents.model import IntentName, Mention


def build_registry(
    *,
    settings: Settings,
    metrics: MetricsSource,
    alerts: AlertSource,
    directory: TargetDirectory,
    anomaly: AnomalyDetector,
    forecaster: Forecaster,
    remediation: RemediationService | None = None,
    alerting: Alerting | None = None,
    limiter: RateLimiter | None = None,
    clock: Callable[[], float] = time.time,
) -> Registry:
    """Every handler the bot has. Help is generated from the registry itself. ``clock`` is
    the metrics' notion of now (tests pin it to the demo's). Reads the policy limits
    (``policy.read``) are checked first; expensive queries count against the asker's
    allowance (``policy.limits``) through ``limiter`` (none: not limited)."""
    from bot.features.anomaly.handler import anomaly_specs
    from bot.features.forecast.handler import forecast_spec
    from bot.features.health.handler import HealthCheck
    from bot.features.metrics.specs import lookup_specs
    from bot.features.metrics.status import StatusQueries

    look_back = settings.file.default_range_seconds
    status = StatusQueries(metrics, alerts, directory, clock=clock)
    health = HealthCheck(
        metrics, status, anomaly, directory, alerts=alerts, forecaster=forecaster, clock=clock
    )
    specs = [
        *lookup_specs(metrics, alerts, directory, look_back, clock=clock),
        *anomaly_specs(
            metrics,
            anomaly,
            directory,
            look_back,
            alerts=alerts,
            forecaster=forecaster,
            clock=clock,
        ),
        forecast_spec(metrics, directory, forecaster, clock=clock),
        HandlerSpec(
            intent=IntentName.HEALTH,
            topic="health",
            summary="How a target is doing: up or down, alerts, anything unusual, key metrics.",
            examples=("how's payments doing?", "what's wrong with checkout-api?"),
            handler=health.health,
        ),
    ]
    # Who may silence, subscribe, acknowledge and read comes from the remediation policy's
    # roles; without one, nobody may change alerting and every read is open.
    policy = remediation.policy if remediation is not None else Policy()
    specs.append(identity_spec(policy))
    if remediation is not None:
        specs.extend(remediation_specs(remediation))
    if alerting is not None:
        from bot.features.alerts.handlers import alert_specs

        specs.extend(alert_specs(alerting, policy))
    if limiter is not None:
        expensive = ExpensiveQueries(limiter, policy.limits, data_clock=clock)
        specs = [expensive.guard(spec) for spec in specs]
    specs = [guard_reads(spec, policy) for spec in specs]
    advisor = _advisor(remediation)
    registry = Registry(with_advice(spec, advisor) for spec in specs)
    for spec in help_specs(registry):
        if remediation is not None and spec.intent is IntentName.UNKNOWN:
            spec = guard_unknown(spec, remediation)
        registry.register(with_advice(spec, advisor))
    return registry


def _advisor(remediation: RemediationService | None) -> Advisor:
    if remediation is None:
        return plain_advice

    def policy_advice(message: IncomingMessage, about: Mention) -> str:
        if about.intent is not IntentName.REMEDIATION:
            return plain_advice(message, about)
        return advise(remediation.policy, Actor.from_message(message), about)

    return policy_advice
