"""The detector's components: causal "surprise" measures, each in robust sigmas.

Each component looks at the series through one lens and reports, per row, how many robust
standard deviations the current row sits from what that lens expected, judged only against
earlier rows:

* ``level``        the value against the recent distribution of values (spikes, dips);
* ``jump``         the row-to-row change against recent changes (sudden steps);
* ``shift_short``  the mean of the last few rows (a small but sustained level shift);
* ``shift_long``   the mean of the last couple of dozen rows (a slow drift or plateau);
* ``volatility``   the recent spread of changes (a series turning noisy or going quiet);
* ``daily``/``weekly`` the value against the same time one period ago (a broken rhythm).

The ensemble (:mod:`ml.anomaly.ensemble`) calibrates and combines them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ml.anomaly.model import FittedState, FloatArray, SeasonSpec
from ml.anomaly.rolling import robust_stats, trailing_mean


@dataclass(frozen=True, slots=True)
class Component:
    """One component's per-row surprise and what it expected the *value* to be.

    Rows before ``start`` carry no information. ``baseline`` and ``scale`` express the
    component's expectation in the series' own unit, for explanations: for ``jump`` that is
    the previous value plus the typical change, for ``daily`` the value a day earlier plus
    the typical day-over-day change, and so on.
    """

    name: str
    surprise: FloatArray
    start: int
    baseline: FloatArray
    scale: FloatArray


def lagged_index(timestamps: FloatArray, seconds: float, rows: int, step: float) -> FloatArray:
    """Per row, the index of the row about ``seconds`` earlier (NaN when there is none).

    Looks the row up by time so gaps do not shift the season; falls back to ``rows`` rows
    earlier when the timestamps have no row close enough (for example around a DST repeat).
    """
    n = len(timestamps)
    mono = np.maximum.accumulate(timestamps)
    target = timestamps - seconds
    j = np.searchsorted(mono, target, side="right") - 1
    j = np.clip(j, 0, max(n - 1, 0))
    close = np.abs(mono[j] - target) <= step / 2 if n else np.zeros(0, dtype=bool)
    idx = np.arange(n)
    by_rows = idx - rows
    out = np.where(close & (j < idx), j, by_rows).astype(np.float64)
    out[out < 0] = np.nan
    return out


def compute_components(
    x: FloatArray, timestamps: FloatArray, state: FittedState, first: int = 0
) -> list[Component]:
    """All components of ``x`` (finite values) under ``state``.

    Only rows ``>= first`` are computed: earlier rows get surprise 0 and a meaningless
    baseline. Rows from ``first`` on are identical to a call with ``first=0`` (the rolling
    statistics are computed per block), so callers that already hold earlier rows' surprises
    pay only for the rows they need.
    """
    p = state.params
    floor = state.floor

    def stats(e: FloatArray, flr: float = floor) -> tuple[FloatArray, FloatArray, FloatArray]:
        return robust_stats(e, p.history_rows, p.stats_stride, p.min_history, flr, first)

    z, med, scale = stats(x)
    level = Component("level", z, 0, med, scale)
    prev = np.concatenate((x[:1], x[:-1]))
    z, med, dscale = stats(x - prev)
    comps = [level, Component("jump", z, 0, prev + med, dscale)]
    for name, rows in (("shift_short", p.short_mean_rows), ("shift_long", p.long_mean_rows)):
        z, med, _ = stats(trailing_mean(x, rows))
        comps.append(Component(name, z, 0, med, level.scale))
    z = stats(_log_volatility(x, p.volatility_rows, floor), 1e-3)[0]
    comps.append(Component("volatility", z, 0, level.baseline, level.scale))
    comps.extend(_seasonal_component(x, timestamps, s, state, first) for s in state.seasons)
    return comps


def with_history(components: list[Component], surprises: FloatArray) -> list[Component]:
    """``components`` with the first ``surprises.shape[1]`` rows' surprises taken from
    ``surprises`` (computed earlier under the same state), for scoring appended rows."""
    m = surprises.shape[1]
    return [
        replace(c, surprise=np.concatenate((surprises[i], c.surprise[m:])))
        for i, c in enumerate(components)
    ]


def _log_volatility(x: FloatArray, rows: int, floor: float) -> FloatArray:
    d = np.diff(x, prepend=x[:1])
    out: FloatArray = np.log(np.sqrt(trailing_mean(d * d, rows)) + floor)
    return out


def _seasonal_component(
    x: FloatArray, timestamps: FloatArray, season: SeasonSpec, state: FittedState, first: int
) -> Component:
    p = state.params
    n = len(x)
    lag = lagged_index(timestamps, season.seconds, season.rows, state.step_seconds)
    start = int(min(n, season.rows))
    ok = ~np.isnan(lag)
    prev = x.copy()
    prev[ok] = x[lag[ok].astype(np.int64)]
    surprise = np.zeros(n)
    baseline = prev.copy()
    scale = np.full(n, state.floor)
    z, med, sc = robust_stats(
        (x - prev)[start:],
        p.history_rows,
        p.stats_stride,
        p.min_history,
        state.floor,
        max(0, first - start),
    )
    surprise[start:], scale[start:] = z, sc
    baseline[start:] = prev[start:] + med
    return Component(season.name, surprise, start, baseline, scale)
