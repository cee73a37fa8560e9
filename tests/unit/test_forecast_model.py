"""The fitted model: robust to resets, outliers and gaps; a rhythm only where there is one."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ml.forecast import (
    COVERAGE,
    DAY,
    FittedModel,
    TrendDirection,
    crossing,
    fit,
    forecast,
    value_at,
)
from ml.forecast.series import FloatArray

T0 = 1_700_000_000.0
STEP = 300.0
HOUR = 3600.0


def times(n: int, step: float = STEP) -> FloatArray:
    return T0 + step * np.arange(n, dtype=np.float64)


def noisy(level: FloatArray, seed: int, sd: float = 0.5) -> FloatArray:
    return level + np.random.default_rng(seed).normal(0.0, sd, len(level))


def fill(t: FloatArray, start: float, per_hour: float) -> FloatArray:
    return start + per_hour * (t - t[0]) / HOUR


def test_cleanup_in_history_does_not_ruin_the_trend() -> None:
    """Disk filled to 90 %, was cleaned to 40 % two days ago and fills again at 0.5 %/h."""
    t = times(2016)
    y = fill(t, 20.0, 0.5)
    cleanup = 2016 - 576
    y[cleanup:] = fill(t[cleanup:], 40.0, 0.5)
    model = fit(t, noisy(y, 10))
    assert model.regime_start == t[cleanup]
    assert model.trend.per_hour == pytest.approx(0.5, rel=0.05)
    assert model.level == pytest.approx(y[-1], abs=0.3)


def test_fill_that_started_recently_uses_the_recent_rate() -> None:
    """Flat at 78 % for days, then filling for the last 30 h: the rate is the recent one."""
    t = times(2016)
    start = 2016 - 360
    y = np.full(2016, 78.0)
    y[start:] = fill(t[start:], 78.0, 1 / 3)
    model = fit(t, noisy(y, 11, sd=0.15))
    assert abs(model.regime_start - t[start]) <= 6 * STEP
    assert model.trend.per_hour == pytest.approx(1 / 3, rel=0.05)


def test_outliers_do_not_pull_the_trend() -> None:
    """Five per cent of samples are +50 spikes; the slope and level stay put."""
    t = times(1000)
    y = noisy(fill(t, 30.0, 0.2), 12)
    spikes = np.random.default_rng(13).choice(1000, 50, replace=False)
    y[spikes] += 50.0
    model = fit(t, y)
    assert model.trend.per_hour == pytest.approx(0.2, rel=0.05)
    assert model.level == pytest.approx(30.0 + 0.2 * 999 * STEP / HOUR, abs=0.3)


def test_nan_gaps_are_skipped() -> None:
    """A fill with a third of its samples missing, in runs, gives the same rate."""
    t = times(1000)
    y = noisy(fill(t, 30.0, 0.2), 14)
    y[200:400] = np.nan
    y[700:820] = np.nan
    y[::7] = np.nan
    model = fit(t, y)
    assert model.trend.per_hour == pytest.approx(0.2, rel=0.05)
    assert model.origin == t[-1]


def test_trailing_gap_moves_the_origin_to_the_last_sample() -> None:
    """Forecasts start at the last finite sample, not at the last row."""
    t = times(300)
    y = noisy(fill(t, 30.0, 0.2), 15)
    y[-20:] = np.nan
    assert fit(t, y).origin == t[-21]


def test_value_tomorrow_with_its_band() -> None:
    """Tomorrow's value of a 0.5 %/h fill is 12 points higher, inside a band that holds it."""
    t = times(864)
    y = noisy(fill(t, 40.0, 0.5), 16)
    model = fit(t, y)
    tomorrow = value_at(model, model.origin + DAY)
    truth = 40.0 + 0.5 * (model.origin + DAY - T0) / HOUR
    assert tomorrow.coverage == COVERAGE
    assert tomorrow.mean == pytest.approx(truth, abs=1.0)
    assert tomorrow.lower < truth < tomorrow.upper
    assert tomorrow.upper - tomorrow.lower < 5.0


def test_band_widens_with_the_horizon() -> None:
    t = times(600)
    path = forecast(fit(t, noisy(fill(t, 40.0, 0.5), 17)), 3 * DAY)
    width = path.upper - path.lower
    assert width[-1] > width[0]
    assert np.all(path.lower <= path.mean)
    assert np.all(path.mean <= path.upper)
    assert path.timestamps[0] == t[-1] + STEP
    assert path.timestamps[-1] == t[-1] + 3 * DAY


