"""The metrics feature's ports: where metric answers come from (:class:`MetricsSource`: a
real Prometheus or the embedded demo) and what is firing (:class:`AlertSource`), in the
core's own terms: a catalog metric of a target over a window, never a PromQL string (raw
PromQL is the ``promql`` intent's own business)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of an instant vector."""

    labels: Mapping[str, str]
    value: float
    timestamp: float


@dataclass(frozen=True, slots=True)
class Series:
    """One range-vector series: parallel, time-ordered timestamps (unix s) and values."""

    labels: Mapping[str, str]
    timestamps: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class TargetHealth:
    """A scrape target (or demo host/service), whether it is up, and since when it has been
    down (``down_since``: Unix seconds, None when up or not known)."""

    name: str
    job: str
    up: bool
    last_error: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    down_since: float | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """A firing (or pending) alert, from Prometheus, Alertmanager or the demo source."""

    name: str
    severity: str
    state: str
    labels: Mapping[str, str]
    summary: str
    starts_at: float


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of time: ``start`` to ``end`` (Unix seconds), sampled every ``step`` s."""

    start: float
    end: float
    step: float

    @property
    def span(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class TargetRef:
    """A target as the source knows it: the name users say ("web-1") and the label that
    carries it (``instance``, ``job``, ``service``)."""

    name: str
    label: str


NamedSeries = tuple[str, Series]
"""A series with the name it is shown under (its target's, or its labels)."""


@dataclass(frozen=True, slots=True)
class CatalogSeries:
    """The answer to a catalog question: the series, each named after its target, and how
    the source asked for them (``asked``: the PromQL, for an empty answer to show)."""

    series: tuple[NamedSeries, ...]
    asked: str


class MetricsSource(Protocol):
    """Where metric answers come from: a real Prometheus or the embedded demo source.

    The core asks in its own terms: ``series`` is one catalog metric (``cpu``, ``memory``,
    ...; see :mod:`bot.features.metrics.catalog`) of one target or of all of them over a window,
    optionally
    at a latency ``quantile``; how that becomes a query is the source's business. ``query``
    and ``query_range`` run a raw PromQL expression for the ``promql`` intent only.
    ``target_names`` lists every target users may name; ``target_labels`` says which
    labels carry those names (``instance`` values are compared without their ``:port``).
    ``targets`` are the scrape targets and whether they are up. ``description`` is shown
    to users as provenance ("demo data", "Prometheus").

    Methods raise :class:`bot.core.errors.InvalidInput` for a question the source cannot answer
    (a bad expression, a quantile its catalog cannot give) and
    :class:`bot.core.errors.DependencyError` when the backend is down or slower than its timeout.
    """

    description: str
    is_demo: bool

    @property
    def target_labels(self) -> tuple[str, ...]: ...

    async def series(
        self,
        metric: str,
        target: TargetRef | None,
        window: Window,
        *,
        quantile: float | None = None,
    ) -> CatalogSeries: ...

    async def query(self, expr: str) -> list[Sample]: ...

    async def query_range(self, expr: str, window: Window) -> list[Series]: ...

    async def target_names(self) -> list[TargetRef]: ...

    async def targets(self) -> list[TargetHealth]: ...


class AlertSource(Protocol):
    """The alerts pending or firing now: from Alertmanager when it is configured, else from
    the metrics source (Prometheus' rules, or the demo's)."""

    description: str
    """Where the alerts come from, for an answer's footer ("Alertmanager", "demo data")."""

    async def alerts(self) -> list[Alert]: ...
