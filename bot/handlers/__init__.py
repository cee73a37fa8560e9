"""Intent handlers. :func:`build_registry` registers every handler with its help text."""

from __future__ import annotations

from bot.alerts import Alerting
from bot.config import Settings
from bot.handlers.help import help_specs
from bot.handlers.remediation import guard_unknown, remediation_specs
from bot.ports import AnomalyDetector, MetricsSource
from bot.registry import Registry
from bot.remediation import Policy, RemediationService


def build_registry(
    *,
    settings: Settings,
    metrics: MetricsSource,
    anomaly: AnomalyDetector,
    remediation: RemediationService | None = None,
    alerting: Alerting | None = None,
) -> Registry:
    """Every handler the bot has. Help is generated from the registry itself."""
    from bot.handlers.anomaly import anomaly_specs
    from bot.handlers.metrics import metric_specs

    registry = Registry(
        [*metric_specs(metrics, settings), *anomaly_specs(metrics, anomaly, settings)]
    )
    if remediation is not None:
        for spec in remediation_specs(remediation):
            registry.register(spec)
    if alerting is not None:
        from bot.handlers.alerts import alert_specs

        # Who may silence, subscribe and acknowledge comes from the remediation policy's
        # roles; without one, nobody may (listing stays open).
        policy = remediation.policy if remediation is not None else Policy()
        for spec in alert_specs(alerting, policy):
            registry.register(spec)
    for spec in help_specs(registry):
        if remediation is not None and spec.intent == "unknown":
            spec = guard_unknown(spec, remediation)
        registry.register(spec)
    return registry
