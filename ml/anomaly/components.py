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

Several series of the same length and shape of state are computed at once (a leading
"series" axis on every array), which is what makes scoring a fleet cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from ml.anomaly.blocks import BoolArray, summarise, trailing_location_scale
from ml.anomaly.model import DetectorParams, FloatArray, SeasonSpec

BASE = ("level", "jump", "shift")
_SHIFT = BASE.index("shift")
_T = TypeVar("_T", bound=np.generic)
IntArray = npt.NDArray[np.int64]
CLIP_SIGMAS = 20.0
"""Beyond this many robust sigmas a value is "very far off" whatever its exact size."""


@dataclass(frozen=True, slots=True)
class Shape:
    """What a batch of series shares (parameters and rhythms) and what it does not (the
    value floor and sampling step of each series, ``(S,)``)."""

    params: DetectorParams
    seasons: tuple[SeasonSpec, ...]
    floors: FloatArray
    steps: FloatArray

    @property
    def names(self) -> tuple[str, ...]:
        return BASE + tuple(s.name for s in self.seasons)

    @property
    def lookback(self) -> tuple[int, ...]:
        """How many rows right before a row each component's residual uses."""
        return (0, 0, self.params.shift_rows - 1) + (0,) * len(self.seasons)


@dataclass(frozen=True, slots=True)
class Components:
    """Per-component surprises of rows ``offset ..`` of a batch, each ``(S, C, n - offset)``.

    ``baseline`` and ``scale`` express each component's expectation of the row's value in
    the series' own unit, for explanations: for ``jump`` the previous value plus the typical
    change, for ``daily`` the value a day earlier plus the typical day-over-day change, for
    ``level`` and ``shift`` the usual level and spread. ``known`` is False where a component
    had too little history to judge (its surprise is then 0). ``earlier`` is, for the
    seasonal components, the row one period earlier each row was compared with (-1 where
    there is none, and everywhere for the other components). ``summaries`` are the block
    summaries (:func:`ml.anomaly.blocks.summarise`) of every complete block, ``(2, S, C, nc)``.
    """

    shape: Shape
    offset: int
    surprise: FloatArray
    baseline: FloatArray
    scale: FloatArray
    known: BoolArray
    earlier: IntArray
    summaries: FloatArray


@dataclass(frozen=True, slots=True)
class _Judged:
    """Location, scale and known of residual rows ``start ..`` and all block summaries."""

    location: FloatArray
    scale: FloatArray
    known: BoolArray
    summaries: FloatArray


def lagged_index(
    timestamps: FloatArray, seconds: float, rows: IntArray, steps: FloatArray, start: int = 0
) -> IntArray:
    """For rows ``start ..`` of each series (``timestamps`` is ``(S, n)``), the index of the
    row about ``seconds`` earlier (-1 if none).

    Looks the row up by time so gaps do not shift the season; falls back to ``rows`` rows
    earlier when the timestamps have no row close enough (for example around a DST repeat).
    """
    s, n = timestamps.shape
    mono = np.maximum.accumulate(timestamps, axis=1)
    target = timestamps[:, start:] - seconds
    # One sorted array for all series: offset each series past the previous one's times.
    span = float(np.nanmax(mono[:, -1] - mono[:, 0])) + 2 * seconds + 1.0 if n else 1.0
    shift = (np.arange(s) * span)[:, None] - mono[:, :1]
    j = np.searchsorted((mono + shift).ravel(), (target + shift).ravel(), side="right")
    j = np.clip(j.reshape(s, -1) - 1 - np.arange(s)[:, None] * n, 0, max(n - 1, 0))
    close = np.abs(np.take_along_axis(mono, j, axis=1) - target) <= steps[:, None] / 2
    idx = np.arange(start, n)[None, :]
    out = np.where(close & (j < idx), j, idx - rows[:, None])
    result: IntArray = np.where(out >= 0, out, -1).astype(np.int64)
    return result


