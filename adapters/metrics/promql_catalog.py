"""The catalog metrics as Prometheus queries: what "cpu of web-1" means in PromQL.

A template holds a ``{selector}`` placeholder where the target's label matcher goes
(``instance=~"web-1(:[0-9]+)?"``); with no target the placeholder renders empty and the query
covers every target. The latency template also holds ``{quantile}`` (0.95 unless a quantile
is asked for). The defaults fit node-exporter and the usual HTTP server metrics
(``http_requests_total`` with a ``code`` label, ``http_request_duration_seconds`` histogram);
a deployment overrides any of them under ``catalog:`` in its config file. Each result series
keeps the label that names its target (``instance`` for hosts, ``job`` for services), so one
query answers for one target or for all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from bot.core.errors import ConfigError, InvalidInput
from bot.features.metrics.catalog import DEFAULT_QUANTILE
from bot.features.metrics.ports import TargetRef
from intents.model import METRICS

PLACEHOLDER = "{selector}"
QUANTILE = "{quantile}"
_PORT = re.compile(r":\d+$")
_REGEX_SPECIAL = re.compile(r"([.\\+*?()|\[\]{}^$])")

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
            "histogram_quantile({quantile}, sum by (job, le) "
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


def render(template: str, target: TargetRef | None, quantile: float | None = None) -> str:
    """``template`` for ``target`` (None: every target) and a latency ``quantile``.

    An empty selector also drops the comma that joined it to other matchers, so
    ``{mode="idle",{selector}}`` becomes ``{mode="idle"}`` rather than a dangling comma. A
    quantile other than the default needs a template that takes one."""
    if quantile is not None and quantile != DEFAULT_QUANTILE and QUANTILE not in template:
        raise InvalidInput(
            "This Prometheus catalog has one latency quantile only.",
            hint="Put {quantile} in the catalog.latency query of the config to ask for others.",
        )
    filled = template.replace(QUANTILE, f"{quantile or DEFAULT_QUANTILE:g}")
    chosen = selector(target) if target is not None else ""
    if not chosen:
        filled = filled.replace("," + PLACEHOLDER, "")
    return filled.replace(PLACEHOLDER, chosen)


def selector(target: TargetRef) -> str:
    """The PromQL matcher for ``target``. ``instance`` matches with or without a port, so
    ``web-1`` covers ``web-1:9100`` (node-exporter) and ``web-1:8080`` (the app)."""
    if target.label == "instance" and not _PORT.search(target.name):
        pattern = _REGEX_SPECIAL.sub(r"\\\1", target.name) + "(:[0-9]+)?"
        return f'instance=~"{_quote(pattern)}"'
    return f'{target.label}="{_quote(target.name)}"'


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


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
