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

from ml.anomaly.components import compute_components
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
        ts = np.asarray(timestamps, dtype=np.float64)
        raw_values = np.asarray(values, dtype=np.float64)
        x = to_scored_values(ts, fill_gaps(raw_values), state.kind)
        ratio, driver, baseline, scale = self._ratios(ts, x, state)
        raw = np.where(np.isfinite(raw_values), to_score(ratio), 0.0)
        return self._finish(ts, raw_values, x, raw, baseline, scale, driver, state)

    def score_online(self, timestamps: FloatArray, values: FloatArray) -> ScoredSeries:
        """Score a series from scratch, fully causally, refitting only at checkpoints."""
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
        for lo, hi in zip(cuts, [*cuts[1:], n], strict=True):
            if lo >= hi:
                continue
            state = self.fit(ts[:lo], raw_values[:lo])
            x = to_scored_values(ts[:hi], filled[:hi], state.kind)
            r, d, b, s = self._ratios(ts[:hi], x, state)
            ratio[lo:hi], driver[lo:hi] = r[lo:hi], d[lo:hi]
            baseline[lo:hi], scale[lo:hi], scored[lo:hi] = b[lo:hi], s[lo:hi], x[lo:hi]
        raw = np.where(np.isfinite(raw_values), to_score(ratio), 0.0)
        return self._finish(ts, raw_values, scored, raw, baseline, scale, driver, state)

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

    def _ratios(
        self, ts: FloatArray, x: FloatArray, state: FittedState
    ) -> tuple[FloatArray, np.ndarray, FloatArray, FloatArray]:
        if len(x) == 0:
            empty = np.zeros(0)
            return empty, np.zeros(0, dtype=np.int64), empty, empty
        c = combine(compute_components(x, ts, state), state.params)
        return c.ratio, c.driver, c.baseline, c.scale

    def _finish(
        self,
        ts: FloatArray,
        values: FloatArray,
        scored: FloatArray,
        raw: FloatArray,
        baseline: FloatArray,
        scale: FloatArray,
        driver: np.ndarray,
        state: FittedState,
    ) -> ScoredSeries:
        scores = suppress_repeats(raw, ALERT_THRESHOLD, state.params.refractory_rows)
        return ScoredSeries(ts, values, scored, scores, raw, baseline, scale, driver, state)


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


def to_scored_values(ts: FloatArray, values: FloatArray, kind: str) -> FloatArray:
    """What gets scored: the values of a gauge, the per-second rate of a counter."""
    if kind != "counter" or len(values) < 2:
        return values
    dv = np.diff(values, prepend=values[:1])
    reset = dv < 0
    dv[reset] = values[reset]
    dt = np.diff(ts, prepend=ts[:1] - _sampling_step(ts))
    dt = np.where(dt > 0, dt, _sampling_step(ts))
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
