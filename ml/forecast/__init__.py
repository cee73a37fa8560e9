"""Forecasting one metric: "when will the disk be full?", "how much tomorrow?".

Fit once, then ask (everything is a pure function of numpy arrays; the fit is a few
milliseconds for a week of 5-minute samples, the questions far less)::

    model = fit(timestamps, values)                  # Unix seconds; NaN gaps allowed
    full = crossing(model, 100.0, horizon=14 * DAY)  # earliest / likely / latest, or why not
    tomorrow = value_at(model, model.origin + DAY)   # mean and 80 % band
    path = forecast(model, horizon=DAY)              # for a chart
    model.trend.describe("%")                        # "rising 0.33 % per hour"

The model is a robust line through the recent regime (after the last reset or bend), plus a
daily rhythm when the history shows one, with an 80 % band (:data:`COVERAGE`). Input errors
raise :class:`ForecastInputError` subclasses, user errors whose text says what is needed.
"""

from ml.forecast.crossing import crossing
from ml.forecast.fit import fit
from ml.forecast.model import COVERAGE, FittedModel, Trend, TrendDirection
from ml.forecast.predict import MAX_POINTS, forecast, value_at
from ml.forecast.results import (
    Crossing,
    CrossingStatus,
    Direction,
    Forecast,
    NoCrossingReason,
    ValueAt,
)
from ml.forecast.season import DAY, DailySeason
from ml.forecast.series import (
    MIN_SAMPLES,
    MIN_SPAN,
    ConstantSeries,
    ForecastInputError,
    InvalidSeries,
    NotEnoughData,
)

__all__ = [
    "COVERAGE",
    "DAY",
    "MAX_POINTS",
    "MIN_SAMPLES",
    "MIN_SPAN",
    "ConstantSeries",
    "Crossing",
    "CrossingStatus",
    "DailySeason",
    "Direction",
    "FittedModel",
    "Forecast",
    "ForecastInputError",
    "InvalidSeries",
    "NoCrossingReason",
    "NotEnoughData",
    "Trend",
    "TrendDirection",
    "ValueAt",
    "crossing",
    "fit",
    "forecast",
    "value_at",
]
