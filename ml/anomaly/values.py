"""From raw samples to the values the detector scores.

Missing samples (NaN, or +/-inf, which no metric can really take) are gaps: the last finite
value is carried over them and they score 0. A monotone counter (requests served, bytes
sent) is scored as its per-second rate, with resets to near zero taken as restarts.
"""

from __future__ import annotations

import numpy as np

from ml.anomaly.model import FloatArray

DEFAULT_STEP = 60.0


def fill_gaps(values: FloatArray) -> FloatArray:
    """Carry the last finite value forward over NaN/inf (the first finite one backward)."""
    v = np.asarray(values, dtype=np.float64).copy()
    ok = np.isfinite(v)
    if ok.all():
        return v
    if not ok.any():
        return np.zeros(len(v))
    idx = np.where(ok, np.arange(len(v)), 0)
    np.maximum.accumulate(idx, out=idx)
    first = int(np.argmax(ok))
    idx[:first] = first
    out: FloatArray = v[idx]
    return out


def to_scored_values(
    ts: FloatArray, values: FloatArray, kind: str, step: float | None = None
) -> FloatArray:
    """What gets scored: the values of a gauge, the per-second rate of a counter.

    ``step`` (the fitted sampling step) stands in for the time since the previous row where
    there is none or it is not positive; pass it so a row never depends on later timestamps.
    """
    if kind != "counter" or len(values) < 2:
        return values
    step = sampling_step(ts) if step is None else step
    dv = np.diff(values, prepend=values[:1])
    reset = dv < 0
    dv[reset] = values[reset]
    dt = np.diff(ts, prepend=ts[:1] - step)
    dt = np.where(dt > 0, dt, step)
    rate: FloatArray = dv / dt
    rate[0] = rate[1] if len(rate) > 1 else 0.0
    return rate


def sampling_step(ts: FloatArray) -> float:
    """The typical time between rows (median of the positive steps), in seconds."""
    d = np.diff(ts)
    d = d[d > 0]
    return median(d) if len(d) else DEFAULT_STEP


def median(x: FloatArray) -> float:
    """``np.median`` of a non-empty 1-D array without NaN (the same number, a third of the
    cost: one partition, none of np.median's general-case checks)."""
    n = len(x)
    part = np.partition(x, (n - 1) // 2 if n % 2 else (n // 2 - 1, n // 2))
    if n % 2:
        return float(part[n // 2])
    return float(np.mean(part[n // 2 - 1 : n // 2 + 1]))


def looks_like_counter(v: FloatArray) -> bool:
    """Monotone non-decreasing apart from resets to near zero, and actually increasing."""
    if len(v) < 10 or v.min() < 0:
        return False
    d = np.diff(v)
    if (d > 0).mean() < 0.5:
        return False
    drops = np.nonzero(d < 0)[0]
    if len(drops) > 0.01 * len(d) + 1:
        return False
    return bool(np.all(v[drops + 1] <= 0.1 * v[drops]))
