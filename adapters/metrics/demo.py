"""The embedded demo metrics source: every lookup works with no Prometheus at all.

It serves the fleet of :mod:`adapters.metrics.demo_model` behind the same port as a real
Prometheus: catalog questions answered straight from the model (no PromQL in between), raw
PromQL through a documented subset (:mod:`adapters.metrics.promql_mini`), scrape targets from
the ``up`` series and alerts evaluated from the data by a few rules, so "what's down?" and
"what alerts are firing?" agree with the charts. Its ``description`` is "demo data", which
every answer quotes. Its latency is a p95; other quantiles are derived from it as a
log-normal spread (:data:`LATENCY_SPREAD`), not measured.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from types import MappingProxyType

import numpy as np

from adapters.metrics import demo_model as model
from adapters.metrics.promql_mini import (
    SUBSET,
    Aggregate,
    Binary,
    FloatArray,
    Matcher,
    Node,
    Selector,
    SubsetError,
    Vector,
    evaluate,
    parse,
)
from bot.core.errors import InvalidInput
from bot.core.formatting import format_duration, format_value
from bot.features.metrics.catalog import DEFAULT_QUANTILE, METRIC_INFO
from bot.features.metrics.ports import (
    Alert,
    CatalogSeries,
    NamedSeries,
    Sample,
    Series,
    TargetHealth,
    TargetRef,
    Window,
)
from bot.features.metrics.targets import strip_port

MAX_POINTS = 11_000
LATENCY_SPREAD = 0.35
"""The log-normal sigma relating the demo's latency quantiles to its p95."""
_FULL_PROMQL = "Set PROMETHEUS_URL to query a real Prometheus with full PromQL."
_RULE_WINDOW = 24 * model.HOUR
_REFUSED = 'Get "http://{instance}/metrics": dial tcp {instance}: connect: connection refused'


@dataclass(frozen=True, slots=True)
class _Rule:
    """An alerting rule over one demo metric: fires once ``metric op threshold`` held ``hold`` s."""

    name: str
    severity: str
    metric: str
    above: bool
    threshold: float
    hold: float
    summary: str


