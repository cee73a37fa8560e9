"""Robust building blocks: noise scale, a spike filter, a Huber line and residual memory.

Operational metrics have spikes (a slow query, a scrape glitch) that a least-squares trend
would chase. The forecaster removes isolated spikes before looking for regimes and trends
(:func:`despike`, a Hampel filter: a level shift survives it because it lasts longer than
the window) and fits lines with Huber weights (:func:`huber_line`), so the few remaining
outliers pull the slope with bounded force.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ml.forecast.series import FloatArray

_MAD_TO_SD = 1.4826
_HUBER_C = 1.345
_HUBER_ROUNDS = 6


def median(x: FloatArray) -> float:
    """Median of a non-empty 1-D array (via partition: ``np.median`` has a large overhead)."""
    n = len(x)
    if n % 2:
        return float(np.partition(x, n // 2)[n // 2])
    pair = np.partition(x, (n // 2 - 1, n // 2))[n // 2 - 1 : n // 2 + 1]
    return float(pair.mean())


def noise_scale(x: FloatArray) -> float:
    """Robust standard deviation: the scaled median absolute deviation.

    Falls back to the mean absolute deviation (scaled for Gaussian noise) when more than half
    of the values are equal, as in quantised or mostly idle series, and to a tiny positive
    number when everything is equal, so callers can always divide by it.
    """
    dev = np.abs(x - median(x))
    scale = _MAD_TO_SD * median(dev)
    if scale <= 0:
        scale = 1.2533 * float(dev.mean())
    return scale if scale > 0 else 1e-12


def despike(y: FloatArray, half_window: int = 3, limit: float = 4.0) -> FloatArray:
    """``y`` with isolated spikes replaced by the median of their neighbourhood.

    A sample is a spike when it is more than ``limit`` robust standard deviations from the
    median of the ``2 * half_window + 1`` samples around it; a step that lasts longer than
    ``half_window`` samples moves that median along and is kept.
    """
    if len(y) < 2 * half_window + 1:
        return y.copy()
    padded = np.pad(y, half_window, mode="edge")
    local = np.median(sliding_window_view(padded, 2 * half_window + 1), axis=1)
    resid = y - local
    spikes = np.abs(resid) > limit * noise_scale(resid)
    result: FloatArray = np.where(spikes, local, y)
    return result


@dataclass(frozen=True, slots=True)
class Line:
    """``value = level + slope * (t - at)``, with the weights the robust fit settled on."""

    level: float
    slope: float
    at: float
    weights: FloatArray

    def __call__(self, t: FloatArray) -> FloatArray:
        result: FloatArray = self.level + self.slope * (t - self.at)
        return result


def huber_line(t: FloatArray, y: FloatArray, at: float) -> Line:
    """Line through ``(t, y)`` by iteratively reweighted least squares with Huber weights.

    Residuals beyond 1.345 robust standard deviations get weight ``1.345 / |z|`` (95 %
    efficiency on Gaussian noise, bounded pull from outliers). ``level`` is the line's value
    at ``at`` (the forecast origin, so the level and its error are the ones that matter).
    """
    x = t - at
    weights = np.ones_like(y)
    level, slope = _weighted_line(x, y, weights)
    for _ in range(_HUBER_ROUNDS):
        resid = y - level - slope * x
        z = np.abs(resid) / noise_scale(resid)
        weights = np.minimum(1.0, _HUBER_C / np.maximum(z, 1e-12))
        level, slope = _weighted_line(x, y, weights)
    return Line(level, slope, at, weights)


def _weighted_line(x: FloatArray, y: FloatArray, w: FloatArray) -> tuple[float, float]:
    """Weighted least-squares intercept (at ``x = 0``) and slope."""
    sw = float(w.sum())
    mx, my = float((w * x).sum()) / sw, float((w * y).sum()) / sw
    sxx = float((w * (x - mx) ** 2).sum())
    slope = float((w * (x - mx) * (y - my)).sum()) / sxx if sxx > 0 else 0.0
    return my - slope * mx, slope


def lag1_correlation(r: FloatArray) -> float:
    """Correlation of consecutive residuals, clipped to ``[0, 0.98]``.

    Positive correlation means fewer independent samples than rows, so standard errors
    computed as if independent are too small; the clip keeps the correction finite.
    """
    if len(r) < 3:
        return 0.0
    a, b = r[1:] - r[1:].mean(), r[:-1] - r[:-1].mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    rho = float((a * b).sum()) / denom if denom > 0 else 0.0
    return min(max(rho, 0.0), 0.98)
