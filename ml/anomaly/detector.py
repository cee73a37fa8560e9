"""The detector: fit slow properties of a series, then score it causally.

Two ways in:

* :meth:`Detector.fit` + :meth:`Detector.score`: fit once on a training window (sampling
  step, counter or gauge, value scale, daily/weekly rhythm), cache the :class:`FittedState`,
  and score any window of the same series with it. Given the state, row ``t``'s score uses rows
  ``<= t`` only. This is what the bot does, so a repeated question does not refit.
* :meth:`Detector.score_online`: fully causal from scratch, fit included, for a file scored
  once (``smartcloudops detect``, the NAB benchmark). The series is cut at checkpoints (end of
  warm-up, enough history to judge each rhythm); rows between two checkpoints are scored with a
  state fitted only on the rows before the first of them. So no score ever depends on a later
  row, not even through the fitted state.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ml.anomaly.components import compute_components, with_history
from ml.anomaly.ensemble import combine, suppress_repeats, to_score
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
from ml.anomaly.rolling import autocorrelation

_SEASONS = (("daily", 86_400.0), ("weekly", 7 * 86_400.0))
_MIN_SEASON_ROWS = 4
_DEFAULT_STEP = 60.0


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
        step = _sampling_step(ts)
        finite = raw[np.isfinite(raw)]
        kind = "counter" if _looks_like_counter(finite) else "gauge"
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

    def _find_seasons(self, x: FloatArray, step: float) -> tuple[SeasonSpec, ...]:
        found = []
        for name, seconds in _SEASONS:
            rows = round(seconds / step)
            if rows < _MIN_SEASON_ROWS or len(x) < self.params.seasonal_min_cycles * rows:
                continue
            acf = autocorrelation(x, rows)
            if acf > self.params.seasonal_min_acf:
                found.append(SeasonSpec(name, seconds, rows, round(acf, 6)))
        return tuple(found)

    # ------------------------------------------------------------------ score

    def score(self, timestamps: FloatArray, values: FloatArray, state: FittedState) -> ScoredSeries:
        """Score every row with a fitted state; row t uses rows <= t (and the state)."""
        return self._score_with_state(timestamps, values, state, None)

    def extend(
        self, previous: ScoredSeries, timestamps: FloatArray, values: FloatArray
    ) -> ScoredSeries:
        """Score a series that continues ``previous``, computing only the appended rows.

        The first ``len(previous.timestamps)`` rows of ``timestamps``/``values`` must be
        exactly ``previous``'s rows (``ValueError`` otherwise), and ``previous`` must come
        from :meth:`score` or :meth:`extend`. The result equals
        ``score(timestamps, values, previous.state)`` - the earlier rows' scores are causal,
        so they cannot change - but costs only the new rows' rolling statistics.
        """
        ts = np.asarray(timestamps, dtype=np.float64)
        raw_values = np.asarray(values, dtype=np.float64)
        m = len(previous.timestamps)
        if previous.surprises is None:
            raise ValueError("previous was not scored with a fixed state; cannot extend it")
        if len(ts) < m or not (
            np.array_equal(ts[:m], previous.timestamps)
            and np.array_equal(raw_values[:m], previous.values, equal_nan=True)
        ):
            raise ValueError("the series does not continue the previously scored rows")
        if len(ts) == m:
            return previous
        if not np.isfinite(previous.values).any():
            # Leading gaps are back-filled from the first finite value, which is new here.
            return self.score(ts, raw_values, previous.state)
        return self._score_with_state(ts, raw_values, previous.state, previous)

    def _score_with_state(
        self,
        timestamps: FloatArray,
        values: FloatArray,
        state: FittedState,
        previous: ScoredSeries | None,
    ) -> ScoredSeries:
        ts = np.asarray(timestamps, dtype=np.float64)
        raw_values = np.asarray(values, dtype=np.float64)
        first = len(previous.timestamps) if previous is not None else 0
        x = to_scored_values(ts, fill_gaps(raw_values), state.kind, state.step_seconds)
        if len(x) == 0:
            empty = np.zeros(0)
            return ScoredSeries(
                ts,
                raw_values,
                x,
                empty,
                empty,
                empty,
                empty,
                np.zeros(0, dtype=np.int64),
                state,
                np.zeros((0, 0)),
            )
        comps = compute_components(x, ts, state, first)
        if previous is not None and previous.surprises is not None:
            comps = with_history(comps, previous.surprises)
        c = combine(comps, state.params, first)
        raw = np.where(np.isfinite(raw_values), to_score(c.ratio), 0.0)
        driver, baseline, scale = c.driver, c.baseline, c.scale
        if previous is not None:
            raw[:first] = previous.raw
            driver[:first] = previous.driver
            baseline[:first] = previous.baseline
            scale[:first] = previous.scale
        surprises = np.stack([comp.surprise for comp in comps])
        return self._finish(ts, raw_values, x, raw, baseline, scale, driver, state, surprises)

    def score_online(self, timestamps: FloatArray, values: FloatArray) -> ScoredSeries:
        """Score a series from scratch, fully causally, refitting only at checkpoints.

        Each segment between two checkpoints is scored with the state fitted on the rows
        before it; it only needs the surprises of the ``calibration_rows`` rows before it
        (the calibration window), so earlier rows are not recomputed under each new state.
        """
        ts = np.asarray(timestamps, dtype=np.float64)
        raw_values = np.asarray(values, dtype=np.float64)
        n = len(ts)
        filled = fill_gaps(raw_values)
        ratio = np.zeros(n)
        driver = np.zeros(n, dtype=np.int64)
        baseline = filled.copy()
        scale = np.ones(n)
        scored = filled.copy()
        cuts = self._checkpoints(ts)
        state = self.fit(ts[: cuts[0]], raw_values[: cuts[0]]) if n else self.fit(ts, raw_values)
        p = self.params
        for lo, hi in zip(cuts, [*cuts[1:], n], strict=True):
            if lo >= hi:
                continue
            state = self.fit(ts[:lo], raw_values[:lo])
            x = to_scored_values(ts[:hi], filled[:hi], state.kind, state.step_seconds)
            needed = max(0, lo - p.calibration_rows - p.stats_stride)
            comps = compute_components(x, ts[:hi], state, needed)
            c = combine(comps, p, lo)
            ratio[lo:hi], driver[lo:hi] = c.ratio[lo:hi], c.driver[lo:hi]
            baseline[lo:hi], scale[lo:hi], scored[lo:hi] = (
                c.baseline[lo:hi],
                c.scale[lo:hi],
                x[lo:hi],
            )
        raw = np.where(np.isfinite(raw_values), to_score(ratio), 0.0)
        return self._finish(ts, raw_values, scored, raw, baseline, scale, driver, state, None)

    def _checkpoints(self, ts: FloatArray) -> list[int]:
        n = len(ts)
        first = min(self.params.warmup_rows, n)
        step = _sampling_step(ts[: max(first, 2)])
        cuts = {first}
        for _, seconds in _SEASONS:
            rows = round(seconds / step)
            if rows >= _MIN_SEASON_ROWS:
                cuts.add(math.ceil(self.params.seasonal_min_cycles * rows))
        return sorted(c for c in cuts if c <= n) or [n]

    def _finish(
        self,
        ts: FloatArray,
        values: FloatArray,
        scored: FloatArray,
        raw: FloatArray,
        baseline: FloatArray,
        scale: FloatArray,
        driver: npt.NDArray[np.int64],
        state: FittedState,
        surprises: FloatArray | None,
    ) -> ScoredSeries:
        scores = suppress_repeats(raw, ALERT_THRESHOLD, state.params.refractory_rows)
        return ScoredSeries(
            ts, values, scored, scores, raw, baseline, scale, driver, state, surprises
        )


# ---------------------------------------------------------------------- helpers


def fill_gaps(values: FloatArray) -> FloatArray:
    """Carry the last finite value forward over NaN/inf (the first finite one backward)."""
    v = np.asarray(values, dtype=np.float64).copy()
    ok = np.isfinite(v)
    if ok.all():
        return v
    if not ok.any():
        return np.zeros(len(v))
    idx = np.where(ok, np.arange(len(v)), 0)
    np.maximum.accumulate(idx, out=idx)
    first = int(np.argmax(ok))
    idx[:first] = first
    out: FloatArray = v[idx]
    return out


def to_scored_values(
    ts: FloatArray, values: FloatArray, kind: str, step: float | None = None
) -> FloatArray:
    """What gets scored: the values of a gauge, the per-second rate of a counter.

    ``step`` (the fitted sampling step) stands in for the time since the previous row where
    there is none or it is not positive; pass it so a row never depends on later timestamps.
    """
    if kind != "counter" or len(values) < 2:
        return values
    step = _sampling_step(ts) if step is None else step
    dv = np.diff(values, prepend=values[:1])
    reset = dv < 0
    dv[reset] = values[reset]
    dt = np.diff(ts, prepend=ts[:1] - step)
    dt = np.where(dt > 0, dt, step)
    rate: FloatArray = dv / dt
    rate[0] = rate[1] if len(rate) > 1 else 0.0
    return rate


def _sampling_step(ts: FloatArray) -> float:
    d = np.diff(ts)
    d = d[d > 0]
    return float(np.median(d)) if len(d) else _DEFAULT_STEP


def _looks_like_counter(v: FloatArray) -> bool:
    """Monotone non-decreasing apart from resets to near zero, and actually increasing."""
    if len(v) < 10 or v.min() < 0:
        return False
    d = np.diff(v)
    if (d > 0).mean() < 0.5:
        return False
    drops = np.nonzero(d < 0)[0]
    if len(drops) > 0.01 * len(d) + 1:
        return False
    return bool(np.all(v[drops + 1] <= 0.1 * v[drops]))