def test_band_coverage_is_near_nominal() -> None:
    """Over 200 noisy trends, the 80 % band holds 75-86 % of the next day's samples."""
    rng = np.random.default_rng(18)
    inside, total = 0, 0
    t = times(576 + 288)
    for _ in range(200):
        slope, sd = rng.uniform(-1, 1), rng.uniform(0.2, 3)
        y = 50 + slope * (t - T0) / HOUR + rng.normal(0, sd, len(t))
        model = fit(t[:576], y[:576])
        lower, upper = model.band(t[576:])
        inside += int(((y[576:] >= lower) & (y[576:] <= upper)).sum())
        total += 288
    assert 0.75 <= inside / total <= 0.86


def test_daily_rhythm_is_found_and_followed() -> None:
    """Three days of a ±20 daily swing: the rhythm is modelled and tomorrow's peak forecast."""
    t = times(3 * 288)
    y = noisy(100.0 + 20.0 * np.sin(2 * np.pi * t / DAY), 19, sd=2.0)
    model = fit(t, y)
    path = forecast(model, DAY)
    truth = 100.0 + 20.0 * np.sin(2 * np.pi * path.timestamps / DAY)
    assert model.season is not None
    assert model.season.amplitude == pytest.approx(20.0, rel=0.1)
    assert np.abs(path.mean - truth).max() < 3.0


def test_no_rhythm_without_one() -> None:
    """A week of a plain trend with noise has no daily rhythm."""
    t = times(2016)
    assert fit(t, noisy(fill(t, 10.0, 0.1), 20)).season is None


def test_no_rhythm_from_a_single_day() -> None:
    """One day of a daily swing is not enough history to call it a rhythm."""
    t = times(288)
    y = noisy(100.0 + 20.0 * np.sin(2 * np.pi * t / DAY), 21)
    assert fit(t, y).season is None


def test_no_rhythm_from_part_of_each_day() -> None:
    """Samples only from 08:00 to 16:00 UTC cannot confirm a daily shape (and do not crash)."""
    t = times(4 * 288)
    y = noisy(100.0 + 20.0 * np.sin(2 * np.pi * t / DAY), 27)
    y[~((t % DAY >= 8 * HOUR) & (t % DAY < 16 * HOUR))] = np.nan
    assert fit(t, y).season is None


def test_band_widens_for_wandering_noise() -> None:
    """Residuals that drift (a random walk) get a wider band a day ahead than white noise."""
    t = times(2016)
    rng = np.random.default_rng(28)
    white = fit(t, 50.0 + rng.normal(0.0, 1.0, 2016))
    walk = fit(t, 50.0 + np.cumsum(rng.normal(0.0, 0.1, 2016)))
    day = np.array([t[-1] + DAY])

    def width(model: FittedModel) -> float:
        lower, upper = model.band(day)
        return float(upper[0] - lower[0]) / (model.noise.high + model.noise.low)

    assert width(walk) > 2 * width(white)


def test_slow_week_long_fill_is_not_flat() -> None:
    """+5 % over 7 days with noise twice the hourly rise is a significant rising trend."""
    t = times(2016)
    trend = fit(t, noisy(fill(t, 60.0, 5 / 168), 22, sd=0.06)).trend
    assert trend.significant
    assert trend.direction is TrendDirection.RISING
    assert trend.per_hour == pytest.approx(5 / 168, rel=0.1)
    assert trend.describe("%") == f"rising {trend.per_hour:.3g} % per hour"


def test_noise_is_flat() -> None:
    t = times(2016)
    trend = fit(t, noisy(np.full(2016, 60.0), 23)).trend
    assert not trend.significant
    assert trend.direction is TrendDirection.FLAT
    assert trend.describe() == "flat (no significant trend)"


def test_hours_of_history_are_enough() -> None:
    """Two hours of 1-minute samples of a fast fill give a crossing in the right hour."""
    t = times(120, step=60.0)
    model = fit(t, noisy(fill(t, 50.0, 10.0), 24, sd=0.3))
    full = crossing(model, 100.0, DAY)
    assert full.likely is not None
    assert abs(full.likely - (T0 + 5 * HOUR)) < 0.5 * HOUR


def test_long_high_resolution_history_is_thinned() -> None:
    """Two weeks of 1-minute samples fit on block medians, with the same rate."""
    t = times(20_160, step=60.0)
    model = fit(t, noisy(fill(t, 10.0, 0.2), 25))
    assert model.trend.per_hour == pytest.approx(0.2, rel=0.02)
    assert model.step == 60.0


def test_a_week_at_five_minutes_is_cheap() -> None:
    """Fit plus a 7-day forecast plus a crossing stays well inside a chat reply's budget."""
    t = times(2016)
    y = noisy(fill(t, 40.0, 0.1) + 5 * np.sin(2 * np.pi * t / DAY), 26)
    fit(t, y)
    start = time.perf_counter()
    model = fit(t, y)
    forecast(model, 7 * DAY)
    crossing(model, 100.0, 7 * DAY)
    assert time.perf_counter() - start < 0.2