def compute_components(
    x: FloatArray,
    timestamps: FloatArray,
    shape: Shape,
    first: int = 0,
    summaries: FloatArray | None = None,
) -> Components:
    """Components of rows from ``first``'s block on of each series (``x`` and
    ``timestamps`` are ``(S, n)``).

    ``summaries`` are those of an earlier call on a prefix of these rows that covered at
    least the blocks before ``first``'s; the rows computed equal those of a full call.
    """
    p = shape.params
    rows = p.block_rows
    row0 = first - first % rows
    ctx = max(0, row0 - p.shift_rows - 1)
    ctx -= ctx % rows  # the clipped context rows need their own level statistics
    s = x.shape[0]
    before = summaries if summaries is not None else np.zeros((2, s, 0, 0))
    level = _judge(x[:, None, ctx:], before[:, :, :1], ctx, p, shape.floors[:, None])
    clipped = _clip(x[:, ctx:], level)
    residual, anchor, earlier = _residuals(
        x, timestamps, shape, row0, clipped, level.location[:, 0]
    )
    floors = np.repeat(shape.floors[:, None], len(shape.names) - 1, axis=1)
    rest = _judge(residual[:, 1:], before[:, :, 1:], row0, p, floors)
    cut = row0 - ctx
    loc: FloatArray = np.concatenate((level.location[:, :, cut:], rest.location), axis=1)
    scale: FloatArray = np.concatenate((level.scale[:, :, cut:], rest.scale), axis=1)
    known: BoolArray = np.concatenate((level.known[:, :, cut:], rest.known), axis=1)
    z: FloatArray = residual - loc
    with np.errstate(invalid="ignore"):
        np.abs(z, out=z)
        np.divide(z, scale, out=z)
    z[~known] = 0.0
    np.nan_to_num(z, copy=False, posinf=0.0)
    baseline = anchor + loc
    # A trailing mean is explained against the band of normal values, like the level.
    baseline[:, _SHIFT], scale[:, _SHIFT] = loc[:, 0], scale[:, 0]
    summ: FloatArray = np.concatenate((level.summaries, rest.summaries), axis=2)
    return Components(shape, row0, z, baseline, scale, known, earlier, summ)


