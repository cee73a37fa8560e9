"""The ports: every way the core talks to the outside world, as small async protocols.

Implementations live outside the core (``storage/``, ``adapters/``, ``ml/``, the Prometheus
and demo metric sources) and are wired together in one composition root (:mod:`bot.app`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.model import ConversationKey, Reply
from intents.model import Intent, Turn

# --------------------------------------------------------------------------- context


class ContextStore(Protocol):
    """Remembers recent turns per conversation so follow-ups ("and memory?") resolve.

    Contract: ``recent`` returns at most ``limit`` turns, oldest first, only those younger
    than the store's TTL; ``append`` keeps a bounded history and refreshes the TTL. Both raise
    :class:`bot.errors.DependencyError` when the backend is unreachable (the caller then
    answers without context). ``ping`` raises the same when the backend is down.
    """

    async def recent(self, key: ConversationKey, limit: int = 10) -> list[Turn]: ...

    async def append(self, key: ConversationKey, turn: Turn) -> None: ...

    async def clear(self, key: ConversationKey) -> None: ...

    async def ping(self) -> None: ...


# --------------------------------------------------------------------------- metrics


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
    ...; see :mod:`bot.catalog`) of one target or of all of them over a window, optionally
    at a latency ``quantile``; how that becomes a query is the source's business. ``query``
    and ``query_range`` run a raw PromQL expression for the ``promql`` intent only.
    ``target_names`` lists every target users may name; ``target_labels`` says which
    labels carry those names (``instance`` values are compared without their ``:port``).
    ``targets`` are the scrape targets and whether they are up. ``description`` is shown
    to users as provenance ("demo data", "Prometheus").

    Methods raise :class:`bot.errors.InvalidInput` for a question the source cannot answer
    (a bad expression, a quantile its catalog cannot give) and
    :class:`bot.errors.DependencyError` when the backend is down or slower than its timeout.
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

    async def alerts(self) -> list[Alert]: ...


# --------------------------------------------------------------------------- ml


@dataclass(frozen=True, slots=True)
class Finding:
    """An anomalous span found in one series."""

    series: str
    metric: str | None
    target: str | None
    start: float
    end: float
    ongoing: bool
    peak_score: float
    peak_value: float
    expected_low: float
    expected_high: float
    deviation: float
    explanation: str


class TextClassifier(Protocol):
    """Free-text intent classifier (scikit-learn lives behind this, in ``ml/``)."""

    def predict(self, text: str) -> Sequence[tuple[str, float]]:
        """Labels with probabilities, most likely first."""
        ...


class IntentParserPort(Protocol):
    """Turns text plus the conversation so far into an intent (see :mod:`intents.parser`)."""

    def parse(
        self, text: str, history: Sequence[Turn] = (), now: float | None = None
    ) -> Intent: ...


class AnomalyDetector(Protocol):
    """Scores series causally and returns ranked findings (implemented in ``ml/anomaly``).

    ``find`` returns the findings of every ``(name, series)`` pair, strongest first. Callers
    pass more history than the question covers, with ``since`` = the start of the range
    asked about: the earlier rows only teach the detector what is normal, and only spans
    still running at or after ``since`` are reported. ``name`` identifies the series (fitted
    state is cached under it), so it must differ between series.
    """

    async def find(
        self,
        series: Sequence[tuple[str, Series]],
        *,
        metric: str | None = None,
        target: str | None = None,
        since: float | None = None,
    ) -> list[Finding]: ...


@dataclass(frozen=True, slots=True)
class ForecastPath:
    """Where a series is heading: the expected path and its band (``coverage``: nominal share
    of future values inside it) at ``timestamps`` after the last sample."""

    timestamps: tuple[float, ...]
    mean: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    coverage: float


@dataclass(frozen=True, slots=True)
class ForecastAnswer:
    """A forecast of one series: its path, its trend (``per_hour``, ``rising``/``falling``/
    ``flat``), since when that trend holds, and, when a threshold was asked about, when it
    is reached (``crossing``: ``crosses``, ``already`` or ``not_at_current_rate``, with the
    ``reason``: ``flat``, ``moving_away``, ``beyond_horizon``). ``earliest``/``likely``/
    ``latest`` are Unix seconds (``latest`` None: the band's far edge never gets there)."""

    path: ForecastPath
    per_hour: float
    direction: str
    trend_since: float
    now_value: float
    crossing: str | None = None
    reason: str | None = None
    earliest: float | None = None
    likely: float | None = None
    latest: float | None = None


class Forecaster(Protocol):
    """Forecasts one series ``horizon`` seconds ahead (implemented in ``ml/forecast``).

    With a ``threshold`` it also says when the series reaches it (``direction``: ``above``
    or ``below``; None: away from where it is now). Raises :class:`bot.errors.UserError`
    when the history cannot support a forecast (too short, constant), saying what is needed.
    """

    async def forecast(
        self,
        series: Series,
        *,
        horizon: float,
        threshold: float | None = None,
        direction: str | None = None,
    ) -> ForecastAnswer: ...


# --------------------------------------------------------------------------- coordination


class DedupeStore(Protocol):
    """Shared "have we done this already?" across replicas (Redis ``SET NX EX``; in memory for
    one process). Used for platform retries, duplicate deliveries and alert posts."""

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        """True for the first caller of ``key`` within ``ttl_seconds``; False for every other.

        Raises :class:`bot.errors.DependencyError` when the backend is down (callers that
        must not double-post should then fail closed)."""
        ...


# --------------------------------------------------------------------------- proactive posts


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A place to post to without being asked (alerts, findings, digests), by immutable ids."""

    platform: str
    team_id: str
    channel_id: str
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class PostedRef:
    """A message the bot posted, so it can be updated in place later (survives restarts when
    stored)."""

    platform: str
    channel_id: str
    message_id: str
    thread_id: str | None = None


class ChannelPoster(Protocol):
    """Proactive posting on one platform (each adapter provides one).

    ``post`` raises :class:`bot.errors.NotFoundError` for a channel the bot cannot post to
    (e.g. a Teams conversation the bot has never been in) and
    :class:`bot.errors.AdapterError` when the platform fails; never drops silently.
    """

    platform: str

    async def post(self, channel: ChannelRef, reply: Reply) -> PostedRef: ...

    async def update(self, posted: PostedRef, reply: Reply) -> None: ...


class Publisher(Protocol):
    """Posts a notification to every channel subscribed to it, on every platform.

    ``key`` identifies the thing being posted (an Alertmanager group, an anomaly finding,
    a digest): the first ``publish`` of a key posts it once per subscribed channel (once
    across replicas), later publishes of the same key update those posts in place.
    ``severity`` and ``target`` select the subscriptions whose filters match.
    """

    async def publish(
        self, key: str, reply: Reply, *, severity: str, target: str | None = None
    ) -> int:
        """Number of channels posted to or updated."""
        ...
