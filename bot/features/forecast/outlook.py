"""Near-term forecasts nobody asked for: "db-primary disk full in about 18 h".

The bot looks ahead on its own in two places: the scheduled scan posts a forecast crossing
once per episode (:mod:`bot.features.scheduler.forecast_watch`), and the open questions
("anything odd?", "is everything ok?") list what will fill up soon. Both read every series of
the metrics that fill up (:data:`~bot.features.metrics.catalog.CAPACITY_METRICS`) against the
catalog's limit (:data:`~bot.features.metrics.catalog.LIMITS`), from the same week of history
that "when will db-primary's disk be full?" uses, so all three agree.

A series gets a verdict only when it can: one that stopped reporting, whose history is too
short, or whose forecast fails is left out (never "clear"), so a scrape gap cannot end an
episode.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.formatting import PERCENT, format_duration, format_value, format_when
from bot.features.forecast.ports import ForecastAnswer, Forecaster
from bot.features.metrics.catalog import CAPACITY_METRICS, LIMITS, METRIC_INFO, MetricInfo
from bot.features.metrics.lookup import fetch_series
from bot.features.metrics.ports import MetricsSource, Series, Window
from bot.features.metrics.targets import TargetDirectory

log = logging.getLogger(__name__)

HISTORY_SECONDS = 7 * 86400.0
HISTORY_STEP = 300.0
#: A series whose last sample is older than this has no verdict (its target may be down).
STALE_SECONDS = 3600.0
#: Series forecast per metric at most (a big fleet stays bounded).
MAX_SERIES_PER_METRIC = 100

CROSSES, ALREADY, CLEAR = "crosses", "already", "clear"


@dataclass(frozen=True, slots=True)
class LimitOutlook:
    """Where one series stands against its limit.

    ``status`` is :data:`CROSSES` (reaches ``threshold`` within the horizon it was forecast
    over, most likely at ``likely``; ``earliest``/``latest`` are the band's edges, ``latest``
    None when the far edge never gets there), :data:`ALREADY` (past it now) or :data:`CLEAR`
    (does not reach it within the horizon at the current rate). Times are Unix seconds.
    """

    target: str
    metric: str
    threshold: float
    status: str
    now_value: float
    per_hour: float
    earliest: float | None = None
    likely: float | None = None
    latest: float | None = None

    @property
    def info(self) -> MetricInfo:
        return METRIC_INFO[self.metric]

    @property
    def label(self) -> str:
        """``db-primary disk``, ``web-1 CPU``."""
        title = self.info.title
        return f"{self.target} {title if title.isupper() else title.lower()}"

    def within(self, seconds: float, now: float) -> bool:
        """Past the limit now, or most likely there within ``seconds`` of ``now``."""
        if self.status == ALREADY:
            return True
        return self.status == CROSSES and self.likely is not None and self.likely - now <= seconds

    def headline(self, now: float) -> str:
        """``db-primary disk full (100 %) in about 36 h, around Thu 02:36 UTC`` (one line)."""
        level = level_text(self.info, self.threshold)
        if self.status == ALREADY:
            return f"{self.label} already {level}: {format_value(self.now_value, self.info.unit)}"
        if self.likely is None:
            return f"{self.label} not {level} soon"
        return (
            f"{self.label} {level} in about {span_text(max(self.likely - now, 60.0))}, "
            f"around {format_when(self.likely, now)}"
        )

    def sentence(self, now: float) -> str:
        """``Disk of db-primary reaches full (100 %) in 35 h to 36 h, around Thu 02:36 UTC
        (most likely). Now 88 %, rising 0.33 points/h.``"""
        info, unit = self.info, self.info.unit
        who = f"{info.title} of {self.target}"
        level = level_text(info, self.threshold)
        value = format_value(self.now_value, unit)
        if self.status == ALREADY:
            return f"{who} is already past {level}: {value} now."
        if self.likely is None:
            return f"{who} does not reach {level} soon at the current rate. Now {value}."
        earliest = self.earliest if self.earliest is not None else self.likely
        within = range_text(earliest - now, None if self.latest is None else self.latest - now)
        return (
            f"{who} reaches {level} in {within}, around {format_when(self.likely, now)} "
            f"(most likely). Now {value}, {rate_text(self.per_hour, unit)}."
        )


async def forecast_outlooks(
    source: MetricsSource,
    directory: TargetDirectory,
    forecaster: Forecaster,
    *,
    now: float,
    horizon: float,
    metrics: Sequence[str] = CAPACITY_METRICS,
    targets: Sequence[str | None] = (None,),
    cap: int = MAX_SERIES_PER_METRIC,
) -> list[LimitOutlook]:
    """The outlook of every series of ``metrics`` (those with a catalog limit) of ``targets``
    (None: every target) ``horizon`` seconds ahead; past the limit first, then soonest.

    Series without a verdict are left out (see the module doc); an unknown target is skipped.
    """
    window = Window(now - HISTORY_SECONDS, now, HISTORY_STEP)
    named: list[tuple[str, str, Series]] = []
    for metric in (m for m in metrics if m in LIMITS):
        found: list[tuple[str, str, Series]] = []
        for target in targets:
            try:
                lookup = await fetch_series(source, directory, metric, target, window)
            except UserError as exc:
                log.info("forecast outlook: skipping %s of %s: %s", metric, target, exc)
                continue
            found.extend((name, metric, s) for name, s in lookup.series if _live(s, now))
        named.extend(found[:cap])
    outlooks = await asyncio.gather(
        *(_outlook(forecaster, name, metric, s, horizon) for name, metric, s in named)
    )
    return sorted((o for o in outlooks if o is not None), key=_urgency)


async def _outlook(
    forecaster: Forecaster, target: str, metric: str, series: Series, horizon: float
) -> LimitOutlook | None:
    threshold = LIMITS[metric]
    steady = _steady(target, metric, series, threshold)
    if steady is not None:
        return steady
    try:
        answer = await forecaster.forecast(
            series, horizon=horizon, threshold=threshold, direction="above"
        )
    except UserError as exc:
        log.info("forecast outlook: no forecast of %s %s: %s", target, metric, exc)
        return None
    return _from_answer(target, metric, threshold, answer)


def _from_answer(
    target: str, metric: str, threshold: float, answer: ForecastAnswer
) -> LimitOutlook:
    status = {"crosses": CROSSES, "already": ALREADY}.get(answer.crossing or "", CLEAR)
    return LimitOutlook(
        target,
        metric,
        threshold,
        status,
        answer.now_value,
        answer.per_hour,
        answer.earliest if status == CROSSES else None,
        answer.likely if status == CROSSES else None,
        answer.latest if status == CROSSES else None,
    )


def _steady(target: str, metric: str, series: Series, threshold: float) -> LimitOutlook | None:
    """A series that has not moved at all stays where it is (no model needed, and the
    forecaster refuses a constant series)."""
    values = {v for v in series.values if math.isfinite(v)}
    if len(values) != 1:
        return None
    level = values.pop()
    status = ALREADY if level >= threshold else CLEAR
    return LimitOutlook(target, metric, threshold, status, level, 0.0)


def _live(series: Series, now: float) -> bool:
    return bool(series.timestamps) and now - series.timestamps[-1] <= STALE_SECONDS


def _urgency(outlook: LimitOutlook) -> tuple[int, float, str]:
    rank = {ALREADY: 0, CROSSES: 1}.get(outlook.status, 2)
    return rank, outlook.likely if outlook.likely is not None else math.inf, outlook.label


# --------------------------------------------------------------------------- wording


def level_text(info: MetricInfo, threshold: float) -> str:
    """``full (100 %)`` for a disk or memory at its limit, else the value (``300 ms``)."""
    if info.name in CAPACITY_METRICS and threshold >= 100:
        return "full (100 %)"
    return format_value(threshold, info.unit)


def rate_text(per_hour: float, unit: str) -> str:
    """``rising 0.33 points/h`` (a percentage moves in points), ``flat``."""
    if per_hour == 0:
        return "flat"
    size = abs(per_hour)
    amount = f"{size:.2g} points" if unit == PERCENT else format_value(size, unit)
    return f"{'rising' if per_hour > 0 else 'falling'} {amount}/h"


def range_text(first: float, last: float | None) -> str:
    """``9 h to 13 h``, ``9 h or more`` (no far edge), ``9 h`` when both round alike."""
    low = span_text(max(first, 60.0))
    if last is None:
        return f"{low} or more"
    high = span_text(max(last, first, 60.0))
    return low if low == high else f"{low} to {high}"


def span_text(seconds: float) -> str:
    """Hours and days the way people round them ("9 h", "2d 4h", "45m")."""
    if seconds >= 86400 * 2:
        return format_duration(round(seconds / 3600) * 3600)
    if seconds >= 3600:
        return f"{round(seconds / 3600)} h"
    return format_duration(round(seconds / 60) * 60)
