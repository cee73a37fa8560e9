"""The lookup handlers and the help that teaches them: catalog metrics, raw PromQL, what is
down and what is firing. Each names its source in every answer, user errors included."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.provenance import with_footer
from bot.core.registry import HandlerSpec
from bot.features.metrics.ports import AlertSource, MetricsSource
from bot.features.metrics.promql import PromqlQueries
from bot.features.metrics.queries import MetricQueries
from bot.features.metrics.status import StatusQueries
from bot.features.metrics.targets import TargetDirectory
from intents.model import METRICS, Intent, IntentName


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
    aggregate = (
        "promql avg by (job) (cpu_usage_percent)"
        if metrics.is_demo
        else "promql sum by (job) (rate(http_requests_total[5m]))"
    )
    return [
        HandlerSpec(
            intent=IntentName.METRIC_QUERY,
            topic="metrics",
            summary=f"A metric ({', '.join(METRICS)}) for a target or all of them, with a chart.",
            examples=(
                "cpu of web-1 over the last 2h",
                "memory db-primary yesterday",
                "p99 latency of checkout-api since 3am",
                "compare cpu of web-1 and web-2",
            ),
            handler=with_footer(queries.metric_query, footer),
            heavy=True,
        ),
        HandlerSpec(
            intent=IntentName.PROMQL,
            topic="promql",
            summary="Run a PromQL expression: a table of the values now, a chart over a range.",
            examples=("promql up", "promql up == 0", aggregate),
            handler=with_footer(promql.promql, footer),
            heavy=charts_a_range,
        ),
        HandlerSpec(
            intent=IntentName.STATUS,
            topic="status",
            summary="Which targets are down (and since when), or whether one target is up.",
            examples=("what's down?", "status web-1", "how long has web-2 been down?"),
            handler=with_footer(status.status, footer),
        ),
        HandlerSpec(
            intent=IntentName.ALERTS_LIST,
            topic="alerts",
            summary="The alerts firing now, by severity or target.",
            examples=("what alerts are firing?", "critical alerts", "alerts on db-primary"),
            handler=with_footer(status.alerts_list, footer),
        ),
    ]


def charts_a_range(intent: Intent) -> bool:
    """PromQL over a range is drawn (heavy); "promql up" is a table of the values now."""
    return any(k in intent.slots for k in ("range", "start"))
