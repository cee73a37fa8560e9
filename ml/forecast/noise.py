"""The noise part of the band: how far a value strays from the fit, now and ``h`` ahead.

Two measurements of the recent regime's residuals, of which the band uses the larger:

* the *spread*: the 10 % and 90 % quantiles of the residuals of every raw sample (kept
  asymmetric, so the upward spikes of a latency series widen only the upper side);
* the *wander*: how much the residuals change over a lag ``h``, as a robust standard
  deviation of ``r(t + h) - r(t)`` divided by sqrt(2). For independent noise this equals
  the spread's scale at every lag; for real metrics, whose level drifts around any trend
  line, it keeps growing with ``h``, and a band from the spread alone would be too narrow
  a day ahead. Lags are measured up to half the regime; beyond that the last value is
  extended like a random walk's, by the square root of the lag ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml.forecast.robust import noise_scale
from ml.forecast.series import FloatArray

_QUANTILES = (0.1, 0.9)


@dataclass(frozen=True, slots=True)
class Noise:
    """``low``/``high``: distances from the fit down to the residuals' 10 % quantile and up to
    their 90 % quantile; ``wander``: standard deviation of the change over each of ``lags``
    (seconds), divided by sqrt(2)."""

    low: float
    high: float
    lags: FloatArray
    wander: FloatArray

    def half_widths(self, ahead: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
        """Distances below and above the mean at ``ahead`` seconds, ``z`` sd for the wander."""
        wander = z * self.wander_at(ahead)
        return np.maximum(self.low, wander), np.maximum(self.high, wander)

    def wander_at(self, ahead: FloatArray) -> FloatArray:
        if len(self.lags) == 0:
            return np.zeros_like(ahead)
        last_lag, last = float(self.lags[-1]), float(self.wander[-1])
        inside = np.interp(ahead, self.lags, self.wander)
        beyond = last * np.sqrt(np.maximum(ahead, last_lag) / last_lag)
        result: FloatArray = np.where(ahead > last_lag, beyond, inside)
        return result


def measure_noise(resid: FloatArray, spacing: float, raw_resid: FloatArray) -> Noise:
    """The noise of a regime: ``resid`` of the fitted samples ``spacing`` seconds apart,
    ``raw_resid`` of its full-resolution samples."""
    low, high = np.quantile(raw_resid, _QUANTILES)
    lags = _lags(len(resid))
    steps = [int(k) for k in lags]
    wander = np.array([noise_scale(resid[k:] - resid[:-k]) / math.sqrt(2) for k in steps])
    return Noise(max(-float(low), 0.0), max(float(high), 0.0), spacing * lags, wander)


def _lags(n: int) -> FloatArray:
    """1, 2, 4, ... samples, up to half of ``n``."""
    count = max(int(math.log2(max(n // 2, 1))) + 1, 0) if n >= 4 else 0
    return np.asarray(2.0 ** np.arange(count), dtype=np.float64)
