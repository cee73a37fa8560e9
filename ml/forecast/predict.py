"""Reading a fitted model: the forecast path over a horizon, and the value at one time.

Both are cheap (a vectorised evaluation of the model), so one :func:`ml.forecast.fit` can
answer several questions about the same series.
"""

from __future__ import annotations

import math

import numpy as np

from ml.forecast.model import COVERAGE, FittedModel
from ml.forecast.results import Forecast, ValueAt
from ml.forecast.series import ForecastInputError

#: Most points a forecast path may have (a week at 1-minute steps is 10,080).
MAX_POINTS = 20_000


def forecast(model: FittedModel, horizon: float, step: float | None = None) -> Forecast:
    """The path from one ``step`` after the last sample to ``horizon`` seconds after it.

    ``step`` defaults to the history's median sample spacing. Raises
    :class:`ForecastInputError` for a non-positive horizon or step, or a path longer than
    :data:`MAX_POINTS` points (ask for a coarser step).
    """
    step = model.step if step is None else step
    _check_horizon(horizon, step)
    count = math.floor(horizon / step + 1e-9)
    times = model.origin + step * np.arange(1, count + 1, dtype=np.float64)
    lower, upper = model.band(times)
    return Forecast(
        timestamps=times,
        mean=model.mean(times),
        lower=lower,
        upper=upper,
        coverage=COVERAGE,
        trend=model.trend,
        seasonal=model.season is not None,
        regime_start=model.regime_start,
    )


def value_at(model: FittedModel, when: float) -> ValueAt:
    """The expected value at ``when`` (Unix seconds, not before the last sample), with band."""
    if not math.isfinite(when) or when < model.origin:
        raise ForecastInputError("ask about a time at or after the last sample")
    at = np.array([when], dtype=np.float64)
    lower, upper = model.band(at)
    return ValueAt(
        when, float(model.mean(at)[0]), float(lower[0]), float(upper[0]), COVERAGE, model.trend
    )


def _check_horizon(horizon: float, step: float) -> None:
    if not (math.isfinite(horizon) and horizon > 0 and math.isfinite(step) and step > 0):
        raise ForecastInputError("the horizon and the step must be positive numbers of seconds")
    if horizon < step:
        raise ForecastInputError(f"the horizon ({horizon:g} s) is shorter than one step")
    if horizon / step > MAX_POINTS:
        raise ForecastInputError(
            f"{horizon:g} s at {step:g} s steps is more than {MAX_POINTS} points; "
            "use a coarser step"
        )
