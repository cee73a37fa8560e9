"""What help says about the lookups (catalog metrics, raw PromQL, what is down, what is
firing), known without building them (:func:`bot.core.registry.built_on_first_use`)."""

from __future__ import annotations

from bot.core.registry import Help
from intents.model import METRICS, Intent, IntentName


def lookup_help(*, is_demo: bool) -> list[Help]:
    """Help for ``metric_query``, ``promql``, ``status`` and ``alerts_list``; the PromQL
    example aggregates a series the source has (the demo's, or a common exporter's)."""
    aggregate = (
        "promql avg by (job) (cpu_usage_percent)"
        if is_demo
        else "promql sum by (job) (rate(http_requests_total[5m]))"
    )
    return [
        Help(
            intent=IntentName.METRIC_QUERY,
            topic="metrics",
            summary=f"A metric ({', '.join(METRICS)}) for a target or all of them, with a chart.",
            examples=(
                "cpu of web-1 over the last 2h",
                "memory db-primary yesterday",
                "p99 latency of checkout-api since 3am",
                "compare cpu of web-1 and web-2",
            ),
            heavy=True,
        ),
        Help(
            intent=IntentName.PROMQL,
            topic="promql",
            summary="Run a PromQL expression: a table of the values now, a chart over a range.",
            examples=("promql up", "promql up == 0", aggregate),
            heavy=charts_a_range,
        ),
        Help(
            intent=IntentName.STATUS,
            topic="status",
            summary="Which targets are down (and since when), or whether one target is up.",
            examples=("what's down?", "status web-1", "how long has web-2 been down?"),
        ),
        Help(
            intent=IntentName.ALERTS_LIST,
            topic="alerts",
            summary="The alerts firing now, by severity or target.",
            examples=("what alerts are firing?", "critical alerts", "alerts on db-primary"),
        ),
    ]


def charts_a_range(intent: Intent) -> bool:
    """PromQL over a range is drawn (heavy); "promql up" is a table of the values now."""
    return any(k in intent.slots for k in ("range", "start"))
