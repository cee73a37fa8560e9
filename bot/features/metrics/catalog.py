"""The metric catalog: the seven metrics users ask for by name, and how each is shown.

What a metric *is* in PromQL is the metrics source's business (see
``adapters/metrics/promql_catalog.py`` for Prometheus, the demo's own series otherwise); the
core only knows its friendly name and unit (see :mod:`bot.core.formatting`) and that latency has
quantiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.core.formatting import BYTES_PER_SECOND, PER_SECOND, PERCENT, SECONDS

DEFAULT_QUANTILE = 0.95
"""The latency quantile when none is asked for (the catalog's "Latency p95")."""


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """How a catalog metric is shown: its friendly name and unit, and what it measures."""

    name: str
    title: str
    unit: str
    meaning: str

    def titled(self, quantile: float | None) -> str:
        """The title for a latency quantile ("Latency p99"); other metrics keep theirs."""
        if self.name != "latency" or quantile is None:
            return self.title
        return f"Latency {quantile_name(quantile)}"


def quantile_name(quantile: float) -> str:
    """0.99 -> "p99", 0.5 -> "p50", 0.999 -> "p99.9"."""
    percent = f"{quantile * 100:.1f}".rstrip("0").rstrip(".")
    return f"p{percent}"


METRIC_INFO: Mapping[str, MetricInfo] = MappingProxyType(
    {
        "cpu": MetricInfo("cpu", "CPU", PERCENT, "busy CPU time"),
        "memory": MetricInfo("memory", "Memory", PERCENT, "memory in use"),
        "disk": MetricInfo("disk", "Disk", PERCENT, "space used on the fullest filesystem"),
        "network": MetricInfo("network", "Network", BYTES_PER_SECOND, "bytes in + out"),
        "latency": MetricInfo("latency", "Latency p95", SECONDS, "95th percentile response time"),
        "error_rate": MetricInfo("error_rate", "Error rate", PERCENT, "share of 5xx responses"),
        "request_rate": MetricInfo("request_rate", "Request rate", PER_SECOND, "requests/s"),
    }
)

LIMITS: Mapping[str, float] = MappingProxyType({"disk": 100.0, "memory": 100.0, "cpu": 100.0})
"""The catalog's natural limits: the threshold a forecast is read against when none is asked
for (a disk or memory is full at 100 %)."""

CAPACITY_METRICS: tuple[str, ...] = ("disk", "memory")
"""The metrics that *fill up* towards their limit: the ones worth forecasting unasked (a CPU
touching 100 % at its daily peak is busy, not full)."""
