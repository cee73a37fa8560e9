"""The detector's components: causal "surprise" measures, each in robust sigmas.

Each component looks at the series through one lens - a *residual* series - and reports, per
row, how many robust standard deviations the row's residual sits from what the recent past
of that residual looked like (:mod:`ml.anomaly.blocks`; never using the row itself):

* ``level``  the value itself (spikes, dips);
* ``jump``   the row-to-row change (sudden steps);
* ``shift``  the mean of the last ``shift_rows`` rows (a small but sustained shift, a drift);
* ``daily``/``weekly`` the value minus the value one period earlier (a broken rhythm).

``jump`` and ``shift`` look at values clipped to :data:`CLIP_SIGMAS` robust sigmas around
the level's location: one absurd value (1e300) is a spike for ``level``, but must not swamp
a trailing mean for the next two dozen rows. The calibration (:mod:`ml.anomaly.calibration`)
turns surprises into comparable ratios.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from ml.anomaly.blocks import BoolArray, summarise, trailing_location_scale
from ml.anomaly.model import DetectorParams, FittedState, FloatArray, SeasonSpec
from ml.anomaly.rolling import trailing_mean

BASE = ("level", "jump", "shift")
_SHIFT = BASE.index("shift")
_T = TypeVar("_T", bound=np.generic)
CLIP_SIGMAS = 20.0
"""Beyond this many robust sigmas a value is "very far off" whatever its exact size."""


@dataclass(frozen=True, slots=True)
class Components:
    """Per-component surprises of rows ``offset ..`` of one series, each ``(C, n - offset)``.

    ``baseline`` and ``scale`` express each component's expectation of the row's value in
    the series' own unit, for explanations: for ``jump`` the previous value plus the typical
    change, for ``daily`` the value a day earlier plus the typical day-over-day change, for
    ``level`` and ``shift`` the usual level and spread. ``known`` is
    False where a component had too little history to judge (its surprise is then 0).
    ``lookback`` is how many rows right before a row each component's residual uses (0 for
    ``level``, 1 for ``jump``, ``shift_rows - 1`` for ``shift``); ``earlier`` is, for the
    seasonal components, the row one period earlier that each row was compared with (-1
    where there is none, and everywhere for the other components).
    ``summaries`` are the block summaries (:func:`ml.anomaly.blocks.summarise`) of every
    complete block of the series.
    """

    names: tuple[str, ...]
    offset: int
    lookback: tuple[int, ...]
    surprise: FloatArray
    baseline: FloatArray
    scale: FloatArray
    known: BoolArray
    earlier: npt.NDArray[np.int64]
    summaries: FloatArray


@dataclass(frozen=True, slots=True)
class _Judged:
    """Location, scale and known of residual rows ``start ..`` and all block summaries."""

    location: FloatArray
    scale: FloatArray
    known: BoolArray
    summaries: FloatArray


def lagged_index(
    timestamps: FloatArray, seconds: float, rows: int, step: float, start: int = 0
) -> npt.NDArray[np.int64]:
    """For rows ``start ..``, the index of the row about ``seconds`` earlier (-1 if none).

    Looks the row up by time so gaps do not shift the season; falls back to ``rows`` rows
    earlier when the timestamps have no row close enough (for example around a DST repeat).
    """
    n = len(timestamps)
    mono = np.maximum.accumulate(timestamps)
    target = timestamps[start:] - seconds
    j = np.clip(np.searchsorted(mono, target, side="right") - 1, 0, max(n - 1, 0))
    close = np.abs(mono[j] - target) <= step / 2
    idx = np.arange(start, n)
    out = np.where(close & (j < idx), j, idx - rows)
    result: npt.NDArray[np.int64] = np.where(out >= 0, out, -1).astype(np.int64)
    return result


def compute_components(
    x: FloatArray,
    timestamps: FloatArray,
    state: FittedState,
    first: int = 0,
    summaries: FloatArray | None = None,
) -> Components:
    """Components of rows from ``first``'s block on, under ``state``.

    ``summaries`` are those of an earlier call on a prefix of these rows that covered at
    least the blocks before ``first``'s; the rows computed equal those of a full call.
    """
    p = state.params
    rows = p.block_rows
    row0 = first - first % rows
    ctx = max(0, row0 - p.shift_rows - 1)
    ctx -= ctx % rows  # the clipped context rows need their own level statistics
    before = summaries if summaries is not None else np.zeros((2, 0, 0))
    level = _judge(x[None, ctx:], before[:, :1], ctx, p, np.array([state.floor]))
    residual, anchor, earlier = _residuals(x, timestamps, state, row0, _clip(x[ctx:], level))
    rest = _judge(residual[1:], before[:, 1:], row0, p, np.full(len(residual) - 1, state.floor))
    cut = row0 - ctx
    loc: FloatArray = np.vstack((level.location[:, cut:], rest.location))
    scale: FloatArray = np.vstack((level.scale[:, cut:], rest.scale))
    known: BoolArray = np.vstack((level.known[:, cut:], rest.known))
    with np.errstate(invalid="ignore"):
        z: FloatArray = np.where(known, np.abs(residual - loc) / scale, 0.0)
    summ: FloatArray = np.concatenate((level.summaries, rest.summaries), axis=1)
    names = BASE + tuple(s.name for s in state.seasons)
    z = np.nan_to_num(z, posinf=0.0)
    baseline, band = anchor + loc, scale.copy()
    # A trailing mean is explained against the band of normal values, like the level.
    baseline[_SHIFT], band[_SHIFT] = loc[0], scale[0]
    lookback = (0, 1, p.shift_rows - 1) + (0,) * len(state.seasons)
    return Components(names, row0, lookback, z, baseline, band, known, earlier, summ)


def _residuals(
    x: FloatArray, timestamps: FloatArray, state: FittedState, row0: int, clipped: FloatArray
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """Residuals of rows ``row0 ..`` of every component, the anchors they are measured from
    and (for seasonal components) the earlier rows, each ``(C, n - row0)``. ``clipped`` are
    the clipped values of the rows from a little before ``row0`` on (context for ``shift``)."""
    m = len(x) - row0
    level = (x[None, row0:], np.zeros((1, m)), np.full((1, m), -1, dtype=np.int64))
    parts = [level, _derived(clipped, len(clipped) - m, state.params.shift_rows)]
    parts += [_seasonal(x, timestamps, s, state.step_seconds, row0) for s in state.seasons]
    residual: FloatArray = np.vstack([part[0] for part in parts])
    anchor: FloatArray = np.vstack([part[1] for part in parts])
    earlier: npt.NDArray[np.int64] = np.vstack([part[2] for part in parts])
    return residual, anchor, earlier


def _judge(
    residual: FloatArray, before: FloatArray, start: int, p: DetectorParams, floor: FloatArray
) -> _Judged:
    """Judge residual rows ``start ..`` (``start`` on a block boundary) against the blocks
    before each row's block; ``before`` holds the summaries of at least the blocks before
    ``start``'s (it may be empty when ``start`` is 0)."""
    rows = p.block_rows
    fb = start // rows
    n = start + residual.shape[1]
    summaries = summarise(residual, rows)
    if fb:
        summaries = np.concatenate((before[:, :, :fb], summaries), axis=-1)
    blocks = range(fb, -(-n // rows))
    loc, scale, known = trailing_location_scale(
        summaries, p.history_blocks, p.min_history_blocks, floor, blocks
    )

    def spread(a: npt.NDArray[_T]) -> npt.NDArray[_T]:
        return np.repeat(a, rows, axis=-1)[:, : n - start]

    return _Judged(spread(loc), spread(scale), spread(known), summaries)


def _clip(x: FloatArray, level: _Judged) -> FloatArray:
    """``x`` clipped to :data:`CLIP_SIGMAS` robust sigmas around the level's location (rows
    without a judged level are kept as they are)."""
    reach = CLIP_SIGMAS * level.scale[0]
    lo = np.where(level.known[0], level.location[0] - reach, -np.inf)
    hi = np.where(level.known[0], level.location[0] + reach, np.inf)
    out: FloatArray = np.clip(x, lo, hi)
    return out


def _derived(
    xc: FloatArray, start: int, shift_rows: int
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """``jump`` and ``shift`` residuals of rows ``start ..`` of the clipped values ``xc``
    (earlier rows are context), the anchors they are measured from and (-1) earlier rows,
    ``(2, m)`` each."""
    prev = np.concatenate((xc[:1], xc[:-1]))[start:]
    jump = xc[start:] - prev
    shift = trailing_mean(xc, shift_rows)[start:]
    none = np.full((2, len(prev)), -1, dtype=np.int64)
    return np.stack((jump, shift)), np.stack((prev, np.zeros(len(prev)))), none


def _seasonal(
    x: FloatArray, timestamps: FloatArray, season: SeasonSpec, step: float, start: int
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """For rows ``start ..``: value minus the value one period earlier (NaN where there is
    none yet), that earlier value, and the row it comes from (-1 where there is none); each
    ``(1, m)``."""
    row = lagged_index(timestamps, season.seconds, season.rows, step, start)
    earlier = np.where(row >= 0, x[np.maximum(row, 0)], np.nan)
    return (x[start:] - earlier)[None], earlier[None], row[None]
