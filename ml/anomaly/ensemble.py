"""Combining the calibrated components into one score, and suppressing repeats.

Every component is calibrated twice (:mod:`ml.anomaly.calibration`):

1. *leniently*, against all of its earlier surprises. A row whose combined lenient ratio
   reaches 1 "already looked anomalous", and so do the rows after it until the series
   calms down (:func:`incident_rows`);
2. *cleanly*, against the earlier surprises of the other rows. An incident therefore
   does not teach the detector that incidents are normal: a second outage a few days after
   the first still stands out, and one huge value does not blind the detector. The lenient
   view adapts without that feedback, so a lasting new behaviour (which it soon accepts)
   also becomes part of the clean reference: the detector cannot lock itself into alerting.
   A component also abstains where its residual uses rows of an incident: yesterday's
   outage is not today's anomaly, and a trailing mean still holding a spike is not a new
   shift (no "echo").

The score of a row comes from the clean ratios: the strongest component ``r`` is mapped to
``r / (1 + r)`` in [0, 1), so the alert threshold 0.5 is ``r = 1``. On a series with a
rhythm, non-seasonal components only count as far as a seasonal one agrees (see
:func:`_apply_agreements`).

After a row alerts, later rows are held just below the threshold while the incident lasts:
until the lenient ratio has stayed below ``rearm_ratio`` for ``rearm_rows`` rows in a row,
or for ``refractory_rows`` rows at most. One incident pages once; NAB likewise rewards the
earliest detection in a window and charges every further alarm outside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ml.anomaly.blocks import BoolArray
from ml.anomaly.calibration import evaluation_index, ratios, references
from ml.anomaly.components import Components
from ml.anomaly.model import COMPONENTS, DetectorParams, FloatArray, ScoreCarry

_SEASONS = ("daily", "weekly")


@dataclass(frozen=True, slots=True)
class Combined:
    """Per row (from the components' offset on): the strongest clean ratio, which component
    gave it (index into :data:`COMPONENTS`), that component's expectation of the value, and
    the combined lenient ratio."""

    ratio: FloatArray
    driver: npt.NDArray[np.int64]
    baseline: FloatArray
    scale: FloatArray
    lenient: FloatArray


def combine(
    comps: Components, params: DetectorParams, before: ScoreCarry | None = None
) -> tuple[Combined, ScoreCarry]:
    """Calibrate leniently, then cleanly, and take the strongest component per row.

    Only the rows of ``comps`` (from its offset on) are computed; ``before`` is the carry of
    an earlier call on a prefix of the same rows under the same state (covering at least
    the rows before that offset), against which they are calibrated. Returns the new rows
    and the carry of all rows.
    """
    row0 = comps.offset
    n = row0 + comps.surprise.shape[1]
    blocks = range(row0 // params.block_rows, -(-n // params.block_rows))
    prev = before if before is not None else ScoreCarry.empty(len(comps.names))
    surprise = np.concatenate((prev.surprises[:, :row0], comps.surprise), axis=1)
    known = np.concatenate((prev.known[:, :row0], comps.known), axis=1)
    margins = np.array([params.margin(name) for name in comps.names])
    lenient_refs = references(surprise, known, params, blocks, prev.lenient_refs)
    loose, ok = ratios(comps.surprise, _per_row(lenient_refs, blocks, params, n), margins)
    new_lenient = _apply_agreements(loose, ok, comps.names, params).max(axis=0)
    lenient = np.concatenate((prev.lenient[:row0], new_lenient))
    if not params.clean_calibration:
        carry = ScoreCarry(
            surprise, known, known, lenient, comps.summaries, lenient_refs, lenient_refs
        )
        return _strongest(loose, ok, comps, params, new_lenient), carry
    incident = incident_rows(lenient, params.rearm_ratio)
    echo = _looks_at_incident(comps, incident)
    clean = np.concatenate((prev.clean[:, :row0], comps.known & ~echo & ~incident[row0:]), axis=1)
    clean_refs = references(surprise, clean, params, blocks, prev.clean_refs)
    judged = np.where(echo, 0.0, comps.surprise)
    r, ok = ratios(judged, _per_row(clean_refs, blocks, params, n), margins)
    carry = ScoreCarry(surprise, known, clean, lenient, comps.summaries, lenient_refs, clean_refs)
    return _strongest(r, ok & ~echo, comps, params, new_lenient), carry


def _looks_at_incident(comps: Components, incident: BoolArray) -> BoolArray:
    """Per component, the rows (from the offset on) whose residual uses a row of an
    incident: the rows right before it (``lookback``) or one period earlier (``earlier``).

    Such a residual measures the earlier incident again - yesterday's outage seen from
    today, a trailing mean still holding the spike - so the component abstains there."""
    row0 = comps.offset
    seen = np.concatenate(([0], np.cumsum(incident)))
    rows = np.arange(row0, len(incident))
    out = (comps.earlier >= 0) & incident[np.maximum(comps.earlier, 0)]
    for i, back in enumerate(comps.lookback):
        if back:
            out[i] |= seen[rows] - seen[np.maximum(rows - back, 0)] > 0
    return out


def _per_row(refs: FloatArray, blocks: range, params: DetectorParams, n: int) -> FloatArray:
    """The reference of each row of ``blocks`` (up to row ``n``), ``(C, rows)``."""
    index = evaluation_index(
        np.arange(blocks.start, blocks.stop), params.calibration_refresh_blocks
    )
    per_block = refs[:, index]
    out: FloatArray = np.repeat(per_block, params.block_rows, axis=1)[
        :, : n - blocks.start * params.block_rows
    ]
    return out


def incident_rows(lenient: FloatArray, rearm_ratio: float) -> BoolArray:
    """Rows of an incident: from a row whose lenient ratio reaches 1, on while it stays at or
    above ``rearm_ratio`` (the series has not calmed down yet). Causal: row t's flag
    depends on rows <= t only."""
    elevated = lenient >= rearm_ratio
    run = np.cumsum(~elevated)
    key = 2 * run + (lenient >= 1.0)
    out: BoolArray = elevated & (np.maximum.accumulate(key) == 2 * run + 1)
    return out


def _strongest(
    r: FloatArray, known: BoolArray, comps: Components, params: DetectorParams, lenient: FloatArray
) -> Combined:
    """Per row, the strongest component after the agreements."""
    r = _apply_agreements(r, known, comps.names, params)
    best = np.argmax(r, axis=0)
    rows = np.arange(r.shape[1])
    index = np.array([COMPONENTS.index(name) for name in comps.names], dtype=np.int64)
    return Combined(
        r[best, rows], index[best], comps.baseline[best, rows], comps.scale[best, rows], lenient
    )


def _apply_agreements(
    r: FloatArray, known: BoolArray, names: tuple[str, ...], params: DetectorParams
) -> FloatArray:
    """Cap ratios that a rhythm explains; this can only lower them, never raise them.

    A series with a weekly rhythm breaks its daily pattern every Saturday and Monday, so a
    daily break counts only as far as the weekly view, calibrated, sees at least
    ``daily_weekly_agreement`` of its own alert level: ``daily <= weekly / agreement``.
    Likewise a jump or spike that happens every day at the same time is part of the rhythm:
    non-seasonal components count only as far as the strongest seasonal view agrees
    (``season_agreement``). Rows without a calibrated seasonal view keep their ratios.
    """
    out = r.copy()
    pos = {name: i for i, name in enumerate(names)}
    if "daily" in pos and "weekly" in pos and params.daily_weekly_agreement > 0:
        d, w = pos["daily"], pos["weekly"]
        cap = out[w] / params.daily_weekly_agreement
        out[d] = np.where(known[w], np.minimum(out[d], cap), out[d])
    seasonal = [pos[s] for s in _SEASONS if s in pos]
    if seasonal and params.season_agreement > 0:
        cap = out[seasonal].max(axis=0) / params.season_agreement
        rhythm = known[seasonal].any(axis=0)
        rest = [i for i in range(len(names)) if i not in seasonal]
        out[rest] = np.where(rhythm, np.minimum(out[rest], cap), out[rest])
    return out


_SCALE = 1_000_000
SCORE_RESOLUTION = 1.0 / _SCALE


def to_score(ratio: FloatArray) -> FloatArray:
    """Map ratios in [0, inf) to scores in [0, 1); ratio 1 is score 0.5.

    Scores are rounded *down* to a multiple of :data:`SCORE_RESOLUTION`, so that writing
    them with six decimals never lifts a score across the threshold.
    """
    out: FloatArray = np.floor(ratio / (1.0 + ratio) * _SCALE) / _SCALE
    return np.clip(out, 0.0, 1.0 - SCORE_RESOLUTION)


def suppress_repeats(
    scores: FloatArray, lenient: FloatArray, threshold: float, params: DetectorParams
) -> FloatArray:
    """Hold scores below ``threshold`` after an alerting row while its incident lasts.

    A later row may alert again once ``refractory_rows`` rows have passed, or once the
    lenient ratio stayed below ``rearm_ratio`` for ``rearm_rows`` consecutive rows after the
    last alert (the series went back to normal, so what follows is a new incident).
    """
    out = scores.copy()
    below = max(threshold - SCORE_RESOLUTION, 0.0)
    calm_run = _run_lengths(lenient < params.rearm_ratio)
    last = None
    for i in np.nonzero(scores >= threshold)[0].tolist():
        if last is None or _rearmed(calm_run, last, i, params):
            last = i
        else:
            out[i] = min(out[i], below)
    return out


def _rearmed(calm_run: npt.NDArray[np.int64], last: int, i: int, params: DetectorParams) -> bool:
    if i - last >= params.refractory_rows:
        return True
    since = np.minimum(calm_run[last + 1 : i], np.arange(1, i - last))
    return bool(since.size) and int(since.max()) >= params.rearm_rows


def _run_lengths(flags: BoolArray) -> npt.NDArray[np.int64]:
    """Per row, how many consecutive rows up to and including it are True."""
    idx = np.arange(1, len(flags) + 1)
    last_false = np.maximum.accumulate(np.where(flags, 0, idx))
    out: npt.NDArray[np.int64] = idx - last_false
    return out
