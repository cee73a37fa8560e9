"""Where the recent regime starts: the trend is fitted after the last level shift or bend.

A disk that was cleaned up yesterday, or that only started filling 30 hours into a week of
history, has one trend *now*; a line through the whole window would average the regimes
and be wrong about both the level and the rate. So the history is searched for the best
single break (a jump in level and/or a change of slope, two separate lines either side) and,
if that break is significant, the search repeats on the part after it, until the part after
the last break has no significant break left. That part is the recent regime.

Significance is a Chow-type F statistic for the two extra parameters, maximised over all
break positions (computed for every position at once from prefix sums, so the search is
linear in the series length). Real metrics have strongly correlated noise, which makes
such a statistic large without any break, so it is deflated by the effective-sample-size
factor ``(1 - rho) / (1 + rho)`` of lag-1 residual correlation ``rho`` before it is
compared with :data:`F_CRITICAL`.
"""

from __future__ import annotations

import numpy as np

from ml.forecast.robust import lag1_correlation, median
from ml.forecast.series import FloatArray

#: Fewest samples either side of a break.
MIN_SEGMENT = 12
#: Deflated F statistic above which a break is accepted.
F_CRITICAL = 15.0


def regime_starts(t: FloatArray, z: FloatArray) -> list[int]:
    """First index of each regime of ``z`` (spikes already removed): ``[0, ...]``.

    Only the part after each accepted break is searched again, so the earlier regimes may
    still hold breaks of their own; only the last regime is used for the trend.
    """
    starts = [0]
    while (k := _significant_break(t[starts[-1] :], z[starts[-1] :])) is not None:
        starts.append(starts[-1] + k)
    return starts


def _significant_break(t: FloatArray, z: FloatArray) -> int | None:
    """Position of the best break in ``(t, z)`` if it is significant, else ``None``."""
    m = len(t)
    if m < 2 * MIN_SEGMENT:
        return None
    sums = _prefix_sums(t, z)
    one_line = float(_sse(sums[-1]))
    if one_line <= 0:
        return None
    cuts = np.arange(MIN_SEGMENT, m - MIN_SEGMENT + 1)
    two_lines = _sse(sums[cuts]) + _sse(sums[-1] - sums[cuts])
    best = int(np.argmin(two_lines))
    k, split = int(cuts[best]), float(two_lines[best])
    if split <= 0:
        return k
    f_stat = (one_line - split) / 2 / (split / (m - 4))
    rho = lag1_correlation(_two_line_residuals(t, z, k))
    return k if f_stat * (1 - rho) / (1 + rho) > F_CRITICAL else None


def _prefix_sums(t: FloatArray, z: FloatArray) -> FloatArray:
    """Rows ``i``: sums over the first ``i`` samples of ``1, x, y, x^2, xy, y^2``.

    ``x`` and ``y`` are rescaled to about unit size first, so the differences of sums that
    :func:`_sse` takes do not lose precision.
    """
    x = (t - t[0]) / (t[-1] - t[0])
    y = (z - median(z)) / max(float(np.std(z)), 1e-300)
    terms = np.column_stack((np.ones_like(x), x, y, x * x, x * y, y * y))
    return np.vstack((np.zeros(6), np.cumsum(terms, axis=0)))


def _sse(s: FloatArray) -> FloatArray:
    """Residual sum of squares of the least-squares line, from the sums of :func:`_prefix_sums`.

    ``s`` has the six sums on its last axis; works on one row or many.
    """
    n, sx, sy, sxx, sxy, syy = np.moveaxis(s, -1, 0)
    cxx = sxx - sx * sx / n
    cxy = sxy - sx * sy / n
    cyy = syy - sy * sy / n
    result: FloatArray = np.maximum(cyy - cxy * cxy / np.maximum(cxx, 1e-300), 0.0)
    return result


def _two_line_residuals(t: FloatArray, z: FloatArray, k: int) -> FloatArray:
    parts = []
    for seg_t, seg_z in ((t[:k], z[:k]), (t[k:], z[k:])):
        slope, intercept = np.polyfit(seg_t - seg_t[0], seg_z, 1)
        parts.append(seg_z - intercept - slope * (seg_t - seg_t[0]))
    return np.concatenate(parts)
