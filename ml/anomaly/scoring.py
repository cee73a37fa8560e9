"""Scoring many series at once: group, stack, compute, split.

The detector's arithmetic is a few hundred numpy operations whatever the number of series,
so a fleet of series is scored in one pass: series of the same length, scored from the
same row on with states of the same shape (parameters and rhythms) are stacked along a
leading axis, computed together (:mod:`ml.anomaly.components`, :mod:`ml.anomaly.ensemble`)
and split again. Only the suppression of repeats runs per series.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ml.anomaly.components import Shape, compute_components
from ml.anomaly.ensemble import Combined, combine, suppress_repeats, to_score
from ml.anomaly.model import (
    ALERT_THRESHOLD,
    FittedState,
    FloatArray,
    ScoreCarry,
    ScoredBatch,
    ScoredSeries,
)
from ml.anomaly.values import fill_gaps, to_scored_values


@dataclass(frozen=True, slots=True)
class Job:
    """One series to score with ``state``: ``timestamps``/``values`` are the rows to score.
    With ``previous`` (the series' earlier rows, scored with the same state) they are the
    rows that follow those, and only they are computed."""

    timestamps: FloatArray
    values: FloatArray
    state: FittedState
    previous: ScoredSeries | None = None

    @property
    def first(self) -> int:
        return len(self.previous.timestamps) if self.previous is not None else 0


def score_jobs(jobs: Sequence[Job]) -> list[ScoredSeries]:
    """Score every job, in batches of jobs that can be computed together.

    A big batch scored from its first row is mostly large numpy operations, which release
    the GIL: it is split over :data:`WORKERS` threads. (Appended rows are not: that work is
    small and mostly Python.)"""
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, job in enumerate(jobs):
        state = job.state
        shape = tuple((s.name, s.seconds) for s in state.seasons)
        n = job.first + len(job.timestamps)
        groups.setdefault((n, job.first, state.params, shape), []).append(i)
    parts: list[list[int]] = []
    for members in groups.values():
        split = jobs[members[0]].first == 0 and len(members) >= WORKERS * _MIN_SHARE
        step = -(-len(members) // WORKERS) if split else len(members)
        parts.extend(members[i : i + step] for i in range(0, len(members), step))

    def score(part: list[int]) -> list[ScoredSeries]:
        return _score_group([jobs[i] for i in part])

    # The first part is computed right here, the others by the workers meanwhile: handing
    # work to a thread costs a switch (milliseconds on a busy machine), and memory this
    # thread has used is memory it reuses without faulting pages in for the next question.
    others = [_POOL.submit(score, part) for part in parts[1:]]
    computed = iter([score(parts[0]), *(f.result() for f in others)] if parts else [])
    out: list[ScoredSeries | None] = [None] * len(jobs)
    for members in groups.values():
        scored: list[ScoredSeries] = []
        while len(scored) < len(members):
            scored.extend(next(computed))
        first, last = scored[0].origin, scored[-1].origin
        if first is not None and last is not None and first[0] is not last[0]:
            # Split over the workers: joined again, so that the next question about this
            # fleet extends one batch (one copy now instead of two then).
            scored = _joined(scored)
        for i, one in zip(members, scored, strict=True):
            out[i] = one
    return [s for s in out if s is not None]


WORKERS = 2
_MIN_SHARE = 8
_POOL = ThreadPoolExecutor(WORKERS, thread_name_prefix="anomaly-score")  # threads start on use


def _score_group(jobs: Sequence[Job]) -> list[ScoredSeries]:
    """Score jobs of one length, first row and shape of state together."""
    states = [job.state for job in jobs]
    shape = Shape(
        states[0].params,
        states[0].seasons,
        np.array([s.floor for s in states]),
        np.array([s.step_seconds for s in states]),
    )
    first = jobs[0].first
    old = [job.previous for job in jobs if job.previous is not None]
    before = _Earlier(old) if old else None
    if before is None:
        ts = np.stack([job.timestamps for job in jobs])
        values = np.stack([job.values for job in jobs])
        x = np.stack([_scored_values(job) for job in jobs])
    else:
        new_values = np.stack([job.values for job in jobs])
        ts = np.concatenate(
            (before.column("timestamps"), np.stack([job.timestamps for job in jobs])), axis=1
        )
        values = np.concatenate((before.column("values"), new_values), axis=1)
        x = np.concatenate((before.column("scored_values"), _new_scored(jobs, new_values)), axis=1)
    carry = before.carry() if before is not None else None
    comps = compute_components(x, ts, shape, first, carry.summaries if carry else None)
    combined, new_carry = combine(comps, carry)
    rows = _Columns.of(combined, values, comps.offset, before)
    scores = _published(rows.raw, jobs, before)
    batch = ScoredBatch(
        ts, values, x, scores, rows.raw, rows.baseline, rows.scale, rows.driver, new_carry
    )
    return [_row(batch, i, state) for i, state in enumerate(states)]


def _row(batch: ScoredBatch, i: int, state: FittedState) -> ScoredSeries:
    """Series ``i`` of ``batch`` (views, no copies)."""
    return ScoredSeries(
        batch.timestamps[i],
        batch.values[i],
        batch.scored_values[i],
        batch.scores[i],
        batch.raw[i],
        batch.baseline[i],
        batch.scale[i],
        batch.driver[i],
        state,
        batch.carry.row(i),
        (batch, i),
    )


def _joined(scored: Sequence[ScoredSeries]) -> list[ScoredSeries]:
    """Series scored in several batches (of the same shape), as rows of one batch."""
    rows = _Earlier(scored)
    batch = ScoredBatch(
        rows.column("timestamps"),
        rows.column("values"),
        rows.column("scored_values"),
        rows.column("scores"),
        rows.column("raw"),
        rows.column("baseline"),
        rows.column("scale"),
        rows.column("driver"),
        rows.carry(),
    )
    return [_row(batch, i, one.state) for i, one in enumerate(scored)]


class _Earlier:
    """The earlier rows of a batch of series being extended, as stacked arrays.

    Series that were computed together come back as runs of rows of their batch
    (:class:`ScoredBatch`): a run is taken as a slice of it, and a whole batch in its own
    order as it is, without copying; only series of no batch are stacked one by one."""

    def __init__(self, scored: Sequence[ScoredSeries]) -> None:
        runs: list[tuple[ScoredBatch | None, int, int, ScoredSeries]] = []
        for one in scored:
            batch, row = one.origin if one.origin is not None else (None, 0)
            last = runs[-1] if runs else None
            if batch is not None and last is not None and last[0] is batch and last[2] == row:
                runs[-1] = (batch, last[1], row + 1, last[3])
            else:
                runs.append((batch, row, row + 1, one))
        self._runs = runs
        batch, lo, hi, _ = runs[0]
        whole = len(runs) == 1 and batch is not None and lo == 0 and hi == len(batch.raw)
        self._whole = batch if whole else None

    def column(self, name: str) -> npt.NDArray[Any]:
        """The field ``name`` of :class:`ScoredSeries` of every series, ``(S, m)``."""
        if self._whole is not None:
            out: npt.NDArray[Any] = getattr(self._whole, name)
            return out
        return np.concatenate(
            [
                getattr(batch, name)[lo:hi] if batch is not None else getattr(one, name)[None]
                for batch, lo, hi, one in self._runs
            ]
        )

    def carry(self) -> ScoreCarry:
        """The carries of every series, as one batch."""
        if self._whole is not None:
            return self._whole.carry
        parts = []
        for batch, lo, hi, one in self._runs:
            if batch is not None:
                parts.append(batch.carry.rows(lo, hi))
            else:
                assert one.carry is not None
                parts.append(ScoreCarry.stack([one.carry]))
        return parts[0] if len(parts) == 1 else ScoreCarry.concatenate(parts)


@dataclass(frozen=True, slots=True)
class _Columns:
    """Raw scores, drivers, baselines and scales of every row of a batch, ``(S, n)``."""

    raw: FloatArray
    driver: npt.NDArray[np.int64]
    baseline: FloatArray
    scale: FloatArray

    @classmethod
    def of(cls, c: Combined, values: FloatArray, row0: int, before: _Earlier | None) -> _Columns:
        """The new rows' columns (from ``row0`` on; missing values score 0) after the
        earlier rows' ones when the batch continues earlier scorings."""
        raw = np.where(np.isfinite(values[:, row0:]), to_score(c.ratio), 0.0)
        new = [raw, c.driver, c.baseline, c.scale]
        if before is None:
            return cls(*new)
        names = ("raw", "driver", "baseline", "scale")
        old = [before.column(name)[:, :row0] for name in names]
        return cls(*(np.concatenate(pair, axis=1) for pair in zip(old, new, strict=True)))


def _published(raw: FloatArray, jobs: Sequence[Job], before: _Earlier | None) -> FloatArray:
    """Published scores: repeats suppressed per series; the rows a previous scoring
    published stand, and a series without a new alert candidate needs no decision."""
    m = jobs[0].first
    decided = before.column("scores") if before is not None else None
    out = np.concatenate((decided, raw[:, m:]), axis=1) if decided is not None else raw.copy()
    for i in np.nonzero((raw[:, m:] >= ALERT_THRESHOLD).any(axis=1))[0].tolist():
        state = jobs[i].state
        out[i] = suppress_repeats(
            raw[i],
            ALERT_THRESHOLD,
            state.params,
            state.step_seconds,
            decided[i] if decided is not None else None,
        )
    return out


def _scored_values(job: Job) -> FloatArray:
    """The scored values of a job scored from its first row."""
    state = job.state
    return to_scored_values(job.timestamps, fill_gaps(job.values), state.kind, state.step_seconds)


def _new_scored(jobs: Sequence[Job], values: FloatArray) -> FloatArray:
    """The scored values of the new rows of jobs that continue earlier scorings (``values``
    are their new raw values, ``(S, k)``): a gauge without gaps scores its values as they
    are; otherwise each new row is converted from the last old one on, which a counter's
    rate and the gap filling look back to."""
    if np.isfinite(values).all() and all(job.state.kind != "counter" for job in jobs):
        return values
    out = np.empty_like(values)
    for i, job in enumerate(jobs):
        state, old = job.state, job.previous
        assert old is not None
        last = old.values[-1:]
        if not np.isfinite(last[0]):
            last = old.values[np.isfinite(old.values)][-1:]  # never empty: see _continuation
        filled = fill_gaps(np.concatenate((last, job.values)))
        ts = np.concatenate((old.timestamps[-1:], job.timestamps))
        out[i] = to_scored_values(ts, filled, state.kind, state.step_seconds)[1:]
    return out
