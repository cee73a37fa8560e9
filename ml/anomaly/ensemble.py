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
earliest detection in a window and charges every further alarm outside it. A new incident
soon after an alert must also be stronger (``escalation``, decaying over days): a series
whose surprises keep just crossing the alert level pages once, not every hour.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ml.anomaly.blocks import BoolArray
from ml.anomaly.calibration import Calibrator, evaluation_index, ratios, to_bins
from ml.anomaly.components import Components
from ml.anomaly.model import COMPONENTS, DetectorParams, FloatArray, ScoreCarry

_SEASONS = ("daily", "weekly")


@dataclass(frozen=True, slots=True)
class Combined:
    """Per series and row (from the components' offset on), ``(S, m)``: the strongest clean
    ratio, which component gave it (index into :data:`COMPONENTS`), that component's
    expectation of the value, and the combined lenient ratio."""

    ratio: FloatArray
    driver: npt.NDArray[np.int64]
    baseline: FloatArray
    scale: FloatArray
    lenient: FloatArray


def combine(comps: Components, before: ScoreCarry | None = None) -> tuple[Combined, ScoreCarry]:
    """Calibrate leniently, then cleanly, and take the strongest component per row.

    Only the rows of ``comps`` (from its offset on) are computed; ``before`` is the carry of
    an earlier call on a prefix of the same rows under the same states (covering at least
    the rows before that offset; a leading series axis on every array), against which they
    are calibrated. Returns the new rows and the carry of all rows.
    """
    params, names = comps.shape.params, comps.shape.names
    s, c, m = comps.surprise.shape
    row0 = comps.offset
    n = row0 + m
    blocks = range(row0 // params.block_rows, -(-n // params.block_rows))
    prev = before if before is not None else ScoreCarry.empty(c, s)
    bins = np.concatenate((prev.bins[..., :row0], to_bins(comps.surprise)), axis=2)
    known = np.concatenate((prev.known[..., :row0], comps.known), axis=2)
    calibrator = Calibrator(bins.reshape(s * c, n), params, blocks, prev.lenient_refs.shape[2])
    margin = params.alert_margin
    lenient_refs = _references(calibrator, known, prev.lenient_refs)
    loose, ok = ratios(comps.surprise, _per_row(lenient_refs, blocks, params, n), margin)
    new_lenient = _apply_agreements(loose, ok, names, params).max(axis=1)
    lenient = np.concatenate((prev.lenient[:, :row0], new_lenient), axis=1)
    if not params.clean_calibration:
        carry = ScoreCarry(bins, known, known, lenient, comps.summaries, lenient_refs, lenient_refs)
        return _strongest(loose, ok, comps, new_lenient), carry
    incident = incident_rows(lenient, params.rearm_ratio)
    echo = _looks_at_incident(comps, incident)
    fresh = comps.known & ~echo & ~incident[:, None, row0:]
    clean = np.concatenate((prev.clean[..., :row0], fresh), axis=2)
    clean_refs = _references(calibrator, clean, prev.clean_refs)
    judged = np.where(echo, 0.0, comps.surprise)
    r, ok = ratios(judged, _per_row(clean_refs, blocks, params, n), margin)
    carry = ScoreCarry(bins, known, clean, lenient, comps.summaries, lenient_refs, clean_refs)
    return _strongest(r, ok & ~echo, comps, new_lenient), carry


def _references(calibrator: Calibrator, include: BoolArray, known: FloatArray) -> FloatArray:
    """:meth:`Calibrator.references` of every series and component at once."""
    s, c, n = include.shape
    flat = calibrator.references(include.reshape(s * c, n), known.reshape(s * c, -1))
    return flat.reshape(s, c, -1)


def _looks_at_incident(comps: Components, incident: BoolArray) -> BoolArray:
    """Per series and component, the rows (from the offset on) whose residual uses a row of
    an incident: the rows right before it (``lookback``) or one period earlier.

    Such a residual measures the earlier incident again - yesterday's outage seen from
    today, a trailing mean still holding the spike - so the component abstains there."""
    row0 = comps.offset
    s, n = incident.shape
    seen: npt.NDArray[np.int64] = np.zeros((s, n + 1), dtype=np.int64)
    np.cumsum(incident, axis=1, out=seen[:, 1:])
    rows = np.arange(row0, n)
    earlier = np.maximum(comps.earlier, 0).reshape(s, -1)
    out = (comps.earlier >= 0) & np.take_along_axis(incident, earlier, axis=1).reshape(
        comps.earlier.shape
    )
    for i, back in enumerate(comps.shape.lookback):
        if back:
            out[:, i] |= seen[:, rows] - seen[:, np.maximum(rows - back, 0)] > 0
    return out


def _per_row(refs: FloatArray, blocks: range, params: DetectorParams, n: int) -> FloatArray:
    """The reference of each row of ``blocks`` (up to row ``n``), ``(S, C, rows)``."""
    index = evaluation_index(
        np.arange(blocks.start, blocks.stop), params.calibration_refresh_blocks
    )
    per_block = refs[..., index]
    out: FloatArray = np.repeat(per_block, params.block_rows, axis=-1)[
        ..., : n - blocks.start * params.block_rows
    ]
    return out


def incident_rows(lenient: FloatArray, rearm_ratio: float) -> BoolArray:
    """Rows of an incident (``lenient`` is ``(S, n)``): from a row whose lenient ratio
    reaches 1, on while it stays at or above ``rearm_ratio`` (the series has not calmed down
    yet). Causal: row t's flag depends on rows <= t only."""
    elevated = lenient >= rearm_ratio
    run = np.cumsum(~elevated, axis=-1)
    key = 2 * run + (lenient >= 1.0)
    out: BoolArray = elevated & (np.maximum.accumulate(key, axis=-1) == 2 * run + 1)
    return out


def _strongest(r: FloatArray, known: BoolArray, comps: Components, lenient: FloatArray) -> Combined:
    """Per row, the strongest component after the agreements."""
    shape = comps.shape
    r = _apply_agreements(r, known, shape.names, shape.params)
    best = np.argmax(r, axis=1)
    index = np.array([COMPONENTS.index(name) for name in shape.names], dtype=np.int64)
    chosen = [best == i for i in range(1, r.shape[1])]

    def pick(a: FloatArray) -> FloatArray:
        out = a[:, 0].copy()
        for i, where in enumerate(chosen, start=1):
            np.copyto(out, a[:, i], where=where)
        return out

    return Combined(pick(r), index[best], pick(comps.baseline), pick(comps.scale), lenient)


def _apply_agreements(
    r: FloatArray, known: BoolArray, names: tuple[str, ...], params: DetectorParams
) -> FloatArray:
    """Cap ratios (``(S, C, m)``) that a rhythm explains; this can only lower them.

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
        cap = out[:, w] / params.daily_weekly_agreement
        out[:, d] = np.where(known[:, w], np.minimum(out[:, d], cap), out[:, d])
    seasonal = [pos[s] for s in _SEASONS if s in pos]
    if seasonal and params.season_agreement > 0:
        cap = out[:, seasonal].max(axis=1, keepdims=True) / params.season_agreement
        rhythm = known[:, seasonal].any(axis=1, keepdims=True)
        rest = [i for i in range(len(names)) if i not in seasonal]
        out[:, rest] = np.where(rhythm, np.minimum(out[:, rest], cap), out[:, rest])
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
    scores: FloatArray,
    threshold: float,
    params: DetectorParams,
    step: float,
    decided: FloatArray | None = None,
) -> FloatArray:
    """Hold scores below ``threshold`` after an alerting row while its incident lasts.

    A later row may alert again once ``refractory_rows`` rows have passed, or once the
    series has stayed calm - every score below that of ratio ``rearm_ratio`` - for
    ``rearm_seconds`` after the last alert (rows of ``step`` seconds): it went back to
    normal, so what follows is a new incident. Such a row must also clear the escalated
    bar of :func:`escalated_score` (a little above the threshold, less so the longer ago the
    last alert was). ``decided`` are the published scores of the first rows, from an
    earlier call (causal, so they stand); only the rows after them are decided here.
    """
    start = 0 if decided is None else len(decided)
    if decided is not None and not (scores[start:] >= threshold).any():
        return np.concatenate((decided, scores[start:]))
    out = scores.copy()
    last = None
    if decided is not None:
        out[:start] = decided
        alerted = np.nonzero(decided >= threshold)[0]
        last = int(alerted[-1]) if len(alerted) else None
    base = 0 if last is None else last + 1
    calm_run = _run_lengths(scores[base:] < params.rearm_ratio / (1.0 + params.rearm_ratio))
    quiet = max(1, math.ceil(params.rearm_seconds / step)) if step > 0 else 1
    calm = np.nonzero(calm_run >= quiet)[0].tolist()  # rows ending a long enough calm
    below = max(threshold - SCORE_RESOLUTION, 0.0)
    for i in (start + np.nonzero(scores[start:] >= threshold)[0]).tolist():
        if last is None or (
            _rearmed(calm, last - base, i - base, params.refractory_rows, quiet)
            and scores[i] >= escalated_score(threshold, params, (i - last) * step)
        ):
            last = i
        else:
            out[i] = min(out[i], below)
    return out


def escalated_score(threshold: float, params: DetectorParams, seconds: float) -> float:
    """The score a new alert needs ``seconds`` after the previous one: that of ratio
    ``1 + (escalation - 1) / 2 ** (seconds / half-life)`` on the scale where ``threshold``
    is ratio 1 (``threshold`` itself once the escalation has died away or is off)."""
    extra = params.escalation - 1.0
    half_life = params.escalation_half_life_seconds
    if extra <= 0.0 or half_life <= 0.0:
        return threshold
    odds = threshold / (1.0 - threshold) * (1.0 + extra * math.pow(0.5, seconds / half_life))
    return odds / (1.0 + odds)


def _rearmed(calm: list[int], last: int, i: int, refractory: int, quiet: int) -> bool:
    """Whether row ``i`` may alert again after the alert at row ``last``: ``refractory``
    rows later, or once a calm of ``quiet`` rows lies wholly between them - some row
    ``j`` with ``last + quiet <= j < i`` ends a run of at least ``quiet`` calm rows
    (``calm``, sorted; all three are indices from the same row on)."""
    if i - last >= refractory:
        return True
    k = bisect.bisect_left(calm, last + quiet)
    return k < len(calm) and calm[k] < i


def _run_lengths(flags: BoolArray) -> npt.NDArray[np.int64]:
    """Per row, how many consecutive rows up to and including it are True."""
    idx = np.arange(1, len(flags) + 1)
    last_false = np.maximum.accumulate(np.where(flags, 0, idx))
    out: npt.NDArray[np.int64] = idx - last_false
    return out
