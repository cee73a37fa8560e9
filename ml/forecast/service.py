"""The bot's forecaster (:class:`bot.features.forecast.ports.Forecaster`): fit, path and crossing
of one series,
computed in a worker thread so a forecast never stalls other conversations."""

from __future__ import annotations

import asyncio
import dataclasses

import numpy as np

from bot.features.forecast.ports import ForecastAnswer, ForecastPath
from bot.features.metrics.ports import Series
from ml.forecast.crossing import crossing
from ml.forecast.fit import fit
from ml.forecast.predict import MAX_POINTS, forecast
from ml.forecast.results import Direction

PATH_POINTS = 120
"""Points of the forecast path drawn on a chart (the crossing uses the model itself)."""


class ForecastService:
    """Robust trend + daily rhythm, 80 % band (see :mod:`ml.forecast`)."""

    async def forecast(
        self,
        series: Series,
        *,
        horizon: float,
        threshold: float | None = None,
        direction: str | None = None,
    ) -> ForecastAnswer:
        return await asyncio.to_thread(_answer, series, horizon, threshold, direction)


def _answer(
    series: Series, horizon: float, threshold: float | None, direction: str | None
) -> ForecastAnswer:
    model = fit(np.asarray(series.timestamps), np.asarray(series.values))
    step = max(horizon / PATH_POINTS, model.step, horizon / (MAX_POINTS - 1))
    path = forecast(model, horizon, step)
    trend = model.trend
    answer = ForecastAnswer(
        path=ForecastPath(
            tuple(float(t) for t in path.timestamps),
            tuple(float(v) for v in path.mean),
            tuple(float(v) for v in path.lower),
            tuple(float(v) for v in path.upper),
            path.coverage,
        ),
        per_hour=trend.per_hour if trend.significant else 0.0,
        direction=trend.direction.value if trend.significant else "flat",
        trend_since=trend.since,
        now_value=float(model.mean(np.array([model.origin]))[0]),
    )
    if threshold is None:
        return answer
    chosen = Direction(direction) if direction else None
    reached = crossing(model, threshold, horizon, chosen)
    return dataclasses.replace(
        answer,
        crossing=reached.status.value,
        reason=reached.reason.value if reached.reason else None,
        earliest=reached.earliest,
        likely=reached.likely,
        latest=reached.latest,
    )
