"""Intent handlers. :func:`build_registry` registers every handler with its help text."""

from __future__ import annotations

from bot.config import Settings
from bot.handlers.help import help_specs
from bot.ports import AnomalyDetector, MetricsSource
from bot.registry import Registry


def build_registry(
    *, settings: Settings, metrics: MetricsSource, anomaly: AnomalyDetector
) -> Registry:
    """Every handler the bot has. Help is generated from the registry itself."""
    from bot.handlers.metrics import metric_specs

    registry = Registry(metric_specs(metrics, settings))
    for spec in help_specs(registry):
        registry.register(spec)
    return registry
