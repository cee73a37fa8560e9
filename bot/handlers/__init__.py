"""Intent handlers. :func:`build_registry` registers every handler with its help text."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.alerts import Alerting
from bot.config import Settings
from bot.handlers.advice import Advisor, plain_advice, with_advice
from bot.handlers.help import help_specs
from bot.handlers.remediation import guard_unknown, remediation_specs
from bot.model import IncomingMessage
from bot.ports import AlertSource, AnomalyDetector, Forecaster, MetricsSource
from bot.registry import HandlerSpec, Registry
from bot.remediation import Actor, Policy, RemediationService
from bot.remediation.advice import advise
from bot.targets import TargetDirectory
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
    clock: Callable[[], float] = time.time,
) -> Registry:
    """Every handler the bot has. Help is generated from the registry itself. ``clock`` is
    the metrics' notion of now (tests pin it to the demo's)."""
    from bot.handlers.anomaly import anomaly_specs
    from bot.handlers.forecast import forecast_spec
    from bot.handlers.health import HealthCheck
    from bot.handlers.lookups import lookup_specs
    from bot.handlers.status import StatusQueries

    status = StatusQueries(metrics, alerts, directory, clock=clock)
    health = HealthCheck(metrics, status, anomaly, directory, clock=clock)
    specs = [
        *lookup_specs(metrics, alerts, directory, settings, clock=clock),
        *anomaly_specs(metrics, anomaly, directory, settings, clock=clock),
        forecast_spec(metrics, directory, forecaster, clock=clock),
        HandlerSpec(
            intent=IntentName.HEALTH,
            topic="health",
            summary="How a target is doing: up or down, alerts, anything unusual, key metrics.",
            examples=("how's payments doing?", "what's wrong with checkout-api?"),
            handler=health.health,
        ),
    ]
    if remediation is not None:
        specs.extend(remediation_specs(remediation))
    if alerting is not None:
        from bot.handlers.alerts import alert_specs

        # Who may silence, subscribe and acknowledge comes from the remediation policy's
        # roles; without one, nobody may (listing stays open).
        policy = remediation.policy if remediation is not None else Policy()
        specs.extend(alert_specs(alerting, policy))
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