def _judge(
    residual: FloatArray, before: FloatArray, start: int, p: DetectorParams, floor: FloatArray
) -> _Judged:
    """Judge residual rows ``start ..`` (``(S, C, m)``, ``start`` on a block boundary)
    against the blocks before each row's block; ``before`` (``(2, S, C, k)``) holds the
    summaries of at least the blocks before ``start``'s (it may be empty when ``start`` is
    0); ``floor`` is ``(S, C)``."""
    s, c, m = residual.shape
    rows = p.block_rows
    fb = start // rows
    n = start + m
    flat = summarise(residual.reshape(s * c, m), rows)
    summaries = flat.reshape(2, s, c, -1)
    if fb:
        summaries = np.concatenate((before[..., :fb], summaries), axis=-1)
    blocks = range(fb, -(-n // rows))
    loc, scale, known = trailing_location_scale(
        summaries.reshape(2, s * c, -1),
        p.history_blocks,
        p.min_history_blocks,
        floor.ravel(),
        blocks,
    )

    def spread(a: npt.NDArray[_T]) -> npt.NDArray[_T]:
        return np.repeat(a, rows, axis=-1)[:, :m].reshape(s, c, m)

    return _Judged(spread(loc), spread(scale), spread(known), summaries)


def _clip(x: FloatArray, level: _Judged) -> FloatArray:
    """``x`` (``(S, m)``) clipped to :data:`CLIP_SIGMAS` robust sigmas around the level's
    location (rows without a judged level are kept as they are)."""
    reach = CLIP_SIGMAS * level.scale[:, 0]
    lo = np.where(level.known[:, 0], level.location[:, 0] - reach, -np.inf)
    hi = np.where(level.known[:, 0], level.location[:, 0] + reach, np.inf)
    out: FloatArray = np.clip(x, lo, hi)
    return out


def _residuals(
    x: FloatArray,
    timestamps: FloatArray,
    shape: Shape,
    row0: int,
    clipped: FloatArray,
    location: FloatArray,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Residuals of rows ``row0 ..`` of every component, the anchors they are measured from
    and the earlier rows they compare with, each ``(S, C, n - row0)``. ``clipped`` are the
    clipped values from a little before ``row0`` on (context for ``shift``) and
    ``location`` the level's location on the same rows."""
    s, n = x.shape
    m = n - row0
    level = (x[:, None, row0:], np.zeros((s, 1, m)), np.full((s, 1, m), -1, dtype=np.int64))
    parts = [level, _derived(clipped, location, n - len(clipped[0]), m, shape.params.shift_rows)]
    for season in shape.seasons:
        rows = np.round(season.seconds / shape.steps).astype(np.int64)
        parts.append(_seasonal(x, timestamps, season.seconds, rows, shape.steps, row0))
    residual: FloatArray = np.concatenate([part[0] for part in parts], axis=1)
    anchor: FloatArray = np.concatenate([part[1] for part in parts], axis=1)
    earlier: IntArray = np.concatenate([part[2] for part in parts], axis=1)
    return residual, anchor, earlier


def _derived(
    xc: FloatArray, location: FloatArray, offset: int, m: int, shift_rows: int
) -> tuple[FloatArray, FloatArray, IntArray]:
    """``jump`` and ``shift`` residuals of the last ``m`` rows of the clipped values ``xc``
    (``(S, k)``, row ``offset ..`` of the series; earlier rows are context), the anchors
    they are measured from and the rows they look back to, ``(S, 2, m)`` each.

    A jump back towards the level's location looks back to the row before it: when that
    row belonged to an incident, the jump is the incident ending, not a new one."""
    s, k = xc.shape
    start = k - m
    before = np.concatenate((xc[:, :1], xc[:, :-1]), axis=1)
    prev = before[:, start:]
    jump = xc[:, start:] - prev
    shift = trailing_mean(xc, shift_rows)[:, start:]
    at = np.concatenate((location[:, :1], location[:, :-1]), axis=1)[:, start:]
    with np.errstate(invalid="ignore"):
        back = jump * (prev - at) < 0
    rows = offset + np.arange(start, k)
    earlier = np.stack((np.where(back, rows - 1, -1), np.full((s, m), -1)), axis=1)
    return np.stack((jump, shift), axis=1), np.stack((prev, np.zeros_like(prev)), axis=1), earlier


def trailing_mean(x: FloatArray, k: int) -> FloatArray:
    """Per row of ``x`` (``(S, n)``), the mean of ``x[t-k+1 : t+1]`` (fewer rows at the
    start). Each mean only adds up its own window: a running sum would let one value of
    1e300 swamp every later mean, and ``inf`` turn them all into NaN."""
    s, n = x.shape
    k = max(1, min(k, n)) if n else 1
    padded = np.concatenate((np.zeros((s, k - 1)), x), axis=1)
    sums = sliding_window_view(padded, k, axis=1).sum(axis=2)
    out: FloatArray = sums / np.minimum(np.arange(1, n + 1), k)
    return out


def _seasonal(
    x: FloatArray,
    timestamps: FloatArray,
    seconds: float,
    rows: IntArray,
    steps: FloatArray,
    start: int,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """For rows ``start ..``: value minus the value one period earlier (NaN where there is
    none yet), that earlier value, and the row it comes from (-1 where there is none); each
    ``(S, 1, m)``."""
    row = lagged_index(timestamps, seconds, rows, steps, start)
    earlier = np.where(row >= 0, np.take_along_axis(x, np.maximum(row, 0), axis=1), np.nan)
    return (x[:, start:] - earlier)[:, None], earlier[:, None], row[:, None]
