"""Causal rolling statistics: every value at row ``t`` is computed from rows before ``t`` only.

The detector needs robust location/scale (median, quartiles) and high quantiles over a long
trailing window for every row. Computing them exactly per row costs ``O(n * window)``, so the
statistics are refreshed once per *block* of ``stride`` rows: rows ``b .. b+stride-1`` all use
the statistics of ``x[b-window : b]``. That keeps the computation causal (a block never sees its
own rows) and about ``stride`` times cheaper, at the price of statistics that lag by at most
``stride`` rows, which is irrelevant for windows of hundreds of rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_CHUNK_ELEMENTS = 2_000_000


def block_quantiles(
    x: FloatArray, window: int, stride: int, qs: Sequence[float], min_count: int
) -> FloatArray:
    """Quantiles ``qs`` of the trailing window before each row's block, shape ``(n, len(qs))``.

    Row ``t`` gets the quantiles of ``x[max(0, b - window) : b]`` with ``b = t - t % stride``;
    rows whose window holds fewer than ``min_count`` values get NaN. ``x`` must be finite.
    """
    n = len(x)
    qv = np.asarray(qs, dtype=np.float64)
    starts = np.arange(0, n, stride)
    per_block = np.full((len(starts), len(qv)), np.nan)
    counts = np.minimum(starts, window)
    usable = np.nonzero(counts >= max(min_count, 1))[0]
    if len(usable) == 0:
        return np.repeat(per_block, stride, axis=0)[:n]
    width = int(counts[usable].max())
    padded = np.concatenate((np.full(width, np.nan), x))
    chunk = max(1, _CHUNK_ELEMENTS // max(width, 1))
    for lo in range(0, len(usable), chunk):
        idx = usable[lo : lo + chunk]
        b = starts[idx]
        cols = b[:, None] + np.arange(width)[None, :]  # padded[b + i] == x[b - width + i]
        rows = np.sort(padded[cols], axis=1)  # NaN padding sorts last
        cnt = counts[idx]
        pos = qv[None, :] * (cnt[:, None] - 1)
        lo_i = np.floor(pos).astype(np.int64)
        hi_i = np.minimum(lo_i + 1, cnt[:, None] - 1)
        frac = pos - lo_i
        lo_v = np.take_along_axis(rows, lo_i, axis=1)
        hi_v = np.take_along_axis(rows, hi_i, axis=1)
        per_block[idx] = lo_v + (hi_v - lo_v) * frac
    return np.repeat(per_block, stride, axis=0)[:n]


def trailing_mean(x: FloatArray, k: int) -> FloatArray:
    """Mean of ``x[t-k+1 : t+1]`` (fewer rows at the start), via cumulative sums."""
    csum = np.concatenate(([0.0], np.cumsum(x)))
    idx = np.arange(len(x))
    lo = np.maximum(0, idx - k + 1)
    out: FloatArray = (csum[idx + 1] - csum[lo]) / (idx + 1 - lo)
    return out


def robust_stats(
    e: FloatArray, window: int, stride: int, min_count: int, floor: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(z, median, scale)`` of ``e`` against its trailing window.

    ``z = |e - median| / scale``, 0 where the history is too short (median and scale are
    then ``e`` itself and ``floor``). ``scale`` is the interquartile range over 1.349 (the
    standard deviation for Gaussian data), floored at ``floor`` so flat history does not
    divide by zero.
    """
    q = block_quantiles(e, window, stride, (0.25, 0.5, 0.75), min_count)
    known = ~np.isnan(q[:, 1])
    median = np.where(known, q[:, 1], e)
    scale = np.maximum(np.where(known, (q[:, 2] - q[:, 0]) / 1.349, floor), floor)
    z: FloatArray = np.where(known, np.abs(e - median) / scale, 0.0)
    return z, median, scale


def robust_z(e: FloatArray, window: int, stride: int, min_count: int, floor: float) -> FloatArray:
    """Just the ``z`` of :func:`robust_stats`."""
    return robust_stats(e, window, stride, min_count, floor)[0]


def autocorrelation(x: FloatArray, lag: int) -> float:
    """Pearson correlation of ``x`` with itself ``lag`` rows earlier (0 if undefined)."""
    if lag <= 0 or len(x) < 2 * lag:
        return 0.0
    a = x[lag:] - x[lag:].mean()
    b = x[:-lag] - x[:-lag].mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 0 else 0.0
