"""The forecaster's input contract: clear user errors for series it cannot forecast."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.errors import UserError
from ml.forecast import (
    MIN_SAMPLES,
    ConstantSeries,
    ForecastInputError,
    InvalidSeries,
    NotEnoughData,
    crossing,
    fit,
    forecast,
    value_at,
)
from ml.forecast.model import FittedModel
from ml.forecast.series import FloatArray

T0 = 1_700_000_000.0
STEP = 300.0


def times(n: int) -> FloatArray:
    return T0 + STEP * np.arange(n, dtype=np.float64)


def ramp(n: int) -> FloatArray:
    return 50.0 + 0.1 * np.arange(n) + np.random.default_rng(0).normal(0, 0.2, n)


def fitted() -> FittedModel:
    return fit(times(100), ramp(100))


def test_input_errors_are_user_errors() -> None:
    """Every input error can be shown to the chat user as is."""
    assert issubclass(ForecastInputError, UserError)
    for error in (InvalidSeries, NotEnoughData, ConstantSeries):
        assert issubclass(error, ForecastInputError)


def test_too_few_samples_says_how_many_are_needed() -> None:
    """Five samples are refused with the minimum in the message."""
    with pytest.raises(NotEnoughData, match=f"at least {MIN_SAMPLES} samples over at least 1 h"):
        fit(times(5), ramp(5))


def test_too_short_a_history_says_how_long_is_needed() -> None:
    """Twenty samples over 19 minutes are refused: the history must span an hour."""
    t = T0 + 60.0 * np.arange(20)
    with pytest.raises(NotEnoughData, match=r"1 h of history; got 20 over 19 min"):
        fit(t, ramp(20))


def test_all_nan_is_refused() -> None:
    """A series of nothing but gaps says so."""
    with pytest.raises(NotEnoughData, match="all 50 values are missing"):
        fit(times(50), np.full(50, np.nan))


def test_nan_gaps_count_against_the_minimum() -> None:
    """Only finite samples count: 100 rows with 95 gaps are too few."""
    y = ramp(100)
    y[5:] = np.nan
    with pytest.raises(NotEnoughData, match="got 5 over"):
        fit(times(100), y)


def test_constant_series_is_refused() -> None:
    """A flat line has no trend and no noise to learn from."""
    with pytest.raises(ConstantSeries, match="all 60 samples are 42"):
        fit(times(60), np.full(60, 42.0))


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_values_are_refused(bad: float) -> None:
    """Infinity is not a gap: the message names the sample."""
    y = ramp(60)
    y[7] = bad
    with pytest.raises(InvalidSeries, match="sample 7 is"):
        fit(times(60), y)


def test_nan_timestamps_are_refused() -> None:
    t = times(60)
    t[3] = np.nan
    with pytest.raises(InvalidSeries, match="timestamps must be finite"):
        fit(t, ramp(60))


def test_unsorted_timestamps_are_refused() -> None:
    t = times(60)
    t[[10, 11]] = t[[11, 10]]
    with pytest.raises(InvalidSeries, match="strictly increasing"):
        fit(t, ramp(60))


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(InvalidSeries, match="equal length"):
        fit(times(60), ramp(59))


@pytest.mark.parametrize(("horizon", "step"), [(0.0, None), (-5.0, None), (3600.0, 0.0)])
def test_forecast_needs_a_positive_horizon_and_step(horizon: float, step: float | None) -> None:
    with pytest.raises(ForecastInputError, match="positive"):
        forecast(fitted(), horizon, step)


def test_forecast_refuses_a_huge_path() -> None:
    """A year at one-second steps is refused with a hint to coarsen the step."""
    with pytest.raises(ForecastInputError, match="coarser step"):
        forecast(fitted(), 365 * 86_400.0, 1.0)


def test_value_at_refuses_the_past() -> None:
    model = fitted()
    with pytest.raises(ForecastInputError, match="after the last sample"):
        value_at(model, model.origin - 3600)


def test_crossing_refuses_a_nan_threshold() -> None:
    with pytest.raises(ForecastInputError, match="threshold"):
        crossing(fitted(), float("nan"), 3600.0)


def test_accepts_lists() -> None:
    """Plain Python sequences work as well as arrays."""
    model = fit(times(30).tolist(), ramp(30).tolist())
    assert model.origin == times(30)[-1]
