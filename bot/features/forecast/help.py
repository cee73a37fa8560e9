"""What help says about ``forecast``, known without building its handler (nor importing the
forecaster behind it): :func:`bot.core.registry.built_on_first_use`."""

from __future__ import annotations

from bot.core.registry import Help
from intents.model import IntentName

FORECAST_HELP = Help(
    intent=IntentName.FORECAST,
    topic="forecast",
    summary="Where a metric is heading: when it reaches a level, or its value later.",
    examples=(
        "when will db-primary's disk be full?",
        "will payments latency go over 300 ms today?",
        "how much disk will db-primary have tomorrow?",
    ),
    heavy=True,
)
