"""Whole-series helpers of the rhythm search (:meth:`Detector._find_seasons`).

The per-row rolling statistics live in :mod:`ml.anomaly.blocks` and
:mod:`ml.anomaly.components`.
"""

from __future__ import annotations

import numpy as np

from ml.anomaly.model import FloatArray


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
