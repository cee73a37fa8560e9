"""The daily rhythm: found only where the history shows one, as a few smooth harmonics.

Latency, CPU and request rates often follow the day; a disk usually does not. A rhythm that
is modelled when it is not there adds wiggles to every forecast, and one that is missed
makes a daily peak look like a trend. So the rhythm is fitted (three harmonics of 24 h,
least squares on the de-trended series) and then kept only if

* the history spans at least :data:`MIN_SPAN` (two days: a pattern seen once is not a
  rhythm) at a resolution of at least :data:`MIN_SAMPLES_PER_DAY` samples a day, and each
  half of it has samples in at least :data:`MIN_HOURS_COVERED` hours of the day (a half
  with a long gap cannot confirm a shape);
* it explains at least :data:`MIN_STRENGTH` of the de-trended variance; and
* it repeats: the shapes fitted on the first and on the second half of the history
  correlate by at least :data:`MIN_AGREEMENT` (slowly wandering noise can fake a strong
  "rhythm" over a day or two, but not the same one twice).

Harmonics rather than a per-hour profile: six numbers instead of 24+, smooth, and no empty
bins when the samples have gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ml.forecast.series import FloatArray

DAY = 86_400.0
HARMONICS = 3
MIN_SPAN = 2 * DAY
MIN_SAMPLES_PER_DAY = 12
MIN_STRENGTH = 0.2
MIN_AGREEMENT = 0.5
MIN_HOURS_COVERED = 18
_PROFILE_POINTS = 96


@dataclass(frozen=True, slots=True)
class DailySeason:
    """A zero-mean daily shape: ``coefficients`` of cos/sin of ``k * 2 pi * t / day``.

    ``strength`` is the share of de-trended variance it explains; ``agreement`` the
    correlation of the shapes fitted on the two halves of the history.
    """

    coefficients: FloatArray
    strength: float
    agreement: float

    def __call__(self, t: FloatArray) -> FloatArray:
        result: FloatArray = daily_basis(t) @ self.coefficients
        return result

    @property
    def amplitude(self) -> float:
        """Half the peak-to-trough height of the shape."""
        profile = self(np.linspace(0.0, DAY, _PROFILE_POINTS, endpoint=False))
        return float(np.ptp(profile)) / 2


def daily_basis(t: FloatArray) -> FloatArray:
    """Columns ``cos(k phase), sin(k phase)`` for ``k = 1..HARMONICS`` (phase of UTC day)."""
    phase = 2 * np.pi * np.mod(t, DAY) / DAY
    cos1, sin1 = np.cos(phase), np.sin(phase)
    cosines, sines = [cos1], [sin1]
    for _ in range(HARMONICS - 1):  # angle addition: two products instead of two more trig calls
        c, s = cosines[-1], sines[-1]
        cosines.append(c * cos1 - s * sin1)
        sines.append(s * cos1 + c * sin1)
    return np.column_stack((*cosines, *sines))


def find_daily(t: FloatArray, detrended: FloatArray, step: float) -> DailySeason | None:
    """The daily rhythm of ``detrended`` (a series with its trend removed), or ``None``.

    ``None`` when the history is too short or too coarse, or when the fitted rhythm is too
    weak or does not repeat (see the module docstring).
    """
    first = t < (t[0] + t[-1]) / 2
    too_short = t[-1] - t[0] < MIN_SPAN or step > DAY / MIN_SAMPLES_PER_DAY
    if too_short or not (_covers_day(t[first]) and _covers_day(t[~first])):
        return None
    centred = detrended - detrended.mean()
    basis = daily_basis(t)
    coefficients = _fit(basis, centred)
    unexplained = float(((centred - basis @ coefficients) ** 2).sum())
    explained = 1.0 - unexplained / max(float((centred**2).sum()), 1e-300)
    if explained < MIN_STRENGTH:
        return None
    agreement = _halves_agreement(first, basis, centred)
    if agreement < MIN_AGREEMENT:
        return None
    return DailySeason(coefficients, explained, agreement)


def _covers_day(t: FloatArray) -> bool:
    """Whether ``t`` has samples in at least :data:`MIN_HOURS_COVERED` hours of the day."""
    hours = np.unique(np.floor(np.mod(t, DAY) / 3600.0))
    return len(hours) >= MIN_HOURS_COVERED


def _fit(basis: FloatArray, centred: FloatArray) -> FloatArray:
    """Least-squares coefficients by the normal equations (the basis is well conditioned)."""
    coefficients = np.linalg.solve(basis.T @ basis, basis.T @ centred)
    return np.asarray(coefficients, dtype=np.float64)


def _halves_agreement(
    first: npt.NDArray[np.bool_], basis: FloatArray, centred: FloatArray
) -> float:
    """Correlation of the daily shapes fitted on the ``first`` samples and on the others."""
    grid = daily_basis(np.linspace(0.0, DAY, _PROFILE_POINTS, endpoint=False))
    a = grid @ _fit(basis[first], centred[first] - centred[first].mean())
    b = grid @ _fit(basis[~first], centred[~first] - centred[~first].mean())
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / denom if denom > 0 else 0.0
