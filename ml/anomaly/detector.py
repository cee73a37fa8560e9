"""The detector: fit slow properties of a series, then score it causally.

Two ways in:

* :meth:`Detector.fit` + :meth:`Detector.score`: fit once on a training window (sampling
  step, counter or gauge, value scale, daily/weekly rhythm), cache the :class:`FittedState`,
  and score any window of the same series with it. Given the state, row ``t``'s score uses rows
  ``<= t`` only. This is what the bot does, so a repeated question does not refit, and
  :meth:`Detector.extend` scores only rows appended since.
* :meth:`Detector.score_online`: fully causal from scratch, fit included, for a file scored
  once (``smartcloudops detect``, the benchmarks). The series is cut at checkpoints (end of
  warm-up, enough history to judge each rhythm); rows between two checkpoints are scored with
  a state fitted only on the rows before the first of them. So no score ever depends on a
  later row, not even through the fitted state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ml.anomaly.ensemble import suppress_repeats
from ml.anomaly.model import (
    ALERT_THRESHOLD,
    DETECTOR_NAME,
    DETECTOR_VERSION,
    DetectorParams,
    FittedState,
    FloatArray,
    ScoredSeries,
    SeasonSpec,
)
from ml.anomaly.rhythm import autocorrelation, winsorize
from ml.anomaly.scoring import Job, score_jobs
from ml.anomaly.values import fill_gaps, looks_like_counter, sampling_step, to_scored_values

_SEASONS = (("daily", 86_400.0), ("weekly", 7 * 86_400.0))
_MIN_SEASON_ROWS = 4
_EARLIEST_CYCLES = 1.25


@dataclass(frozen=True, slots=True)
class _Rows:
    """Per-row output of :meth:`Detector.score_online` before the suppression of repeats,
    assembled from the segments between checkpoints."""

    x: FloatArray
    lenient: FloatArray
    raw: FloatArray
    driver: npt.NDArray[np.int64]
    baseline: FloatArray
    scale: FloatArray

    @classmethod
    def warming_up(cls, filled: FloatArray) -> _Rows:
        """Rows scored before any state was fitted: nothing is surprising yet."""
        n = len(filled)
        zero = np.zeros(n)
        return cls(
            filled.copy(), zero, zero.copy(), np.zeros(n, np.int64), filled.copy(), np.ones(n)
        )

    @classmethod
    def of(cls, scored: ScoredSeries) -> _Rows:
        assert scored.carry is not None  # scored with one fixed state
        return cls(
            scored.scored_values,
            scored.carry.lenient,
            scored.raw,
            scored.driver,
            scored.baseline,
            scored.scale,
        )

    def paste(self, other: _Rows, lo: int, hi: int) -> None:
        """Copy ``other``'s rows ``lo:hi`` over these."""
        for name in ("x", "lenient", "raw", "driver", "baseline", "scale"):
            getattr(self, name)[lo:hi] = getattr(other, name)[lo:hi]


