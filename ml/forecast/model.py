"""The fitted model: level and rate of the recent regime, an optional daily rhythm, a band.

``mean(t) = level + drift * (t - origin) + rhythm(t)``, where ``drift`` is the fitted slope
when it is significant and 0 otherwise: a rate that the history cannot tell from noise is
not extrapolated (extending it would make a flat disk "fill up in 40 days"). The band
still allows for it, so an uncertain trend widens the band instead of moving the mean.

The band is :data:`COVERAGE` (80 %) central, pointwise: at each future time the value
should fall inside it 4 times out of 5. It combines in quadrature

* the noise (:mod:`ml.forecast.noise`): the residuals' 10 % / 90 % quantiles, or their
  wander over the time ahead when that is larger; and
* the trend's uncertainty: the standard errors of the level and slope, which grow with the
  distance from the origin, inflated by ``(1 + rho) / (1 - rho)`` for residuals correlated
  at lag 1 by ``rho`` (correlated noise carries less information than its row count says).

When the slope is not significant the band spans both the flat mean and the fitted slope's
path (then widened as above), so not extrapolating a weak trend does not make the band
miss it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from ml.forecast.noise import Noise
from ml.forecast.season import DailySeason
from ml.forecast.series import FloatArray

#: Nominal central coverage of every band.
COVERAGE = 0.8
#: Standard normal quantile for a central :data:`COVERAGE` interval.
BAND_Z = 1.2816
#: |slope / standard error| at or above which a trend is significant (1 %, two-sided).
SIGNIFICANCE_Z = 2.576
HOUR = 3600.0


class TrendDirection(StrEnum):
    """Which way a significant trend goes; ``FLAT`` when it is not significant."""

    RISING = "rising"
    FALLING = "falling"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class Trend:
    """The recent regime's rate of change and whether it differs from zero.

    ``per_hour`` is the fitted slope in value units per hour, ``stderr_per_hour`` its
    standard error (corrected for correlated noise), ``z`` their ratio. ``significant`` is
    ``|z| >= 2.576`` (a two-sided test at 1 %); ``since`` is when the regime started.
    """

    per_hour: float
    stderr_per_hour: float
    z: float
    significant: bool
    direction: TrendDirection
    since: float

    def describe(self, unit: str = "units") -> str:
        """``"rising 0.33 % per hour"``, or ``"flat (no significant trend)"``."""
        if not self.significant:
            return "flat (no significant trend)"
        return f"{self.direction.value} {abs(self.per_hour):.3g} {unit} per hour"


@dataclass(frozen=True, slots=True)
class FittedModel:
    """What :func:`ml.forecast.fit` learned; evaluate it at any time at or after ``origin``.

    ``level`` is the trend's value at ``origin`` (the last sample) without the rhythm,
    ``slope`` the fitted rate (units per second) and ``*_se`` their standard errors;
    ``noise`` measures the residuals for the band. ``regime_start`` is the first sample the
    trend was fitted on, ``history_start`` the first sample given, ``step`` the median
    sample spacing.
    """

    origin: float
    level: float
    slope: float
    level_se: float
    slope_se: float
    season: DailySeason | None
    noise: Noise
    regime_start: float
    history_start: float
    step: float

    @property
    def trend(self) -> Trend:
        """The recent regime's rate with its significance test."""
        z = self.slope / self.slope_se if self.slope_se > 0 else math.copysign(math.inf, self.slope)
        significant = abs(z) >= SIGNIFICANCE_Z and self.slope != 0
        direction = TrendDirection.FLAT
        if significant:
            direction = TrendDirection.RISING if self.slope > 0 else TrendDirection.FALLING
        return Trend(
            self.slope * HOUR, self.slope_se * HOUR, z, significant, direction, self.regime_start
        )

    @property
    def drift(self) -> float:
        """The slope the mean follows: the fitted one if significant, else 0."""
        return self.slope if self.trend.significant else 0.0

    def mean(self, t: FloatArray) -> FloatArray:
        """The expected value at times ``t``."""
        result: FloatArray = self.level + self.drift * (t - self.origin)
        if self.season is not None:
            result = result + self.season(t)
        return result

    def band(self, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Lower and upper edges of the :data:`COVERAGE` band at times ``t``."""
        ahead = t - self.origin
        spread = BAND_Z * np.sqrt(self.level_se**2 + (self.slope_se * ahead) ** 2)
        mean = self.mean(t)
        fitted = mean + (self.slope - self.drift) * ahead
        below, above = self.noise.half_widths(ahead, BAND_Z)
        lower: FloatArray = np.minimum(mean, fitted) - np.hypot(below, spread)
        upper: FloatArray = np.maximum(mean, fitted) + np.hypot(above, spread)
        return lower, upper