_RULES = (
    _Rule("InstanceDown", "critical", model.UP, False, 1, 300,
          "{target} has not answered for {for}."),
    _Rule("HighErrorRate", "critical", "error_rate", True, 5, 300,
          "{target}: {value} of requests fail (threshold 5 %)."),
    _Rule("HighLatency", "warning", "latency", True, 0.3, 300,
          "{target}: p95 latency is {value} (threshold 300 ms)."),
    _Rule("DiskSpaceLow", "warning", "disk", True, 85, 600,
          "{target}: disk is {value} full (threshold 85 %)."),
    _Rule("HighCpu", "warning", "cpu", True, 90, 600, "{target}: CPU at {value} (threshold 90 %)."),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _DemoSeries:
    labels: Mapping[str, str]
    target: model.DemoTarget
    metric: str


class DemoMetricsSource:
    """Deterministic demo metrics for ``seed``, relative to ``now()`` (see the module doc)."""

    description = "demo data"
    is_demo = True

    def __init__(self, seed: int = 7, now: Callable[[], float] = time.time) -> None:
        self._seed = seed
        self._now = now
        self._fleet = model.build_fleet(seed)
        self._series = tuple(self._build_series())
        self._names = sorted({s.labels["__name__"] for s in self._series})

    @property
    def target_labels(self) -> tuple[str, ...]:
        return ("instance", "job", "service")

    async def series(
        self,
        metric: str,
        target: TargetRef | None,
        window: Window,
        *,
        quantile: float | None = None,
    ) -> CatalogSeries:
        """``metric`` of each fleet member that ``target`` names (all when None)."""
        times = _grid(window)
        now = self._now()
        scale = _quantile_scale(quantile) if metric == "latency" else 1.0
        found: list[NamedSeries] = []
        for member in self._fleet:
            if target is None or _names(member, target):
                values = model.metric_values(self._seed, member, metric, times, now) * scale
                series = _series(dict(member.labels), times, values)
                if series is not None:
                    found.append((member.name, series))
        who = f"{target.label}={target.name!r}" if target else "every target"
        return CatalogSeries(tuple(found), f"demo {model.SERIES_NAMES[metric]} of {who}")

    async def query(self, expr: str) -> list[Sample]:
        now = self._now()
        result = self._evaluate(expr, np.array([now]), now)
        if not isinstance(result, list):
            return [Sample({}, float(result[0]), now)]
        return [
            Sample(dict(labels), float(values[0]), now)
            for labels, values in result
            if not math.isnan(values[0])
        ]

    async def query_range(self, expr: str, window: Window) -> list[Series]:
        times = _grid(window)
        now = self._now()
        result = self._evaluate(expr, times, now)
        vector: Vector = result if isinstance(result, list) else [({}, result)]
        return [series for labels, values in vector if (series := _series(labels, times, values))]

    async def target_names(self) -> list[TargetRef]:
        return [
            TargetRef(member.labels[label], label)
            for label in self.target_labels
            for member in self._fleet
            if member.labels.get(label)
        ]

    async def targets(self) -> list[TargetHealth]:
        now = self._now()
        health: list[TargetHealth] = []
        for target in self._fleet:
            up = model.is_up(target, now)
            instance = target.labels["instance"]
            error = "" if up else _REFUSED.format(instance=instance)
            since = model.DOWN_SINCE.get(target.name)
            down_since = None if up or since is None else model.anchor(now) + since
            health.append(
                TargetHealth(instance, target.labels["job"], up, error, target.labels, down_since)
            )
        return health

    async def alerts(self) -> list[Alert]:
        now = self._now()
        minutes = np.arange(int(_RULE_WINDOW / model.MINUTE))[::-1]
        times = np.asarray(model.anchor(now) - minutes * model.MINUTE, dtype=np.float64)
        found: list[Alert] = []
        for rule in _RULES:
            for target in self._fleet:
                alert = self._check(rule, target, times, now)
                if alert is not None:
                    found.append(alert)
        return found

    async def ping(self) -> None:
        """Always ready: the demo lives in the process."""

    async def aclose(self) -> None:
        """Nothing to close."""

    # ----------------------------------------------------------------------- internals

    def _build_series(self) -> Iterator[_DemoSeries]:
        for target in self._fleet:
            for metric, name in model.SERIES_NAMES.items():
                yield _DemoSeries(
                    MappingProxyType({"__name__": name, **target.labels}), target, metric
                )
            yield _DemoSeries(
                MappingProxyType({"__name__": model.UP, **target.labels}), target, model.UP
            )

    def _values(self, series: _DemoSeries, times: FloatArray, now: float) -> FloatArray:
        if series.metric == model.UP:
            return model.up_values(series.target, times, now)
        return model.metric_values(self._seed, series.target, series.metric, times, now)

    def _evaluate(self, expr: str, times: FloatArray, now: float) -> Vector | FloatArray:
        try:
            node = parse(expr)
            self._check_names(node)
            store = _Store(self._series, lambda series, at: self._values(series, at, now))
            return evaluate(node, store, times)
        except SubsetError as exc:
            raise InvalidInput(
                f"The demo data cannot run `{expr}`: {exc}.",
                hint=f"It understands {SUBSET}. {_FULL_PROMQL}",
            ) from None

    def _check_names(self, node: Node) -> None:
        for selector in _selectors(node):
            name = selector.name
            if name is not None and name not in self._names:
                raise InvalidInput(
                    f"The demo data has no metric '{name}'.",
                    hint=f"Its metrics: {', '.join(self._names)}. {_FULL_PROMQL}",
                )

    def _check(
        self, rule: _Rule, target: model.DemoTarget, times: FloatArray, now: float
    ) -> Alert | None:
        series = _DemoSeries({}, target, rule.metric)
        values = self._values(series, times, now)
        with np.errstate(invalid="ignore"):
            active = values > rule.threshold if rule.above else values < rule.threshold
        if not active[-1]:
            return None
        inactive = np.flatnonzero(~active)
        since = float(times[inactive[-1] + 1] if inactive.size else times[0])
        elapsed = now - since
        summary = rule.summary.format(
            target=target.name,
            value=format_value(float(values[-1]), _unit(rule.metric)),
            **{"for": format_duration(elapsed - elapsed % 60)},
        )
        state = "firing" if now - since >= rule.hold else "pending"
        labels = {"alertname": rule.name, "severity": rule.severity, **target.labels}
        return Alert(rule.name, rule.severity, state, labels, summary, since)


class _Store:
    """The demo's series for the evaluator, with their values at one "now"."""

    def __init__(
        self,
        series: Sequence[_DemoSeries],
        values: Callable[[_DemoSeries, FloatArray], FloatArray],
    ) -> None:
        self._series = series
        self._values = values

    def select(self, matchers: Sequence[Matcher], times: FloatArray) -> Vector:
        return [
            (dict(series.labels), self._values(series, times))
            for series in self._series
            if all(m.matches(series.labels) for m in matchers)
        ]


def _grid(window: Window) -> FloatArray:
    """The sample times of ``window``, refusing one too large to compute on request."""
    if window.step <= 0 or window.end < window.start:
        raise InvalidInput("A range query needs a start before its end and a positive step.")
    if window.span / window.step >= MAX_POINTS:
        raise InvalidInput(
            f"That range has more than {MAX_POINTS} points at a {window.step:g}s step.",
            hint="Ask for a shorter range or a coarser step.",
        )
    count = math.floor(window.span / window.step) + 1
    return np.asarray(window.start + np.arange(count) * window.step, dtype=np.float64)


def _names(member: model.DemoTarget, target: TargetRef) -> bool:
    value = member.labels.get(target.label, "")
    if target.label == "instance":
        return strip_port(value).lower() == strip_port(target.name).lower()
    return value.lower() == target.name.lower()


def _quantile_scale(quantile: float | None) -> float:
    """How much higher (or lower) than the p95 a latency quantile is, log-normally."""
    if quantile is None or not 0 < quantile < 1:
        return 1.0
    normal = NormalDist()
    return math.exp(LATENCY_SPREAD * (normal.inv_cdf(quantile) - normal.inv_cdf(DEFAULT_QUANTILE)))


def _selectors(node: Node) -> Iterator[Selector]:
    if isinstance(node, Selector):
        yield node
    elif isinstance(node, Aggregate):
        yield from _selectors(node.expr)
    elif isinstance(node, Binary):
        yield from _selectors(node.left)
        yield from _selectors(node.right)


def _series(labels: Mapping[str, str], times: FloatArray, values: FloatArray) -> Series | None:
    keep = ~np.isnan(values)
    if not keep.any():
        return None
    return Series(
        dict(labels),
        tuple(float(t) for t in times[keep]),
        tuple(float(v) for v in values[keep]),
    )


def _unit(metric: str) -> str:
    info = METRIC_INFO.get(metric)
    return info.unit if info else ""