class Detector:
    """Robust, calibrated ensemble detector (see :mod:`ml.anomaly.components`).

    Stateless apart from its parameters; ``fit_count`` counts fits so callers (and tests)
    can see that a cache saved one.
    """

    name = DETECTOR_NAME
    version = DETECTOR_VERSION

    def __init__(self, params: DetectorParams | None = None) -> None:
        self.params = params or DetectorParams()
        self.fit_count = 0

    # ------------------------------------------------------------------ fit

    def fit(self, timestamps: FloatArray, values: FloatArray) -> FittedState:
        """Learn the slow properties of a series from a training window."""
        self.fit_count += 1
        ts = np.asarray(timestamps, dtype=np.float64)
        raw = np.asarray(values, dtype=np.float64)
        step = sampling_step(ts)
        finite = raw[np.isfinite(raw)]
        kind = "counter" if looks_like_counter(finite) else "gauge"
        x = to_scored_values(ts, fill_gaps(raw), kind) if len(finite) else np.zeros(0)
        floor = 1e-3 * (float(np.median(np.abs(x))) + 1e-6) if len(x) else 1e-3
        return FittedState(
            detector=self.name,
            version=self.version,
            params=self.params,
            train_start=float(ts[0]) if len(ts) else 0.0,
            train_end=float(ts[-1]) if len(ts) else 0.0,
            train_rows=len(ts),
            step_seconds=step,
            kind=kind,
            floor=floor,
            seasons=self._find_seasons(x, step),
        )

    def fit_many(self, series: Sequence[tuple[FloatArray, FloatArray]]) -> list[FittedState]:
        """:meth:`fit` of several series; equally long series without gaps are fitted
        together (the same states as one at a time)."""
        arrays = [_arrays(t, v) for t, v in series]
        out: list[FittedState | None] = [None] * len(arrays)
        groups: dict[int, list[int]] = {}
        for i, (ts, _) in enumerate(arrays):
            groups.setdefault(len(ts), []).append(i)
        for n, members in groups.items():
            if n < 10 or len(members) < 2:
                continue
            ts = np.stack([arrays[i][0] for i in members])
            values = np.stack([arrays[i][1] for i in members])
            d = np.diff(ts, axis=1)
            ok = np.isfinite(values).all(axis=1) & (d > 0).all(axis=1)
            ok &= ~_counters(values)
            if ok.any():
                rows = np.nonzero(ok)[0]
                states = self._fit_gauges(ts[rows], values[rows], d[rows])
                for row, state in zip(rows.tolist(), states, strict=True):
                    out[members[row]] = state
        return [s if s is not None else self.fit(*arrays[i]) for i, s in enumerate(out)]

    def _fit_gauges(self, ts: FloatArray, x: FloatArray, d: FloatArray) -> list[FittedState]:
        """:meth:`fit` of gauges of one length without gaps (``(S, n)``; ``d`` their
        positive row-to-row steps)."""
        self.fit_count += len(x)
        steps = _medians(d)
        floors = 1e-3 * (_medians(np.abs(x)) + 1e-6)
        return [
            FittedState(
                detector=self.name,
                version=self.version,
                params=self.params,
                train_start=float(ts[i, 0]),
                train_end=float(ts[i, -1]),
                train_rows=x.shape[1],
                step_seconds=step,
                kind="gauge",
                floor=floor,
                seasons=self._find_seasons(x[i], step),
            )
            for i, (step, floor) in enumerate(zip(steps.tolist(), floors.tolist(), strict=True))
        ]

    def _find_seasons(self, x: FloatArray, step: float) -> tuple[SeasonSpec, ...]:
        """Rhythms whose autocorrelation at their period is convincing for the history there
        is: ``seasonal_min_acf`` with ``seasonal_min_cycles`` periods of history, more with
        less (the required correlation grows as the cycles shrink, from ``_EARLIEST_CYCLES``
        on), so an obvious rhythm is known after a day and a half, a faint one after more."""
        found = []
        robust: FloatArray | None = None
        p = self.params
        for name, seconds in _SEASONS:
            rows = round(seconds / step)
            cycles = len(x) / rows if rows else 0.0
            if rows < _MIN_SEASON_ROWS or cycles < _EARLIEST_CYCLES:
                continue
            robust = winsorize(x) if robust is None else robust
            acf = autocorrelation(robust, rows)
            if acf > p.seasonal_min_acf * max(1.0, p.seasonal_min_cycles / cycles):
                found.append(SeasonSpec(name, seconds, rows, round(acf, 6)))
        return tuple(found)

    # ------------------------------------------------------------------ score

    def score(self, timestamps: FloatArray, values: FloatArray, state: FittedState) -> ScoredSeries:
        """Score every row with a fitted state; row t uses rows <= t (and the state)."""
        return self.score_many([(timestamps, values, state)])[0]

    def score_many(
        self, series: Sequence[tuple[FloatArray, FloatArray, FittedState]]
    ) -> list[ScoredSeries]:
        """:meth:`score` of several series, computed together where they allow it (same
        length, same parameters and rhythms); the results equal separate calls."""
        return score_jobs([Job(*_arrays(t, v), state) for t, v, state in series])

    def extend(
        self, previous: ScoredSeries, timestamps: FloatArray, values: FloatArray
    ) -> ScoredSeries:
        """Score a series that continues ``previous``, computing only the appended rows.

        The first ``len(previous.timestamps)`` rows of ``timestamps``/``values`` must be
        exactly ``previous``'s rows (``ValueError`` otherwise), and ``previous`` must come
        from :meth:`score` or :meth:`extend`. The result equals
        ``score(timestamps, values, previous.state)`` - the earlier rows' scores are causal,
        so they cannot change - but costs only the new rows' statistics.
        """
        return self.extend_many([(previous, timestamps, values)])[0]

    def extend_many(
        self, series: Sequence[tuple[ScoredSeries, FloatArray, FloatArray]]
    ) -> list[ScoredSeries]:
        """:meth:`extend` of several series, computed together where they allow it."""
        return self.append_many([_appended(previous, *_arrays(t, v)) for previous, t, v in series])

    def append_many(
        self, series: Sequence[tuple[ScoredSeries, FloatArray, FloatArray]]
    ) -> list[ScoredSeries]:
        """:meth:`extend` of several series given only the rows that follow ``previous``'s
        (``(previous, new timestamps, new values)``), computed together where they allow
        it. Series scored together before are extended as the batch they were."""
        plans = [_continuation(previous, *_arrays(t, v)) for previous, t, v in series]
        jobs = [plan for plan in plans if isinstance(plan, Job)]
        scored = iter(score_jobs(jobs))
        return [next(scored) if isinstance(plan, Job) else plan for plan in plans]

    def score_online(self, timestamps: FloatArray, values: FloatArray) -> ScoredSeries:
        """Score a series from scratch, fully causally, refitting only at checkpoints.

        Each segment between two checkpoints is scored with the state fitted on the rows
        before it; the rows before the segment are recomputed under that state, since the
        segment is judged against them.
        """
        ts, raw_values = _arrays(timestamps, values)
        n = len(ts)
        rows = _Rows.warming_up(fill_gaps(raw_values))
        cuts = self._checkpoints(ts)
        state = self.fit(ts[: cuts[0]], raw_values[: cuts[0]])
        for lo, hi in zip(cuts, [*cuts[1:], n], strict=True):
            if lo < hi:
                state = self.fit(ts[:lo], raw_values[:lo])
                rows.paste(_Rows.of(self.score(ts[:hi], raw_values[:hi], state)), lo, hi)
        scores = suppress_repeats(rows.raw, ALERT_THRESHOLD, state.params, state.step_seconds)
        return ScoredSeries(
            ts, raw_values, rows.x, scores, rows.raw, rows.baseline, rows.scale, rows.driver, state
        )

    def _checkpoints(self, ts: FloatArray) -> list[int]:
        n = len(ts)
        first = min(self.params.warmup_rows, n)
        step = sampling_step(ts[: max(first, 2)])
        cuts = {first}
        for _, seconds in _SEASONS:
            rows = round(seconds / step)
            if rows >= _MIN_SEASON_ROWS:
                cuts.add(math.ceil(_EARLIEST_CYCLES * rows))
                cuts.add(math.ceil(self.params.seasonal_min_cycles * rows))
        return sorted(c for c in cuts if c <= n) or [n]


