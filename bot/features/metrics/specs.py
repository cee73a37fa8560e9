"""The lookup handlers (catalog metrics, raw PromQL, what is down and what is firing), with
the help of :mod:`bot.features.metrics.help`. Each names its source in every answer, user
errors included."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.provenance import with_footer
from bot.core.registry import HandlerSpec
from bot.features.metrics.help import lookup_help
from bot.features.metrics.ports import AlertSource, MetricsSource
from bot.features.metrics.promql import PromqlQueries
from bot.features.metrics.queries import MetricQueries
from bot.features.metrics.status import StatusQueries
from bot.features.metrics.targets import TargetDirectory
from intents.model import IntentName


def lookup_specs(
    metrics: MetricsSource,
    alerts: AlertSource,
    directory: TargetDirectory,
    default_range_seconds: float,
    *,
    clock: Callable[[], float] = time.time,
) -> list[HandlerSpec]:
    """The handlers for ``metric_query``, ``promql``, ``status`` and ``alerts_list``."""
    footer = f"Source: {metrics.description}"
    queries = MetricQueries(metrics, directory, default_range_seconds, clock=clock)
    promql = PromqlQueries(metrics, default_range_seconds, clock=clock)
    status = StatusQueries(metrics, alerts, directory, clock=clock)
    handlers = {
        IntentName.METRIC_QUERY: queries.metric_query,
        IntentName.PROMQL: promql.promql,
        IntentName.STATUS: status.status,
        IntentName.ALERTS_LIST: status.alerts_list,
    }
    return [
        help_.spec(with_footer(handlers[help_.intent], footer))
        for help_ in lookup_help(is_demo=metrics.is_demo)
    ]
