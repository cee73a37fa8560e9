"""Calibration: each component's surprise over its own "normal maximum".

A surprise of 5 robust sigmas is routine for a spiky gauge and alarming for a calm one, so
each component is judged against a high quantile (``calibration_quantile``, 99.8 % by
default) of its *own* surprises over the trailing ``calibration_rows`` rows: the reference.
The ratio surprise / (reference x margin) above 1 means "beyond anything this series
normally does, by this lens".

References are computed at *evaluation blocks*: every block during the first
``2 * calibration_refresh_blocks`` blocks (to warm up fast), then every
``calibration_refresh_blocks`` blocks; a block uses the reference of the last evaluation
block at or before it, which only looks at rows before that evaluation block. The window is
``calibration_rows`` rounded up to whole refresh periods. The quantile is read from a
histogram of the surprises on a log scale (ten bins per decade from 0.01 to 1e8 robust
sigmas, geometric interpolation within a bin): counting rows per bin is linear in the rows,
where an exact rolling quantile needs a sort.

``include`` says which rows of each component count: rows where a component could not judge
yet never do, and the ensemble calibrates a second time without the rows of incidents
(:mod:`ml.anomaly.ensemble`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ml.anomaly.blocks import BoolArray
from ml.anomaly.model import DetectorParams, FloatArray

_LOWEST = -2.0
_PER_DECADE = 10
_DECADES = 10
_BINS = _PER_DECADE * _DECADES + 2  # with an underflow and an overflow bin
TOP = 10.0 ** (_LOWEST + _DECADES)
"""Surprises are capped here: beyond it every value is equally (very) surprising."""

IntArray = npt.NDArray[np.int64]


def evaluation_index(blocks: IntArray, refresh: int) -> IntArray:
    """Index (in the sequence of evaluation blocks) of the reference each block uses."""
    refresh = max(refresh, 1)
    warm = 2 * refresh
    out: IntArray = np.where(blocks < warm, blocks, warm + (blocks - warm) // refresh)
    return out


def _evaluation_block(index: IntArray, refresh: int) -> IntArray:
    refresh = max(refresh, 1)
    warm = 2 * refresh
    out: IntArray = np.where(index < warm, index, warm + (index - warm) * refresh)
    return out


def references(
    surprise: FloatArray,
    include: BoolArray,
    params: DetectorParams,
    blocks: range,
    known: FloatArray,
) -> FloatArray:
    """References of the evaluation blocks used by ``blocks``, ``(C, count)`` for evaluation
    indices ``0 .. count-1``, reusing the ``known`` ones (``(C, k)``, computed earlier on a
    prefix of the same rows) and computing the rest from ``surprise``/``include`` (``(C, n)``).
    NaN where fewer than ``calibration_min`` included rows were available."""
    refresh = params.calibration_refresh_blocks
    count = int(evaluation_index(np.array([blocks.stop - 1]), refresh)[0]) + 1 if blocks else 0
    done = min(known.shape[1], count)
    if done == count:
        return known[:, :count]
    rows = params.block_rows
    period = max(refresh, 1) * rows
    window = -(-params.calibration_rows // period) * period
    ends = _evaluation_block(np.arange(done, count), refresh) * rows
    starts = np.maximum(ends - window, 0)
    counts = _window_histograms(surprise, include, starts, ends)
    fresh = _quantile(counts, params.calibration_quantile, params.calibration_min)
    return np.concatenate((known[:, :done], fresh), axis=1)


def _window_histograms(
    surprise: FloatArray, include: BoolArray, starts: IntArray, ends: IntArray
) -> FloatArray:
    """Per component, histograms of the included surprises of rows ``starts[i] .. ends[i]``:
    ``(C, len(ends), bins)``. Rows are counted once per segment between consecutive window
    edges, and the segments cumulated, so overlapping windows cost no more than one pass."""
    c = surprise.shape[0]
    edges = np.unique(np.concatenate((starts, ends)))
    lo, hi = int(edges[0]), int(edges[-1])
    segment = np.searchsorted(edges, np.arange(lo, hi), side="right") - 1
    nseg = len(edges)
    index = (np.arange(c)[:, None] * nseg + segment) * _BINS + _bins(surprise[:, lo:hi])
    weight = include[:, lo:hi].astype(np.float64).ravel()
    flat = np.bincount(index.ravel(), weights=weight, minlength=c * nseg * _BINS)
    cum = np.zeros((c, nseg + 1, _BINS))
    np.cumsum(flat.reshape(c, nseg, _BINS), axis=1, out=cum[:, 1:])
    a, b = np.searchsorted(edges, starts), np.searchsorted(edges, ends)
    out: FloatArray = cum[:, b] - cum[:, a]
    return out


def _bins(surprise: FloatArray) -> IntArray:
    """Histogram bin of each surprise: 0 below 0.01, the last one from :data:`TOP` on."""
    with np.errstate(divide="ignore"):
        scaled = (np.log10(surprise) - _LOWEST) * _PER_DECADE
    scaled = np.floor(np.nan_to_num(scaled, nan=-1.0, neginf=-1.0)) + 1
    out: IntArray = np.clip(scaled, 0, _BINS - 1).astype(np.int64)
    return out


def _quantile(counts: FloatArray, q: float, min_count: int) -> FloatArray:
    """Quantile ``q`` of histograms ``counts`` (bins on the last axis); values are assumed
    spread evenly on the log scale within their bin."""
    total = counts.sum(axis=-1)
    rank = q * np.maximum(total - 1.0, 0.0)
    cum = np.cumsum(counts, axis=-1)
    j = np.minimum(np.count_nonzero(cum <= rank[..., None], axis=-1), _BINS - 1)
    below = np.where(
        j > 0, np.take_along_axis(cum, np.maximum(j - 1, 0)[..., None], -1)[..., 0], 0.0
    )
    inside = np.take_along_axis(counts, j[..., None], -1)[..., 0]
    frac = np.clip((rank - below + 0.5) / np.maximum(inside, 1.0), 0.0, 1.0)
    value = 10.0 ** (_LOWEST + (j - 1 + frac) / _PER_DECADE)
    value = np.where(j == 0, 10.0**_LOWEST * frac, np.where(j == _BINS - 1, TOP, value))
    out: FloatArray = np.where(total >= max(min_count, 1), value, np.nan)
    return out


def ratios(
    surprise: FloatArray, ref: FloatArray, margins: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """Calibrated ratios ``min(surprise, TOP) / (reference x margin)`` (0 where the
    reference is unknown) and where it is known."""
    known = ~np.isnan(ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.minimum(surprise, TOP) / (np.maximum(ref, 1e-9) * margins[:, None])
    out: FloatArray = np.where(known, np.nan_to_num(r, nan=0.0, posinf=0.0), 0.0)
    return out, known
