"""Scoring many series at once: group, stack, compute, split.

The detector's arithmetic is a few hundred numpy operations whatever the number of series,
so a fleet of series is scored in one pass: series of the same length, scored from the
same row on with states of the same shape (parameters and rhythms) are stacked along a
leading axis, computed together (:mod:`ml.anomaly.components`, :mod:`ml.anomaly.ensemble`)
and split again. Only the suppression of repeats runs per series.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ml.anomaly.components import Shape, compute_components
from ml.anomaly.ensemble import Combined, combine, suppress_repeats, to_score
from ml.anomaly.model import ALERT_THRESHOLD, FittedState, FloatArray, ScoreCarry, ScoredSeries
from ml.anomaly.values import fill_gaps, to_scored_values


@dataclass(frozen=True, slots=True)
class Job:
    """One series to score with ``state``; with ``previous`` (its first rows, scored with
    the same state) only the rows after those are computed."""

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
        groups.setdefault((len(job.timestamps), job.first, state.params, shape), []).append(i)
    batches: list[list[int]] = []
    for members in groups.values():
        split = jobs[members[0]].first == 0 and len(members) >= WORKERS * _MIN_SHARE
        step = -(-len(members) // WORKERS) if split else len(members)
        batches.extend(members[i : i + step] for i in range(0, len(members), step))

    def score(batch: list[int]) -> list[ScoredSeries]:
        return _score_group([jobs[i] for i in batch])

    # One batch is computed right here: handing it to a worker thread only adds a switch,
    # which costs milliseconds on a busy machine.
    computed = _pool().map(score, batches) if len(batches) > 1 else map(score, batches)
    out: list[ScoredSeries | None] = [None] * len(jobs)
    for batch, scored in zip(batches, computed, strict=True):
        for i, one in zip(batch, scored, strict=True):
            out[i] = one
    return [s for s in out if s is not None]


WORKERS = 2
_MIN_SHARE = 8
_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(WORKERS, thread_name_prefix="anomaly-score"))
        return _POOL[0]


def _score_group(jobs: Sequence[Job]) -> list[ScoredSeries]:
    """Score jobs of one length, first row and shape of state together."""
    states = [job.state for job in jobs]
    shape = Shape(
        states[0].params,
        states[0].seasons,
        np.array([s.floor for s in states]),
        np.array([s.step_seconds for s in states]),
    )
    x = np.stack([_scored_values(job) for job in jobs])
    ts = np.stack([job.timestamps for job in jobs])
    old = [job.previous for job in jobs if job.previous is not None]
    carry = ScoreCarry.stack([p.carry for p in old if p.carry is not None]) if old else None
    comps = compute_components(x, ts, shape, jobs[0].first, carry.summaries if carry else None)
    combined, new_carry = combine(comps, carry)
    values = np.stack([job.values for job in jobs])
    rows = _Columns.of(combined, values, comps.offset, old)
    scores = _published(rows.raw, jobs)
    return [
        ScoredSeries(
            job.timestamps,
            job.values,
            x[i],
            scores[i],
            rows.raw[i],
            rows.baseline[i],
            rows.scale[i],
            rows.driver[i],
            job.state,
            new_carry.row(i),
        )
        for i, job in enumerate(jobs)
    ]


@dataclass(frozen=True, slots=True)
class _Columns:
    """Raw scores, drivers, baselines and scales of every row of a batch, ``(S, n)``."""

    raw: FloatArray
    driver: npt.NDArray[np.int64]
    baseline: FloatArray
    scale: FloatArray

    @classmethod
    def of(
        cls, c: Combined, values: FloatArray, row0: int, old: Sequence[ScoredSeries]
    ) -> _Columns:
        """The new rows' columns (from ``row0`` on; missing values score 0) after the old
        rows' ones when the batch continues ``old`` scorings."""
        raw = np.where(np.isfinite(values[:, row0:]), to_score(c.ratio), 0.0)
        new = [raw, c.driver, c.baseline, c.scale]
        if not old:
            return cls(*new)
        names = ("raw", "driver", "baseline", "scale")
        before = [np.stack([getattr(p, name)[:row0] for p in old]) for name in names]
        return cls(*(np.concatenate(pair, axis=1) for pair in zip(before, new, strict=True)))


def _published(raw: FloatArray, jobs: Sequence[Job]) -> FloatArray:
    """Published scores: repeats suppressed per series; the rows a previous scoring
    published stand, and a series without a new alert candidate needs no decision."""
    if jobs[0].previous is None:
        return np.stack([_suppressed(r, job) for r, job in zip(raw, jobs, strict=True)])
    m = len(jobs[0].previous.timestamps)
    decided = np.stack([job.previous.scores for job in jobs if job.previous is not None])
    out = np.concatenate((decided, raw[:, m:]), axis=1)
    for i in np.nonzero((raw[:, m:] >= ALERT_THRESHOLD).any(axis=1))[0]:
        out[i] = _suppressed(raw[i], jobs[int(i)], decided[i])
    return out


def _suppressed(raw: FloatArray, job: Job, decided: FloatArray | None = None) -> FloatArray:
    state = job.state
    return suppress_repeats(raw, ALERT_THRESHOLD, state.params, state.step_seconds, decided)


def _scored_values(job: Job) -> FloatArray:
    """The job's scored values; after a previous scoring only the new rows are converted
    (from the last old one, which a counter's rate and the gap filling look back to)."""
    state, old = job.state, job.previous
    if old is None:
        return to_scored_values(
            job.timestamps, fill_gaps(job.values), state.kind, state.step_seconds
        )
    m = len(old.timestamps)
    last = old.values[-1:]
    if not np.isfinite(last[0]):
        last = old.values[np.isfinite(old.values)][-1:]  # never empty: see _continuation
    filled = fill_gaps(np.concatenate((last, job.values[m:])))
    new = to_scored_values(job.timestamps[m - 1 :], filled, state.kind, state.step_seconds)
    return np.concatenate((old.scored_values, new[1:]))
