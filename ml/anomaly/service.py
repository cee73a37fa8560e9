"""The anomaly service the bot talks to: series in, ranked :class:`Finding`s out.

Usage from a handler (the composition root builds one service and shares it)::

    service = AnomalyService(cache=StateCache(directory=state_dir))
    findings = await service.find([("checkout-api cpu", series), ...], metric="cpu")
    for line in moved_together(findings):
        ...  # "latency rose with cpu at 14:05"

Scoring is CPU-bound numpy work, so :meth:`AnomalyService.find` runs it in a worker thread
and never blocks the event loop. Each series' fitted state is cached under its name and
sampling step: asking again about the same series reuses the fit (a changed step, detector
version or parameter set refits, and so does a state older than ``refit_after`` seconds).
Given its state, every score uses only rows up to its own time, so the scored rows are
remembered too (:class:`ml.anomaly.memo.ScoreMemo`): asking again over a window that
continues the last one scores only the new rows, and asking again about the same window
scores nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.features.anomaly.ports import Finding
from bot.features.metrics.ports import Series
from ml.anomaly.cache import StateCache
from ml.anomaly.detector import Detector
from ml.anomaly.explain import AnomalySpan, strongest_spans_many
from ml.anomaly.memo import ScoreMemo, Window
from ml.anomaly.model import ALERT_THRESHOLD, ScoredSeries

MIN_POINTS = 30
_STEP_ROWS = 129


@dataclass(frozen=True, slots=True)
class _Job:
    name: str
    timestamps: np.ndarray
    values: np.ndarray


class AnomalyService:
    """Finds anomalous spans in metric series and ranks them across series.

    ``threshold`` is the alert threshold (defaults to :data:`ALERT_THRESHOLD`, the same one
    ``smartcloudops detect`` uses). ``max_per_series`` caps how many spans one series
    contributes (the most anomalous ones). ``memo`` remembers scored rows between questions
    (one per service by default).
    """

    def __init__(
        self,
        detector: Detector | None = None,
        cache: StateCache | None = None,
        *,
        threshold: float = ALERT_THRESHOLD,
        refit_after: float = 86_400.0,
        max_per_series: int = 3,
        memo: ScoreMemo | None = None,
    ) -> None:
        self.detector = detector if detector is not None else Detector()
        self.cache = cache if cache is not None else StateCache()
        self.threshold = threshold
        self.refit_after = refit_after
        self.max_per_series = max_per_series
        self.memo = memo if memo is not None else ScoreMemo()

    async def find(
        self,
        series: Sequence[tuple[str, Series]],
        *,
        metric: str | None = None,
        target: str | None = None,
        since: float | None = None,
    ) -> list[Finding]:
        """Findings for all ``(name, series)`` pairs, strongest first (ties: most recent).

        Pass more history than the question covers and ``since`` = the start of the range
        asked about: the earlier rows then only teach the detector what is normal, and only
        spans still running at or after ``since`` are reported. (Without history, the first
        hours of a series are judged against very little and alert more easily.)
        Series with fewer than :data:`MIN_POINTS` finite points are skipped.
        ``metric``/``target`` are copied into each finding.
        """
        jobs = [_job(name, s) for name, s in series]
        return await asyncio.to_thread(self._find_blocking, jobs, metric, target, since)

    async def score(self, name: str, series: Series) -> ScoredSeries:
        """Per-row scores of one series (for charts), with the cached fitted state."""
        job = _job(name, series)
        return await asyncio.to_thread(self._score_blocking, job)

    # ------------------------------------------------------------------ blocking part

    def _find_blocking(
        self, jobs: list[_Job], metric: str | None, target: str | None, since: float | None
    ) -> list[Finding]:
        jobs = [job for job in jobs if np.count_nonzero(np.isfinite(job.values)) >= MIN_POINTS]
        findings: list[Finding] = []
        spans = strongest_spans_many(
            self._score_all(jobs), self.threshold, since, self.max_per_series
        )
        for job, found in zip(jobs, spans, strict=True):
            findings.extend(_to_finding(job.name, span, metric, target) for span in found)
        findings.sort(key=lambda f: (-f.peak_score, -f.end))
        return findings

    def _score_blocking(self, job: _Job) -> ScoredSeries:
        return self._score_all([job])[0]

    def _score_all(self, jobs: list[_Job]) -> list[ScoredSeries]:
        """Scores of every job, with cached states and remembered rows, computed together
        (:meth:`Detector.fit_many`, :meth:`ScoreMemo.score_many`)."""
        keys = cache_keys([job.name for job in jobs], [job.timestamps for job in jobs])
        states = [self.cache.get(key, self.detector.params) for key in keys]
        stale: dict[str, list[int]] = {}  # a key asked twice is fitted once, as before
        for i, (job, state) in enumerate(zip(jobs, states, strict=True)):
            if state is None or _last(job.timestamps) - state.train_end > self.refit_after:
                stale.setdefault(keys[i], []).append(i)
        first = [rows[0] for rows in stale.values()]
        fitted = self.detector.fit_many([(jobs[i].timestamps, jobs[i].values) for i in first])
        for rows, state in zip(stale.values(), fitted, strict=True):
            self.cache.put(keys[rows[0]], state)
            for i in rows:
                states[i] = state
        windows = []
        for job, key, fit in zip(jobs, keys, states, strict=True):
            assert fit is not None
            windows.append(Window(key, job.timestamps, job.values, fit))
        return self.memo.score_many(self.detector, windows)


def _last(timestamps: np.ndarray) -> float:
    return float(timestamps[-1]) if len(timestamps) else 0.0


def cache_key(name: str, timestamps: np.ndarray) -> str:
    """Cache identity of a series: its name and its sampling step (a step change refits).

    The step is the median over the last :data:`_STEP_ROWS` rows: enough to be stable, and
    cheap for a fleet."""
    d = np.diff(timestamps[-_STEP_ROWS:])
    d = d[d > 0]
    step = float(np.partition(d, len(d) // 2)[len(d) // 2]) if len(d) else 0.0
    return _key(name, step)


def cache_keys(names: Sequence[str], timestamps: Sequence[np.ndarray]) -> list[str]:
    """:func:`cache_key` of each series; the steps of series with enough strictly
    increasing rows are found together."""
    long = [i for i, ts in enumerate(timestamps) if len(ts) >= _STEP_ROWS]
    steps: dict[int, float] = {}
    if len(long) > 1:
        d = np.diff(np.stack([timestamps[i][-_STEP_ROWS:] for i in long]), axis=1)
        rising = (d > 0).all(axis=1)
        middle = (_STEP_ROWS - 1) // 2
        median = np.partition(d[rising], middle, axis=1)[:, middle]
        rows = np.array(long)[rising].tolist()
        steps = dict(zip(rows, median.tolist(), strict=True))
    return [
        _key(name, steps[i]) if i in steps else cache_key(name, ts)
        for i, (name, ts) in enumerate(zip(names, timestamps, strict=True))
    ]


def _key(name: str, step: float) -> str:
    return f"{name}|step={step:g}"


def moved_together(findings: Sequence[Finding], *, slack: float = 0.0) -> list[str]:
    """Sentences naming series whose anomalous spans overlap (within ``slack`` seconds).

    Overlapping findings of different series form a group; the one that started first leads,
    and each other series gets ``"<series> rose|fell with <leader> at HH:MM"`` (its own start,
    UTC), for example ``"latency rose with cpu at 14:05"``. Groups come out in time order.
    """
    groups: list[list[Finding]] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.peak_score)):
        home = next((g for g in groups if any(_overlap(f, h, slack) for h in g)), None)
        if home is None:
            groups.append([f])
        elif all(h.series != f.series for h in home):
            home.append(f)
    sentences = []
    for group in groups:
        leader = group[0]
        for f in group[1:]:
            verb = "rose" if f.deviation >= 0 else "fell"
            when = dt.datetime.fromtimestamp(f.start, tz=dt.UTC).strftime("%H:%M")
            sentences.append(f"{f.series} {verb} with {leader.series} at {when}")
    return sentences


def _overlap(a: Finding, b: Finding, slack: float) -> bool:
    return a.start <= b.end + slack and b.start <= a.end + slack


def _job(name: str, series: Series) -> _Job:
    ts, values = _floats(series.timestamps), _floats(series.values)
    if len(ts) != len(values):
        raise ValueError(f"series {name!r}: {len(ts)} timestamps but {len(values)} values")
    return _Job(name, ts, values)


def _floats(items: Sequence[float]) -> np.ndarray:
    """``items`` as a float64 array. Packing the numbers straight into the array's buffer
    takes half the time of ``np.fromiter`` over a tuple of floats; what ``struct`` cannot
    pack goes through ``np.fromiter``, which says what it could not convert."""
    out = np.empty(len(items))
    try:
        struct.pack_into(f"{len(items)}d", out.data, 0, *items)
    except struct.error:
        return np.fromiter(items, dtype=np.float64, count=len(items))
    return out


def _to_finding(name: str, span: AnomalySpan, metric: str | None, target: str | None) -> Finding:
    return Finding(
        series=name,
        metric=metric,
        target=target,
        start=span.start,
        end=span.end,
        ongoing=span.ongoing,
        peak_score=span.peak_score,
        peak_value=span.peak_value,
        expected_low=span.expected_low,
        expected_high=span.expected_high,
        deviation=span.deviation,
        explanation=span.explanation,
    )
