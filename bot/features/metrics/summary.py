"""What a range of samples says in one line: now, min, max, average and the trend.

The trend is the change from where the window started to where it ended: each end's level is
a robust line through that end's twentieth of the samples (at least three, at most four hours
of them), read at the end itself. So a disk that filled 10 points over the last day of a week
reads "up 10 points", not the fraction of it left after averaging quarters, and one noisy
sample at either end does not flip it. A window of whole days starts and ends at the same time
of day, so a daily rhythm cancels out (the edges are kept short so the lines do not bend with
it). A change is "flat" when it is under one point (a percentage metric, which changes by
*points*: "up 10 points", not "up 53 %") or under 5 % (any other metric), or when it is within
three times the noise around those lines.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from bot.core.formatting import PERCENT, format_value
from bot.features.metrics.ports import Series

FLAT_PERCENT = 5.0
FLAT_POINTS = 1.0
_EPSILON = 1e-12
#: Each end's level is read from this share of the samples (1/20), at least 3 of them and at
#: most 4 hours' worth (a longer edge bends with a daily rhythm and reads it as a trend).
_EDGE_SHARE, _MIN_EDGE, _MAX_EDGE_SECONDS = 20, 3, 4 * 3600.0
#: A change within this many noise scales of zero is flat.
_NOISE_FACTOR = 3.0
_MAD_SCALE = 1.4826


@dataclass(frozen=True, slots=True)
class Trend:
    """Direction (``up``, ``down`` or ``flat``) and the change: in percent (None from zero),
    or in points (``points``) for a metric that is itself a percentage."""

    direction: str
    percent: float | None
    points: float | None = None

    def describe(self) -> str:
        if self.points is not None and self.direction != "flat":
            size = abs(self.points)
            return (
                f"{self.direction} {size:.0f} points"
                if size >= 10
                else (f"{self.direction} {size:.1f} points")
            )
        if self.direction == "flat" or self.percent is None:
            return self.direction if self.direction == "flat" else f"{self.direction} from 0"
        return f"{self.direction} {abs(self.percent):.0f} %"


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """The figures of one series over the asked window (NaN samples ignored)."""

    name: str
    now: float
    now_at: float
    minimum: float
    maximum: float
    average: float
    trend: Trend
    points: int

    def headline(self, unit: str) -> str:
        """``42 % now (avg 35 %, max 80 %), up 18 %`` for one line of a list."""
        return (
            f"{format_value(self.now, unit)} now (avg {format_value(self.average, unit)}, "
            f"max {format_value(self.maximum, unit)}), {self.trend.describe()}"
        )


def summarise(name: str, series: Series, unit: str = "") -> SeriesSummary | None:
    """The summary of ``series`` (in ``unit``), or None when it holds no finite sample."""
    pairs = [
        (t, v) for t, v in zip(series.timestamps, series.values, strict=True) if math.isfinite(v)
    ]
    if not pairs:
        return None
    values = [v for _, v in pairs]
    step = (pairs[-1][0] - pairs[0][0]) / (len(pairs) - 1) if len(pairs) > 1 else 0.0
    return SeriesSummary(
        name=name,
        now=values[-1],
        now_at=pairs[-1][0],
        minimum=min(values),
        maximum=max(values),
        average=sum(values) / len(values),
        trend=trend(values, unit, step=step),
        points=len(values),
    )


def trend(values: list[float], unit: str = "", *, step: float = 0.0) -> Trend:
    """The change from the first samples' level to the last samples' (see the module doc);
    ``step`` is the seconds between samples (0: unknown, no cap on the edges' length)."""
    if len(values) < 2:
        return Trend("flat", 0.0)
    edge = len(values) // _EDGE_SHARE
    if step > 0:
        edge = min(edge, int(_MAX_EDGE_SECONDS / step))
    edge = min(len(values), max(_MIN_EDGE, edge))
    first, first_noise = _level(values[:edge], at_end=False)
    last, last_noise = _level(values[-edge:], at_end=True)
    delta = last - first
    within_noise = abs(delta) < _NOISE_FACTOR * max(first_noise, last_noise)
    if unit == PERCENT:
        flat = abs(delta) < FLAT_POINTS or within_noise
        return Trend("flat" if flat else "up" if delta > 0 else "down", None, delta)
    if abs(first) < _EPSILON:
        if abs(delta) < _EPSILON or within_noise:
            return Trend("flat", 0.0)
        return Trend("up" if delta > 0 else "down", None)
    percent = 100.0 * delta / abs(first)
    if abs(percent) < FLAT_PERCENT or within_noise:
        return Trend("flat", percent)
    return Trend("up" if percent > 0 else "down", percent)


def _level(edge: list[float], *, at_end: bool) -> tuple[float, float]:
    """A robust line through ``edge`` (the median of slopes half the edge apart, and the
    median intercept), read at its outer end; and the noise around it (scaled MAD)."""
    half = max(1, len(edge) // 2)
    slopes = [(edge[i + half] - edge[i]) / half for i in range(len(edge) - half)]
    slope = statistics.median(slopes) if slopes else 0.0
    intercept = statistics.median(v - slope * i for i, v in enumerate(edge))
    residuals = [abs(v - intercept - slope * i) for i, v in enumerate(edge)]
    at = len(edge) - 1 if at_end else 0
    return intercept + slope * at, _MAD_SCALE * statistics.median(residuals)
