"""The metric catalog: the seven metrics users ask for by name, as PromQL templates.

A template holds a ``{selector}`` placeholder where the target's label matcher goes
(``instance=~"web-1(:[0-9]+)?"``); with no target the placeholder renders empty and the query
covers every target. The defaults fit node-exporter and the usual HTTP server metrics
(``http_requests_total`` with a ``code`` label, ``http_request_duration_seconds`` histogram);
a deployment overrides any of them under ``catalog:`` in its config file. Each result series
keeps the label that names its target (``instance`` for hosts, ``job`` for services), so one
query answers for one target or for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.errors import ConfigError
from bot.formatting import BYTES_PER_SECOND, PER_SECOND, PERCENT, SECONDS
from intents.model import METRICS

PLACEHOLDER = "{selector}"


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """How a catalog metric is shown: its friendly name and unit (see :mod:`bot.formatting`)."""

    name: str
    title: str
    unit: str
    meaning: str


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

_REAL_FS = 'fstype!~"tmpfs|overlay|squashfs|ramfs"'
_REAL_NIC = 'device!~"lo|veth.*|docker.*|br-.*"'

PROMETHEUS_TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        "cpu": (
            "100 * (1 - avg by (instance) "
            '(rate(node_cpu_seconds_total{mode="idle",{selector}}[5m])))'
        ),
        "memory": (
            "100 * (1 - node_memory_MemAvailable_bytes{{selector}}"
            " / node_memory_MemTotal_bytes{{selector}})"
        ),
        "disk": (
            f"100 * max by (instance) (1 - node_filesystem_avail_bytes{{{_REAL_FS},{{selector}}}}"
            f" / node_filesystem_size_bytes{{{_REAL_FS},{{selector}}}})"
        ),
        "network": (
            "sum by (instance) ("
            f"rate(node_network_receive_bytes_total{{{_REAL_NIC},{{selector}}}}[5m])"
            f" + rate(node_network_transmit_bytes_total{{{_REAL_NIC},{{selector}}}}[5m]))"
        ),
        "latency": (
            "histogram_quantile(0.95, sum by (job, le) "
            "(rate(http_request_duration_seconds_bucket{{selector}}[5m])))"
        ),
        "error_rate": (
            '100 * (sum by (job) (rate(http_requests_total{code=~"5..",{selector}}[5m]))'
            " or sum by (job) (rate(http_requests_total{{selector}}[5m])) * 0)"
            " / sum by (job) (rate(http_requests_total{{selector}}[5m]))"
        ),
        "request_rate": "sum by (job) (rate(http_requests_total{{selector}}[5m]))",
    }
)


def render(template: str, selector: str) -> str:
    """``template`` with its ``{selector}`` placeholder filled.

    An empty selector also drops the comma that joined it to other matchers, so
    ``{mode="idle",{selector}}`` becomes ``{mode="idle"}`` rather than a dangling comma.
    """
    if not selector:
        template = template.replace("," + PLACEHOLDER, "")
    return template.replace(PLACEHOLDER, selector)


def build_catalog(
    defaults: Mapping[str, str], overrides: Mapping[str, str] | None = None
) -> Mapping[str, str]:
    """The defaults with a deployment's overrides applied, checked at start-up.

    Raises :class:`ConfigError` naming ``catalog.<metric>`` for an unknown metric or a
    template without the ``{selector}`` placeholder (it could never be narrowed to a target).
    """
    merged = dict(defaults)
    for metric, template in (overrides or {}).items():
        if metric not in METRICS:
            raise ConfigError(f"catalog.{metric}: unknown metric; use one of {', '.join(METRICS)}")
        if PLACEHOLDER not in template:
            raise ConfigError(f"catalog.{metric}: the template must contain {PLACEHOLDER}")
        merged[metric] = template
    missing = [m for m in METRICS if m not in merged]
    if missing:
        raise ConfigError(f"catalog.{missing[0]}: no template for this metric")
    return MappingProxyType(merged)


def metric_info(metric: str) -> MetricInfo:
    """The display info of a catalog metric (KeyError for a name outside the catalog)."""
    return METRIC_INFO[metric]
