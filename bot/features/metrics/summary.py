"""What a range of samples says in one line: now, min, max, average and the trend.

The trend compares the average of the last quarter of the window with the first quarter, so
one noisy sample at either end does not flip it. A percentage metric changes by *points*
("up 10 points", not "up 53 %"), and under one point is flat; any other metric changes by
percent, and under 5 % is flat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.core.formatting import PERCENT, format_value
from bot.features.metrics.ports import Series

FLAT_PERCENT = 5.0
FLAT_POINTS = 1.0
_EPSILON = 1e-12


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
    return SeriesSummary(
        name=name,
        now=values[-1],
        now_at=pairs[-1][0],
        minimum=min(values),
        maximum=max(values),
        average=sum(values) / len(values),
        trend=trend(values, unit),
        points=len(values),
    )


def trend(values: list[float], unit: str = "") -> Trend:
    """Last quarter's average against the first quarter's."""
    if len(values) < 2:
        return Trend("flat", 0.0)
    quarter = max(1, len(values) // 4)
    first = sum(values[:quarter]) / quarter
    last = sum(values[-quarter:]) / quarter
    delta = last - first
    if unit == PERCENT:
        direction = "flat" if abs(delta) < FLAT_POINTS else ("up" if delta > 0 else "down")
        return Trend(direction, None, delta)
    if abs(first) < _EPSILON:
        if abs(delta) < _EPSILON:
            return Trend("flat", 0.0)
        return Trend("up" if delta > 0 else "down", None)
    percent = 100.0 * delta / abs(first)
    if abs(percent) < FLAT_PERCENT:
        return Trend("flat", percent)
    return Trend("up" if percent > 0 else "down", percent)
