"""When a series reaches a threshold: earliest / likely / latest, or "not at the current rate".

The model is evaluated on a fine grid up to the horizon and the first sample at or past the
threshold is located, interpolating linearly within the grid step, for three paths: the
mean (``likely``), the band's edge nearer the threshold (``earliest``) and the farther edge
(``latest``). With a daily rhythm a path can touch the threshold at a daily peak before the
trend gets there; that first touch is what "will it go over 300 ms today?" asks for.
"""

from __future__ import annotations

import math

import numpy as np

from ml.forecast.model import COVERAGE, FittedModel, TrendDirection
from ml.forecast.predict import MAX_POINTS
from ml.forecast.results import Crossing, CrossingStatus, Direction, NoCrossingReason
from ml.forecast.series import FloatArray, ForecastInputError


def crossing(
    model: FittedModel, threshold: float, horizon: float, direction: Direction | None = None
) -> Crossing:
    """When the series first reaches ``threshold`` within ``horizon`` seconds of its last sample.

    ``direction`` defaults to ``ABOVE`` when the current value is below the threshold and
    ``BELOW`` otherwise. See :class:`Crossing` for the meaning of the result.
    """
    if not (math.isfinite(threshold) and math.isfinite(horizon) and horizon > 0):
        raise ForecastInputError("the threshold must be a number and the horizon positive")
    current = float(model.mean(np.array([model.origin]))[0])
    if direction is None:
        direction = Direction.ABOVE if current < threshold else Direction.BELOW
    sign = 1.0 if direction is Direction.ABOVE else -1.0
    answer = _Answer(model, threshold, direction, current, model.origin + horizon)
    if sign * (current - threshold) >= 0:
        return answer.make(CrossingStatus.ALREADY, None, (None, None, None))
    times = _grid(model, horizon)
    lower, upper = model.band(times)
    near, far = (upper, lower) if direction is Direction.ABOVE else (lower, upper)
    paths = (near, model.mean(times), far)
    earliest, likely, latest = (_first_reach(times, sign * (p - threshold)) for p in paths)
    if likely is not None:
        return answer.make(CrossingStatus.CROSSES, None, (earliest, likely, latest))
    reason = _why_not(model, direction)
    return answer.make(CrossingStatus.NOT_AT_CURRENT_RATE, reason, (earliest, None, None))


class _Answer:
    """The fields of a :class:`Crossing` that do not depend on the outcome."""

    def __init__(
        self,
        model: FittedModel,
        threshold: float,
        direction: Direction,
        current: float,
        horizon_end: float,
    ) -> None:
        self.model, self.threshold, self.direction = model, threshold, direction
        self.current, self.horizon_end = current, horizon_end

    def make(
        self,
        status: CrossingStatus,
        reason: NoCrossingReason | None,
        times: tuple[float | None, float | None, float | None],
    ) -> Crossing:
        earliest, likely, latest = times
        return Crossing(
            threshold=self.threshold,
            direction=self.direction,
            status=status,
            reason=reason,
            earliest=earliest,
            likely=likely,
            latest=latest,
            current=self.current,
            horizon_end=self.horizon_end,
            coverage=COVERAGE,
            trend=self.model.trend,
        )


def _grid(model: FittedModel, horizon: float) -> FloatArray:
    """From the last sample to the horizon, at the sample spacing or finer than 1/MAX_POINTS."""
    step = min(model.step, horizon / 100)
    step = max(step, horizon / MAX_POINTS)
    n = math.ceil(horizon / step - 1e-9)
    times: FloatArray = model.origin + np.minimum(step * np.arange(n + 1), horizon)
    return times


def _first_reach(times: FloatArray, excess: FloatArray) -> float | None:
    """First time ``excess`` reaches 0, interpolated within the step; ``None`` if never."""
    hits = np.flatnonzero(excess >= 0)
    if len(hits) == 0:
        return None
    i = int(hits[0])
    if i == 0:
        return float(times[0])
    before, after = float(excess[i - 1]), float(excess[i])
    share = -before / (after - before)
    return float(times[i - 1] + share * (times[i] - times[i - 1]))


def _why_not(model: FittedModel, direction: Direction) -> NoCrossingReason:
    trend = model.trend
    if not trend.significant:
        return NoCrossingReason.FLAT
    towards = TrendDirection.RISING if direction is Direction.ABOVE else TrendDirection.FALLING
    if trend.direction is not towards:
        return NoCrossingReason.MOVING_AWAY
    return NoCrossingReason.BEYOND_HORIZON
