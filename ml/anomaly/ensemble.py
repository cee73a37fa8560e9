"""Calibrating and combining the components into one score, and suppressing repeats.

A raw surprise of "5 sigmas" means different things on a calm gauge and on a spiky one, so
each component is calibrated against *its own* history: its ratio is the current surprise over
a high quantile (by default the 99.8th percentile) of that component's surprises in the
trailing calibration window, divided by the component's margin. A ratio above 1 means "beyond
anything this series normally does, by this lens". The ensemble takes the strongest ratio
``r`` and maps it to a score ``r / (1 + r)`` in [0, 1), so the alert threshold 0.5 is ``r = 1``.
On a series with a weekly rhythm the daily ratio is first capped by the weekly one (see
:func:`_daily_within_weekly`): a day that differs from yesterday but not from last week is
a weekday/weekend change, not an incident.

After a row alerts, later rows are held just below the threshold for ``refractory_rows``: one
incident should page once, and NAB likewise rewards the earliest detection in a window and
charges every further alarm outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ml.anomaly.components import Component
from ml.anomaly.model import COMPONENTS, DetectorParams, FloatArray
from ml.anomaly.rolling import block_quantiles


def calibrate(component: Component, params: DetectorParams, first: int = 0) -> FloatArray:
    """The component's ratio to its own calibrated normal maximum, over its margin.

    Only rows ``>= first`` are computed (earlier ones are 0); they still need the surprises
    of the ``calibration_rows`` rows before them.
    """
    return _calibrated(component, params, first)[0]


def _calibrated(
    component: Component, params: DetectorParams, first: int
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """:func:`calibrate` plus which rows had enough history to be calibrated at all."""
    u = component.surprise
    ratio = np.zeros(len(u))
    known = np.zeros(len(u), dtype=bool)
    start = component.start
    if start >= len(u):
        return ratio, known
    ref = block_quantiles(
        u[start:],
        params.calibration_rows,
        params.stats_stride,
        (params.calibration_quantile,),
        params.calibration_min,
        max(0, first - start),
    )[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = u[start:] / np.maximum(ref, 1e-9)
    ratio[start:] = np.nan_to_num(r, nan=0.0, posinf=0.0) / params.margin(component.name)
    known[start:] = ~np.isnan(ref)
    return ratio, known


def _daily_within_weekly(
    daily: FloatArray, weekly: FloatArray, weekly_known: npt.NDArray[np.bool_], agreement: float
) -> FloatArray:
    """The daily ratio, capped where the weekly component finds the rows unremarkable.

    A series with a weekly rhythm breaks its daily pattern every Saturday and Monday: the
    day before was a different kind of day. The same time last week is the fair comparison
    then, so a daily break only counts as far as the weekly component also sees at least
    ``agreement`` of its own alert level (``daily <= weekly / agreement``). This can only
    lower scores, never raise them. Rows without a calibrated weekly view keep the daily
    ratio as is.
    """
    if agreement <= 0:
        return daily
    capped: FloatArray = np.where(weekly_known, np.minimum(daily, weekly / agreement), daily)
    return capped


@dataclass(frozen=True, slots=True)
class Combined:
    """Per row: the strongest calibrated ratio, which component gave it (index into
    :data:`COMPONENTS`) and that component's expectation of the value."""

    ratio: FloatArray
    driver: npt.NDArray[np.int64]
    baseline: FloatArray
    scale: FloatArray


def combine(components: Sequence[Component], params: DetectorParams, first: int = 0) -> Combined:
    """Take, per row, the component that is most beyond its own normal (rows ``>= first``)."""
    n = len(components[0].surprise)
    ratios = np.zeros((len(components), n))
    known = np.zeros((len(components), n), dtype=bool)
    for i, comp in enumerate(components):
        ratios[i], known[i] = _calibrated(comp, params, first)
    names = [c.name for c in components]
    if "daily" in names and "weekly" in names:
        d, w = names.index("daily"), names.index("weekly")
        ratios[d] = _daily_within_weekly(
            ratios[d], ratios[w], known[w], params.daily_weekly_agreement
        )
    best = np.argmax(ratios, axis=0)
    rows = np.arange(n)
    baselines = np.stack([c.baseline for c in components])
    scales = np.stack([c.scale for c in components])
    index = np.array([COMPONENTS.index(c.name) for c in components], dtype=np.int64)
    return Combined(ratios[best, rows], index[best], baselines[best, rows], scales[best, rows])


_SCALE = 1_000_000
SCORE_RESOLUTION = 1.0 / _SCALE


def to_score(ratio: FloatArray) -> FloatArray:
    """Map ratios in [0, inf) to scores in [0, 1); ratio 1 is score 0.5.

    Scores are rounded *down* to a multiple of :data:`SCORE_RESOLUTION`, so that writing
    them with six decimals never lifts a score across the threshold.
    """
    out: FloatArray = np.floor(ratio / (1.0 + ratio) * _SCALE) / _SCALE
    return np.clip(out, 0.0, 1.0 - SCORE_RESOLUTION)


def suppress_repeats(scores: FloatArray, threshold: float, rows: int) -> FloatArray:
    """Hold scores below ``threshold`` for ``rows`` rows after each alerting row."""
    out = scores.copy()
    below = max(threshold - SCORE_RESOLUTION, 0.0)
    last = -(10**12)
    for i in np.nonzero(scores >= threshold)[0]:
        if i - last < rows:
            out[i] = min(out[i], below)
        else:
            last = int(i)
    return out
