"""Robust trailing location and scale from block summaries: causal and cheap.

Exact rolling medians over hundreds of rows cost a sort per row. Instead, rows are grouped
into blocks of ``block_rows`` rows; each complete block is summarised by its median and
interquartile range, and every row of block ``k`` is judged against the ``history_blocks``
complete blocks *before* block ``k`` (never its own rows):

* location = the median of those blocks' medians;
* scale = (the interquartile range of those medians + the median within-block IQR) / 1.349,
  i.e. the slow wander of the series plus its fast noise, in robust standard deviations
  (the noise term, which changes slowly, is refreshed every four blocks).

Medians of medians ignore a minority of odd blocks, and a block's IQR ignores up to two odd
rows, so one huge value moves neither. A block with a missing residual (NaN) has no
summary and is simply not part of the history. Summaries are kept between calls, so
scoring appended rows only summarises the blocks they complete.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from ml.anomaly.model import FloatArray

BoolArray = npt.NDArray[np.bool_]

_IQR_TO_SIGMA = 1.349
_NOISE_REFRESH = 4


def sorted_quantiles(s: FloatArray, counts: npt.NDArray[np.int64], q: float) -> FloatArray:
    """Quantile ``q`` (linear interpolation) of rows of ``s`` sorted along the last axis whose
    first ``counts`` entries are the valid values (NaN sorts last). NaN where a row is empty.

    Rows that are full (``counts`` is the row length) are read at fixed positions; only the
    others need a gather."""
    width = s.shape[-1]
    pos = q * (width - 1)
    lo, frac = int(pos), pos - int(pos)
    full: FloatArray = s[..., lo] + (s[..., min(lo + 1, width - 1)] - s[..., lo]) * frac
    partial = counts < width
    if partial.any():
        full[partial] = _gathered(s[partial], counts[partial], q)
    return full


def _gathered(s: FloatArray, counts: npt.NDArray[np.int64], q: float) -> FloatArray:
    """:func:`sorted_quantiles` of rows that are not full."""
    last = np.maximum(counts - 1, 0)
    pos = q * last
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, last)
    a = np.take_along_axis(s, lo[..., None], axis=-1)[..., 0]
    b = np.take_along_axis(s, hi[..., None], axis=-1)[..., 0]
    out: FloatArray = np.where(counts > 0, a + (b - a) * (pos - lo), np.nan)
    return out


def summarise(e: FloatArray, rows: int) -> FloatArray:
    """Median and IQR of each complete block of ``e`` (``(C, n)``, starting on a block
    boundary): shape ``(2, C, n // rows)``, NaN for a block holding any NaN."""
    c, n = e.shape
    blocks = np.sort(e[:, : n - n % rows].reshape(c, n // rows, rows), axis=-1)
    full = np.full(blocks.shape[:2], rows, dtype=np.int64)
    q1, q2, q3 = (sorted_quantiles(blocks, full, q) for q in (0.25, 0.5, 0.75))
    out: FloatArray = np.where(np.isnan(blocks[..., -1]), np.nan, np.stack((q2, q3 - q1)))
    return out


def trailing_location_scale(
    summaries: FloatArray, history: int, min_blocks: int, floor: FloatArray, blocks: range
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """``(location, scale, known)`` of each component for each block in ``blocks``, from the
    ``history`` summaries (of :func:`summarise`, ``(2, C, nc)``) before that block; each
    ``(C, len(blocks))``. ``known`` is False (location and scale NaN) where fewer than
    ``min_blocks`` of them exist. ``floor`` (one value per component) is the smallest scale,
    so flat history does not divide by zero."""
    two, c, nc = summaries.shape
    padded = np.full((two, c, history + max(nc, blocks.stop - 1)), np.nan)
    padded[:, :, history : history + nc] = summaries
    windows = sliding_window_view(padded, history, axis=-1)
    med = np.sort(windows[0, :, blocks.start : blocks.stop], axis=-1)
    seen = np.zeros((c, padded.shape[2] + 1), dtype=np.int64)
    np.cumsum(~np.isnan(padded[0]), axis=1, out=seen[:, 1:])
    k = np.arange(blocks.start, blocks.stop)
    counts = seen[:, k + history] - seen[:, k]  # valid summaries in each block's window
    known = counts >= max(min_blocks, 1)
    spread = sorted_quantiles(med, counts, 0.75) - sorted_quantiles(med, counts, 0.25)
    # The within-block noise changes slowly: its median is refreshed every few blocks only.
    ref = np.where(k < 2 * _NOISE_REFRESH, k, k - k % _NOISE_REFRESH)
    at, back = np.unique(ref, return_inverse=True)
    iqr = np.sort(windows[1][:, at], axis=-1)
    noise = sorted_quantiles(iqr, seen[:, at + history] - seen[:, at], 0.5)[:, back]
    scale = np.maximum((spread + noise) / _IQR_TO_SIGMA, floor[:, None])
    location = sorted_quantiles(med, counts, 0.5)
    return np.where(known, location, np.nan), np.where(known, scale, np.nan), known
