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
from numpy.lib.stride_tricks import as_strided

FloatArray = npt.NDArray[np.float64]

_CHUNK_ELEMENTS = 2_000_000


def block_quantiles(
    x: FloatArray,
    window: int,
    stride: int,
    qs: Sequence[float],
    min_count: int,
    first: int = 0,
) -> FloatArray:
    """Quantiles ``qs`` of the trailing window before each row's block, shape ``(n, len(qs))``.

    Row ``t`` gets the quantiles of ``x[max(0, b - window) : b]`` with ``b = t - t % stride``;
    rows whose window holds fewer than ``min_count`` values get NaN. ``x`` must be finite.
    Only rows ``>= first`` are computed (earlier ones are NaN): every block is independent of
    the others, so the computed rows equal those of a full call. That is what lets a cached
    series score just its new rows.

    The windows are strided views (``as_strided``, a ``sliding_window_view`` without its
    per-call checks) of one NaN-padded copy of ``x``, so the only per-block work is numpy's
    (vectorised, SIMD) row sort. (``np.partition`` looks
    cheaper for the calibration's single high quantile but measured about twice as slow on
    real surprise series, which are full of ties and padding.)
    """
    n = len(x)
    qv = np.asarray(qs, dtype=np.float64)
    out = np.full((n, len(qv)), np.nan)
    # Block b's window holds min(b, window) values; the first usable block is the first
    # with at least min_count of them at or after the block holding row `first`.
    need = max(min_count, 1)
    if window < need:
        return out
    b0 = max(first - first % stride, -(-need // stride) * stride)
    if b0 >= n:
        return out
    starts = np.arange(b0, n, stride)
    counts = np.minimum(starts, window)
    width = int(counts[-1])
    # Only the part of x these blocks look at, NaN-padded in front (NaN sorts last).
    lo = b0 - width
    segment = x[max(lo, 0) : int(starts[-1])]
    if lo < 0:
        segment = np.concatenate((np.full(-lo, np.nan), segment))
    # windows[i] == segment[i : i + width] == x[b - width : b] for b = b0 + i (a view).
    item = segment.strides[0]
    windows = as_strided(segment, (len(segment) - width + 1, width), (item, item), writeable=False)
    per_block = np.empty((len(starts), len(qv)))
    chunk = max(1, _CHUNK_ELEMENTS // max(width, 1))
    for c0 in range(0, len(starts), chunk):
        c1 = min(c0 + chunk, len(starts))
        rows = np.sort(windows[c0 * stride : (c1 - 1) * stride + 1 : stride], axis=1)
        cnt = counts[c0:c1, None]
        pos = qv[None, :] * (cnt - 1)
        lo_i = np.floor(pos).astype(np.int64)
        hi_i = np.minimum(lo_i + 1, cnt - 1)
        frac = pos - lo_i
        r = np.arange(c1 - c0)[:, None]
        lo_v, hi_v = rows[r, lo_i], rows[r, hi_i]
        per_block[c0:c1] = lo_v + (hi_v - lo_v) * frac
    out[b0:] = np.repeat(per_block, stride, axis=0)[: n - b0]
    return out


def trailing_mean(x: FloatArray, k: int) -> FloatArray:
    """Mean of ``x[t-k+1 : t+1]`` (fewer rows at the start), via cumulative sums."""
    csum = np.concatenate(([0.0], np.cumsum(x)))
    idx = np.arange(len(x))
    lo = np.maximum(0, idx - k + 1)
    out: FloatArray = (csum[idx + 1] - csum[lo]) / (idx + 1 - lo)
    return out


def robust_stats(
    e: FloatArray, window: int, stride: int, min_count: int, floor: float, first: int = 0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(z, median, scale)`` of ``e`` against its trailing window.

    ``z = |e - median| / scale``, 0 where the history is too short (median and scale are
    then ``e`` itself and ``floor``). ``scale`` is the interquartile range over 1.349 (the
    standard deviation for Gaussian data), floored at ``floor`` so flat history does not
    divide by zero. Rows before ``first`` are not computed and come out as if the history
    were too short (see :func:`block_quantiles`).
    """
    q = block_quantiles(e, window, stride, (0.25, 0.5, 0.75), min_count, first)
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
