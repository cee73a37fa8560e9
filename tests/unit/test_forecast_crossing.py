"""Threshold crossings: when a filling disk is full, and "not at the current rate" otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from ml.forecast import (
    DAY,
    CrossingStatus,
    Direction,
    NoCrossingReason,
    TrendDirection,
    crossing,
    fit,
)
from ml.forecast.series import FloatArray

T0 = 1_700_000_000.0
STEP = 300.0
HOUR = 3600.0


def times(n: int) -> FloatArray:
    return T0 + STEP * np.arange(n, dtype=np.float64)


def noisy(level: FloatArray, seed: int, sd: float = 0.5) -> FloatArray:
    return level + np.random.default_rng(seed).normal(0.0, sd, len(level))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_fill_crosses_at_the_right_time_within_the_band(seed: int) -> None:
    """A disk filling 0.25 %/h from 60 % for 3 days is full 64 h later; the range holds it."""
    t = times(864)
    level = 60.0 + 0.25 * (t - T0) / HOUR
    model = fit(t, noisy(level, seed))
    full = crossing(model, 100.0, 7 * DAY)
    truth = T0 + (100.0 - 60.0) / 0.25 * HOUR
    assert full.status is CrossingStatus.CROSSES
    assert full.direction is Direction.ABOVE
    assert full.likely is not None
    assert full.earliest is not None
    assert full.latest is not None
    assert abs(full.likely - truth) < 2 * HOUR
    assert full.earliest <= truth <= full.latest
    assert full.earliest < full.likely < full.latest


def test_falling_series_crosses_below() -> None:
    """Free space falling 1 unit/h from 80 reaches 20 sixty hours after the start."""
    t = times(300)
    model = fit(t, noisy(80.0 - (t - T0) / HOUR, 3))
    low = crossing(model, 20.0, 3 * DAY)
    assert low.direction is Direction.BELOW
    assert low.status is CrossingStatus.CROSSES
    assert low.likely is not None
    assert abs(low.likely - (T0 + 60 * HOUR)) < HOUR


def test_flat_series_is_not_at_the_current_rate() -> None:
    """Noise around 70 % never reaches 100 %: flat, no likely time."""
    model = fit(times(2016), noisy(np.full(2016, 70.0), 4, sd=2.0))
    full = crossing(model, 100.0, 30 * DAY)
    assert full.status is CrossingStatus.NOT_AT_CURRENT_RATE
    assert full.reason is NoCrossingReason.FLAT
    assert full.likely is None
    assert full.latest is None


def test_falling_series_is_moving_away_from_an_upper_threshold() -> None:
    """A disk that is being emptied will not fill up."""
    t = times(600)
    model = fit(t, noisy(90.0 - 0.2 * (t - T0) / HOUR, 5))
    full = crossing(model, 100.0, 30 * DAY, Direction.ABOVE)
    assert full.status is CrossingStatus.NOT_AT_CURRENT_RATE
    assert full.reason is NoCrossingReason.MOVING_AWAY
    assert full.earliest is None


def test_slow_fill_beyond_the_horizon() -> None:
    """Rising, but not enough to reach the threshold within a day."""
    t = times(600)
    model = fit(t, noisy(10.0 + 0.1 * (t - T0) / HOUR, 6))
    full = crossing(model, 100.0, DAY)
    assert model.trend.direction is TrendDirection.RISING
    assert full.status is CrossingStatus.NOT_AT_CURRENT_RATE
    assert full.reason is NoCrossingReason.BEYOND_HORIZON


def test_already_past_the_threshold() -> None:
    """Asking whether a value at 50 will go above 30 answers "already"."""
    t = times(200)
    model = fit(t, noisy(np.full(200, 50.0), 7))
    above = crossing(model, 30.0, DAY, Direction.ABOVE)
    assert above.status is CrossingStatus.ALREADY
    assert above.likely is None


def test_daily_peak_crosses_before_the_trend_would() -> None:
    """Latency peaking at 16:00 UTC goes over a threshold at today's peak, not in days."""
    t = times(4 * 288)
    hour_of_day = (t % DAY) / HOUR
    rhythm = -np.cos(2 * np.pi * (hour_of_day - 4) / 24)
    model = fit(t, noisy(200.0 + 80.0 * rhythm, 8, sd=5.0))
    peak = crossing(model, 260.0, DAY)
    assert model.season is not None
    assert peak.status is CrossingStatus.CROSSES
    assert peak.likely is not None
    assert peak.likely - model.origin < DAY
    reached_hour = (peak.likely % DAY) / HOUR
    assert 10 < reached_hour < 16


def test_seasonal_series_with_trend_crosses_on_the_rising_trend() -> None:
    """A daily swing on top of a 1 unit/h rise: the crossing comes within a day of the trend's."""
    t = times(5 * 288)
    rhythm = np.sin(2 * np.pi * t / DAY)
    y = noisy(100.0 + (t - T0) / HOUR + 10.0 * rhythm, 9, sd=2.0)
    model = fit(t, y)
    full = crossing(model, 300.0, 10 * DAY)
    trend_time = T0 + 200 * HOUR
    assert model.season is not None
    assert full.status is CrossingStatus.CROSSES
    assert full.likely is not None
    assert full.earliest is not None
    assert full.latest is not None
    assert abs(full.likely - trend_time) < 12 * HOUR
    assert full.earliest <= trend_time <= full.latest + 12 * HOUR