def _medians(x: FloatArray) -> FloatArray:
    """``np.median`` of each row of ``x`` (``(S, n)``, no NaN), from one partition."""
    n = x.shape[1]
    if n % 2:
        out: FloatArray = np.partition(x, n // 2, axis=1)[:, n // 2]
        return out
    part = np.partition(x, (n // 2 - 1, n // 2), axis=1)
    mean: FloatArray = np.mean(part[:, n // 2 - 1 : n // 2 + 1], axis=1)
    return mean


def _counters(values: FloatArray) -> npt.NDArray[np.bool_]:
    """:func:`looks_like_counter` of each row of ``values`` (``(S, n)``, all finite)."""
    n = values.shape[1]
    d = np.diff(values, axis=1)
    drops = d < 0
    reset = values[:, 1:] <= 0.1 * values[:, :-1]
    out: npt.NDArray[np.bool_] = (
        (values.min(axis=1) >= 0)
        & ((d > 0).mean(axis=1) >= 0.5)
        & (drops.sum(axis=1) <= 0.01 * (n - 1) + 1)
        & (reset | ~drops).all(axis=1)
    )
    return out if n >= 10 else np.zeros(len(values), dtype=bool)


def _arrays(timestamps: FloatArray, values: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.asarray(timestamps, dtype=np.float64), np.asarray(values, dtype=np.float64)


def _appended(
    previous: ScoredSeries, ts: FloatArray, values: FloatArray
) -> tuple[ScoredSeries, FloatArray, FloatArray]:
    """The rows of ``ts``/``values`` after ``previous``'s; ``ValueError`` when the first
    ones are not exactly ``previous``'s rows."""
    m = len(previous.timestamps)
    if len(ts) < m or not (
        np.array_equal(ts[:m], previous.timestamps)
        and np.array_equal(values[:m], previous.values, equal_nan=True)
    ):
        raise ValueError("the series does not continue the previously scored rows")
    return previous, ts[m:], values[m:]


def _continuation(previous: ScoredSeries, ts: FloatArray, values: FloatArray) -> Job | ScoredSeries:
    """What scoring the rows ``ts``/``values`` after ``previous``'s takes: nothing (no new
    rows: ``previous`` itself) or a job."""
    if previous.carry is None:
        raise ValueError("previous was not scored with a fixed state; cannot extend it")
    if len(ts) == 0:
        return previous
    if not np.isfinite(previous.values).any():
        # Leading gaps are back-filled from the first finite value, which is new here.
        whole = np.concatenate((previous.timestamps, ts)), np.concatenate((previous.values, values))
        return Job(*whole, previous.state)
    return Job(ts, values, previous.state, previous)
