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
histogram of the surprises on a log scale (ten bins per decade from 0.1 to 1e6 robust
sigmas, geometric interpolation within a bin): counting rows per bin is linear in the rows,
where an exact rolling quantile needs a sort. Surprises are kept as their bin numbers.

``include`` says which rows of each component count: rows where a component could not judge
yet never do, and the ensemble calibrates a second time without the rows of incidents
(:mod:`ml.anomaly.ensemble`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ml.anomaly.blocks import BoolArray
from ml.anomaly.model import DetectorParams, FloatArray

_LOWEST = -1.0
_PER_DECADE = 10
_DECADES = 7
BINS = _PER_DECADE * _DECADES + 2  # with an underflow and an overflow bin
TOP = 10.0 ** (_LOWEST + _DECADES)
"""Surprises are capped here: beyond it every value is equally (very) surprising."""

IntArray = npt.NDArray[np.int64]
BinArray = npt.NDArray[np.uint8]


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


def to_bins(surprise: FloatArray) -> BinArray:
    """Histogram bin of each surprise: 0 below 0.1, the last one from :data:`TOP` on."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.log10(surprise)
    scaled -= _LOWEST
    scaled *= _PER_DECADE
    np.floor(scaled, out=scaled)
    np.fmax(scaled, -1, out=scaled)  # NaN (and -inf) become -1 too
    np.minimum(scaled, BINS - 2, out=scaled)
    scaled += 1
    out: BinArray = scaled.astype(np.uint8)
    return out


class Calibrator:
    """References of the evaluation blocks still missing for ``blocks`` (evaluation indices
    ``done ..``), from the binned surprises ``bins`` (``(C, n)``) of one batch of rows.

    Built once per batch, it serves both the lenient and the clean calibration: only which
    rows count differs between them.
    """

    def __init__(self, bins: BinArray, params: DetectorParams, blocks: range, done: int) -> None:
        refresh = params.calibration_refresh_blocks
        last = int(evaluation_index(np.array([blocks.stop - 1]), refresh)[0]) if blocks else -1
        self.params = params
        self.done = done
        self.count = last + 1
        rows = params.block_rows
        period = max(refresh, 1) * rows
        window = -(-params.calibration_rows // period) * period
        ends = _evaluation_block(np.arange(done, self.count), refresh) * rows
        starts = np.maximum(ends - window, 0)
        edges = np.unique(np.concatenate((starts, ends, [0])))
        self._lo, self._hi = int(edges[0]), int(edges[-1])
        self._edges = len(edges)
        self._a, self._b = np.searchsorted(edges, starts), np.searchsorted(edges, ends)
        if self.count > done:
            segment = np.repeat(np.arange(len(edges) - 1), np.diff(edges))
            c = bins.shape[0]
            self._index = (segment * BINS + bins[:, self._lo : self._hi]) * c + np.arange(c)[
                :, None
            ]

    def references(self, include: BoolArray, known: FloatArray) -> FloatArray:
        """All references up to the last one needed (``(C, count)``): the ``known`` ones
        (computed earlier on a prefix of the same rows), then the missing ones, counting
        the rows ``include`` selects. NaN where fewer than ``calibration_min`` rows count."""
        if self.count <= self.done:
            return known[:, : self.count]
        c = include.shape[0]
        picked = self._index[include[:, self._lo : self._hi]]
        flat = np.bincount(picked, minlength=self._edges * BINS * c).reshape(self._edges, BINS, c)
        cum = _running_sum(flat.astype(np.int32))
        counts = np.moveaxis(cum[self._b] - cum[self._a], 1, 0)  # (bins, evaluations, C)
        p = self.params
        fresh = _quantile(counts, p.calibration_quantile, p.calibration_min).T
        return np.concatenate((known[:, : self.done], fresh), axis=1)


def _running_sum(a: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Cumulative sums along the first axis with a leading zero row. (Adding whole rows in
    a loop is several times faster than ``np.cumsum`` along a leading axis.)"""
    out = np.zeros((len(a) + 1, *a.shape[1:]), dtype=a.dtype)
    for i in range(len(a)):
        np.add(out[i], a[i], out=out[i + 1])
    return out


def _quantile(counts: npt.NDArray[np.int32], q: float, min_count: int) -> FloatArray:
    """Quantile ``q`` of histograms ``counts`` (bins on the first axis); values are assumed
    spread evenly on the log scale within their bin."""
    cum = _running_sum(counts)[1:]
    total = cum[-1]
    rank = q * np.maximum(total - 1.0, 0.0)
    j = np.minimum(np.count_nonzero(cum <= rank, axis=0), BINS - 1)
    below = np.where(j > 0, np.take_along_axis(cum, np.maximum(j - 1, 0)[None], 0)[0], 0)
    inside = np.take_along_axis(counts, j[None], 0)[0]
    frac = np.clip((rank - below + 0.5) / np.maximum(inside, 1), 0.0, 1.0)
    value = 10.0 ** (_LOWEST + (j - 1 + frac) / _PER_DECADE)
    value = np.where(j == 0, 10.0**_LOWEST * frac, np.where(j == BINS - 1, TOP, value))
    out: FloatArray = np.where(total >= max(min_count, 1), value, np.nan)
    return out


def ratios(surprise: FloatArray, ref: FloatArray, margin: float) -> tuple[FloatArray, BoolArray]:
    """Calibrated ratios ``min(surprise, TOP) / (reference x margin)`` (0 where the
    reference is unknown) and where it is known."""
    known = ~np.isnan(ref)
    scale = np.where(known, np.maximum(ref, 1e-9), np.inf) * margin
    out: FloatArray = np.minimum(surprise, TOP) / scale
    return out, known
