"""What help says about ``anomaly_query``, known without building its handler (nor importing
the detector behind it): :func:`bot.core.registry.built_on_first_use`."""

from __future__ import annotations

from bot.core.formatting import format_duration
from bot.core.registry import Help
from intents.model import IntentName

DEFAULT_RANGE_SECONDS = 6 * 3600


def default_range(default_range_seconds: float) -> float:
    """The range an anomaly question covers unless it says: :data:`DEFAULT_RANGE_SECONDS`,
    or the configured default look-back when that is longer."""
    return max(DEFAULT_RANGE_SECONDS, default_range_seconds)


def anomaly_help(default_range_seconds: float) -> Help:
    return Help(
        intent=IntentName.ANOMALY_QUERY,
        topic="anomalies",
        summary=(
            f"What looked unusual (last {format_duration(default_range(default_range_seconds))} "
            "unless you say): which series, since when, how far from normal, what moved with it."
        ),
        examples=(
            "anything unusual with checkout-api?",
            "is anything odd?",
            "anomalies in latency of payments over the last 24h",
        ),
        heavy=True,
    )
