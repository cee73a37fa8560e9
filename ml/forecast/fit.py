"""Fitting: spikes out, rhythm and regimes found together, then the recent trend and its band.

The daily rhythm and the regime breaks depend on each other (the rhythm must be measured
around the trend; a break must be looked for in the series without its rhythm), so they are
found by backfitting: one line through everything (fitted jointly with daily harmonics)
to start, then twice: find the rhythm
around the current piecewise trend, remove it, find the regime breaks, refit one line per
regime. The last regime's Huber line is the trend; its residuals give the noise band.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from ml.forecast.model import FittedModel
from ml.forecast.noise import Noise, measure_noise
from ml.forecast.regime import regime_starts
from ml.forecast.robust import Line, despike, huber_line, lag1_correlation, noise_scale
from ml.forecast.season import DAY, DailySeason, daily_basis, find_daily
from ml.forecast.series import FloatArray, Prepared, prepare

_BACKFIT_ROUNDS = 2


def fit(timestamps: npt.ArrayLike, values: npt.ArrayLike) -> FittedModel:
    """Fit the forecaster to one series.

    ``timestamps`` are Unix seconds, strictly increasing; ``values`` may hold NaN for gaps.
    Raises :class:`ml.forecast.ForecastInputError` (a user error) when the series is
    malformed, too short or constant. Pure and CPU-bound (a few milliseconds for a week of
    5-minute samples): call it through ``asyncio.to_thread`` from async code.
    """
    prepared = prepare(timestamps, values)
    t, y = prepared.times, despike(prepared.values)
    season, starts = _rhythm_and_regimes(t, y, prepared.step, prepared.origin)
    start = starts[-1]
    rhythm = _rhythm(season, t)
    line = huber_line(t[start:], y[start:] - rhythm[start:], prepared.origin)
    return _model(prepared, line, season, t[start:], y[start:] - rhythm[start:])


def _rhythm_and_regimes(
    t: FloatArray, y: FloatArray, step: float, origin: float
) -> tuple[DailySeason | None, list[int]]:
    """Backfit the daily rhythm and the regime starts (first index of each regime)."""
    baseline = _first_baseline(t, y, origin)
    season: DailySeason | None = None
    starts = [0]
    for _ in range(_BACKFIT_ROUNDS):
        season = find_daily(t, y - baseline, step)
        z = y - _rhythm(season, t)
        starts = regime_starts(t, z)
        baseline = _piecewise(t, z, starts, origin)
    return season, starts


def _first_baseline(t: FloatArray, y: FloatArray, origin: float) -> FloatArray:
    """A line fitted together with daily harmonics, evaluated without them.

    Fitting the line alone first would let it absorb part of a daily wave (a sine over a
    whole number of days still correlates with time) and skew the rhythm found around it.
    """
    days = (t - origin) / DAY
    design = np.column_stack((np.ones_like(days), days, daily_basis(t)))
    gram = design.T @ design
    if np.linalg.cond(gram) > 1e10:
        return huber_line(t, y, origin)(t)
    level, per_day = np.linalg.solve(gram, design.T @ y)[:2]
    result: FloatArray = level + per_day * days
    return result


def _rhythm(season: DailySeason | None, t: FloatArray) -> FloatArray:
    return np.zeros_like(t) if season is None else season(t)


def _piecewise(t: FloatArray, z: FloatArray, starts: list[int], origin: float) -> FloatArray:
    """One Huber line per regime, evaluated on each regime's own samples."""
    bounds = [*starts, len(t)]
    pieces = [huber_line(t[a:b], z[a:b], origin)(t[a:b]) for a, b in itertools.pairwise(bounds)]
    return np.concatenate(pieces)


def _model(
    prepared: Prepared,
    line: Line,
    season: DailySeason | None,
    t: FloatArray,
    z: FloatArray,
) -> FittedModel:
    """Standard errors from the fitted samples ``(t, z)``; noise from the raw ones."""
    resid = z - line(t)
    inflation = _correlation_inflation(resid)
    sigma = noise_scale(resid)
    centred = t - prepared.origin
    mean_t = float(centred.mean())
    sxx = float(((centred - mean_t) ** 2).sum())
    slope_se = sigma * float(np.sqrt(inflation / sxx))
    level_se = sigma * float(np.sqrt(inflation * (1 / len(t) + mean_t**2 / sxx)))
    return FittedModel(
        origin=prepared.origin,
        level=line.level,
        slope=line.slope,
        level_se=level_se,
        slope_se=slope_se,
        season=season,
        noise=_noise(prepared, line, season, t, resid),
        regime_start=float(t[0]),
        history_start=float(prepared.raw_times[0]),
        step=prepared.step,
    )


def _correlation_inflation(resid: FloatArray) -> float:
    rho = lag1_correlation(resid)
    return (1 + rho) / (1 - rho)


def _noise(
    prepared: Prepared, line: Line, season: DailySeason | None, t: FloatArray, resid: FloatArray
) -> Noise:
    """The regime's noise, from the fitted samples ``(t, resid)`` and the raw samples."""
    recent = prepared.raw_times >= t[0]
    raw_t, raw_v = prepared.raw_times[recent], prepared.raw_values[recent]
    raw_resid = raw_v - line(raw_t) - _rhythm(season, raw_t)
    spacing = prepared.step * prepared.block
    return measure_noise(resid, spacing, raw_resid)
