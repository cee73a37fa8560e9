"""How a target is doing overall: "how's payments doing?", "what's wrong with checkout-api?",
"is search ok?". One answer from every angle the bot has: up or down (since when), the alerts
firing on it, what looks unusual in its metrics, and its key metrics now.

The verdict is the worst of them: down, then a critical alert, then a warning alert or an
ongoing anomaly ("degraded"); only a target with none of these is "ok". Without a target the
answer is the fleet's ("is everything ok?"): what is down, what fires and what fills up soon,
worst first (:mod:`bot.features.health.overview`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.errors import NotFoundError, UserError
from bot.core.formatting import format_ago, format_value, format_when, value_range
from bot.core.model import Field, Reply, Severity
from bot.core.registry import Request
from bot.features.anomaly.ports import AnomalyDetector, Finding
from bot.features.forecast.ports import Forecaster
from bot.features.health.overview import look
from bot.features.metrics.catalog import METRIC_INFO
from bot.features.metrics.lookup import SeriesLookup, fetch_series
from bot.features.metrics.ports import Alert, AlertSource, MetricsSource, TargetHealth, Window
from bot.features.metrics.status import StatusQueries
from bot.features.metrics.tables import plural
from bot.features.metrics.targets import TargetDirectory
from intents.model import METRICS

LOOK_BACK = 86400.0
STEP = 300.0
UNUSUAL_SINCE = 3 * 3600.0
KEY_METRICS = 6


@dataclass(frozen=True, slots=True)
class _Picture:
    scrape: tuple[TargetHealth, ...]
    firing: tuple[Alert, ...]
    lookups: tuple[SeriesLookup, ...]
    unusual: tuple[Finding, ...]

    @property
    def down(self) -> list[TargetHealth]:
        return [t for t in self.scrape if not t.up]

    def verdict(self) -> tuple[str, Severity]:
        if self.down:
            return "down", Severity.CRITICAL
        if any(a.severity == "critical" for a in self.firing):
            return "critical", Severity.CRITICAL
        if self.firing or any(f.ongoing for f in self.unusual):
            return "degraded", Severity.WARNING
        return "ok", Severity.SUCCESS


class HealthCheck:
    """Answers ``health`` from the source, the alerts and the anomaly detector."""

    def __init__(
        self,
        source: MetricsSource,
        status: StatusQueries,
        detector: AnomalyDetector,
        directory: TargetDirectory,
        *,
        alerts: AlertSource | None = None,
        forecaster: Forecaster | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._alerts = alerts
        self._forecaster = forecaster
        self._status = status
        self._detector = detector
        self._directory = directory
        self._clock = clock
        self._footer = f"Source: {source.description}"

    async def health(self, request: Request) -> Reply:
        target = request.intent.slots.get("target")
        if not isinstance(target, str):
            return await self._fleet()
        name = (await self._directory.resolve(target)).name
        picture = await self._picture(name)
        verdict, severity = picture.verdict()
        return Reply(
            title=f"Health · {name}: {verdict}",
            text="\n".join(self._lines(name, picture)),
            fields=_key_metrics(picture.lookups),
            severity=severity,
            footer=self._footer,
        )

    async def _picture(self, name: str) -> _Picture:
        now = self._clock()
        window = Window(now - LOOK_BACK, now, STEP)
        every, (firing, _), lookups = await asyncio.gather(
            self._source.targets(),
            self._status.firing(None, name),
            asyncio.gather(*(self._lookup(m, name, window) for m in METRICS)),
        )
        try:
            scrape = self._status.health_of(name, every)
        except NotFoundError:
            scrape = []  # a name the metrics know but no scrape target carries
        found = [lookup for lookup in lookups if lookup is not None and lookup.series]
        series = [(f"{name}/{lookup.metric}", lookup.series[0][1]) for lookup in found]
        unusual = await self._detector.find(series, target=name, since=now - UNUSUAL_SINCE)
        return _Picture(tuple(scrape), tuple(firing), tuple(found), tuple(unusual))

    async def _lookup(self, metric: str, name: str, window: Window) -> SeriesLookup | None:
        try:
            return await fetch_series(self._source, self._directory, metric, name, window)
        except UserError:
            return None  # a metric this target does not have (or a broken catalog entry)

    def _lines(self, name: str, picture: _Picture) -> list[str]:
        now = self._clock()
        return [
            _scrape_line(name, picture, now),
            _alerts_line(picture.firing, now),
            _unusual_line(picture.unusual, now),
        ]

    async def _fleet(self) -> Reply:
        fleet = await look(
            self._source,
            self._directory,
            now=self._clock(),
            alerts=self._alerts,
            forecaster=self._forecaster,
        )
        attention = fleet.lines()
        if attention:
            head = "Needs attention, worst first:" if len(attention) > 1 else "Needs attention:"
        else:
            head = f"All clear: {fleet.checked()}."
        return Reply(
            title="Health · fleet",
            text="\n".join([head, *attention, _FLEET_HINT]),
            severity=fleet.severity(),
            footer=self._footer,
        )


_FLEET_HINT = "Ask `anything odd?` for unusual metrics, `how's <target> doing?` for one target."


def _scrape_line(name: str, picture: _Picture, now: float) -> str:
    if not picture.scrape:
        return f"{name} is not a scrape target I can see, so up/down is unknown."
    down = picture.down
    if not down:
        return f"Up ({plural(len(picture.scrape), 'scrape target')})."
    first = down[0]
    since = (
        f" since {format_when(first.down_since, now)} ({format_ago(first.down_since, now)})"
        if first.down_since is not None
        else ""
    )
    cause = f": {first.last_error}" if first.last_error else ""
    return f"Down{since}{cause}"


def _alerts_line(firing: Sequence[Alert], now: float) -> str:
    if not firing:
        return "No alerts firing."
    shown = "; ".join(
        f"{a.name} ({a.severity}) since {format_when(a.starts_at, now)}" for a in firing[:3]
    )
    more = f" and {len(firing) - 3} more" if len(firing) > 3 else ""
    return f"Firing: {shown}{more}."


def _unusual_line(findings: Sequence[Finding], now: float) -> str:
    if not findings:
        return "Nothing unusual in its metrics in the last 3 h."
    parts = []
    for finding in findings[:2]:
        info = METRIC_INFO.get(finding.series.rpartition("/")[2])
        unit = info.unit if info else ""
        title = info.title if info else finding.series
        still = "still" if finding.ongoing else "until " + format_when(finding.end, now)
        # A measured quantity never goes below zero, whatever the fitted band says.
        low = max(finding.expected_low, 0.0) if unit else finding.expected_low
        parts.append(
            f"{title} {format_value(finding.peak_value, unit)} vs normal "
            f"{value_range(low, finding.expected_high, unit)} since "
            f"{format_when(finding.start, now)} ({still})"
        )
    return "Unusual: " + "; ".join(parts) + "."


def _key_metrics(lookups: Sequence[SeriesLookup]) -> tuple[Field, ...]:
    fields = []
    for lookup in lookups[:KEY_METRICS]:
        values = [v for v in lookup.series[0][1].values if v == v]
        if values:
            info = METRIC_INFO[lookup.metric]
            fields.append(Field(info.title, format_value(values[-1], info.unit)))
    return tuple(fields)
