"""Small causal rolling helpers that stay local: one odd value only affects its own window.

A running sum (``cumsum``) would be the obvious way to compute trailing means, but one value
of 1e300 swamps every later partial sum, and ``inf`` turns all of them into NaN: the
detector would be blind for the rest of the series. The helpers here only ever combine the
values inside each row's own window.
"""

from __future__ import annotations

import numpy as np

from ml.anomaly.model import FloatArray


def trailing_mean(x: FloatArray, k: int) -> FloatArray:
    """Mean of ``x[t-k+1 : t+1]`` (fewer rows at the start)."""
    n = len(x)
    k = max(1, min(k, n)) if n else 1
    sums = np.convolve(x, np.ones(k))[:n]
    counts = np.minimum(np.arange(1, n + 1), k)
    out: FloatArray = sums / counts
    return out


def winsorize(x: FloatArray, tail: float = 0.005) -> FloatArray:
    """``x`` clipped to its ``tail`` and ``1 - tail`` quantiles, so that a few extreme values
    (an outage, one absurd sample) cannot dominate a correlation."""
    if len(x) == 0:
        return x
    lo, hi = np.quantile(x, (tail, 1.0 - tail))
    out: FloatArray = np.clip(x, lo, hi)
    return out


def autocorrelation(x: FloatArray, lag: int) -> float:
    """Pearson correlation of ``x`` with itself ``lag`` rows earlier (0 if undefined)."""
    if lag <= 0 or len(x) < 2 * lag:
        return 0.0
    a = x[lag:] - x[lag:].mean()
    b = x[:-lag] - x[:-lag].mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 0 else 0.0
