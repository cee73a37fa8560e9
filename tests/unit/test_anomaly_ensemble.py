"""How the ensemble combines calibrated components, on hand-made component surprises."""

from __future__ import annotations

import numpy as np

from ml.anomaly import COMPONENTS, DetectorParams
from ml.anomaly.components import Component
from ml.anomaly.ensemble import calibrate, combine
from ml.anomaly.model import FloatArray

N = 800
DAILY_ONLY = 600  # the day-over-day view breaks, last week's view is calm
BOTH = 700  # both views break


def component(name: str, surprise: FloatArray) -> Component:
    return Component(name, surprise, 0, np.zeros(N), np.ones(N))


def calm(seed: int) -> FloatArray:
    return np.abs(np.random.default_rng(seed).normal(0.0, 1.0, N))


def seasonal_pair() -> tuple[Component, Component]:
    daily, weekly = calm(1), calm(2)
    daily[DAILY_ONLY] = daily[BOTH] = 40.0
    weekly[BOTH] = 40.0
    return component("daily", daily), component("weekly", weekly)


def test_daily_break_that_last_week_explains_is_capped() -> None:
    """With a weekly rhythm, a daily break the weekly view finds normal does not alert."""
    daily, weekly = seasonal_pair()
    params = DetectorParams()
    combined = combine([component("level", calm(3)), daily, weekly], params)
    alone = calibrate(daily, params)
    assert alone[DAILY_ONLY] > 1.0  # on its own the daily view would alert ...
    assert combined.ratio[DAILY_ONLY] < 1.0  # ... but the weekly view vetoes it
    assert combined.ratio[BOTH] > 1.0
    assert COMPONENTS[combined.driver[BOTH]] in {"daily", "weekly"}


def test_daily_break_counts_in_full_without_a_weekly_rhythm_or_when_disabled() -> None:
    """No weekly component, or agreement 0, leaves the daily ratio untouched."""
    daily, weekly = seasonal_pair()
    params = DetectorParams()
    expected = calibrate(daily, params)[DAILY_ONLY]
    without_weekly = combine([component("level", calm(3)), daily], params)
    assert without_weekly.ratio[DAILY_ONLY] == expected
    off = DetectorParams(daily_weekly_agreement=0.0)
    disabled = combine([component("level", calm(3)), daily, weekly], off)
    assert disabled.ratio[DAILY_ONLY] == calibrate(daily, off)[DAILY_ONLY]


def test_weekly_view_without_enough_history_does_not_veto() -> None:
    """Before the weekly component has calibrated, the daily ratio stands as it is."""
    daily, weekly = seasonal_pair()
    late_weekly = Component("weekly", weekly.surprise, 650, weekly.baseline, weekly.scale)
    params = DetectorParams()
    combined = combine([daily, late_weekly], params)
    assert combined.ratio[DAILY_ONLY] == calibrate(daily, params)[DAILY_ONLY]
