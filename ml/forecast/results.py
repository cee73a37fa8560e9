"""What the forecaster answers: a forecast path, a value at a time, a threshold crossing.

All are frozen values with the nominal ``coverage`` of their band (0.8: see
:mod:`ml.forecast.model`) and the :class:`~ml.forecast.model.Trend` behind them, so a chat
handler can phrase "rising 0.33 % per hour" next to the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ml.forecast.model import Trend
from ml.forecast.series import FloatArray


@dataclass(frozen=True, slots=True)
class Forecast:
    """The expected path and its band at ``timestamps`` (after the last sample).

    ``seasonal`` says whether a daily rhythm was modelled; ``regime_start`` is the first
    sample the trend was fitted on (later than the history's start after a reset or bend).
    """

    timestamps: FloatArray
    mean: FloatArray
    lower: FloatArray
    upper: FloatArray
    coverage: float
    trend: Trend
    seasonal: bool
    regime_start: float


@dataclass(frozen=True, slots=True)
class ValueAt:
    """The expected value at ``when`` and its band ("how much disk tomorrow?")."""

    when: float
    mean: float
    lower: float
    upper: float
    coverage: float
    trend: Trend


class Direction(StrEnum):
    """Which way the threshold is crossed: rising ``ABOVE`` it or falling ``BELOW`` it."""

    ABOVE = "above"
    BELOW = "below"


class CrossingStatus(StrEnum):
    """``CROSSES`` within the horizon, ``ALREADY`` past it, or ``NOT_AT_CURRENT_RATE``."""

    CROSSES = "crosses"
    ALREADY = "already"
    NOT_AT_CURRENT_RATE = "not_at_current_rate"


class NoCrossingReason(StrEnum):
    """Why the expected path does not reach the threshold within the horizon."""

    FLAT = "flat"
    MOVING_AWAY = "moving_away"
    BEYOND_HORIZON = "beyond_horizon"


@dataclass(frozen=True, slots=True)
class Crossing:
    """When the series reaches ``threshold`` going ``direction``.

    ``likely`` is when the expected path first reaches it; ``earliest`` and ``latest`` when
    the band's near and far edges first do (for ``ABOVE``: the upper and the lower edge).
    So with ``status == CROSSES``, ``earliest <= likely`` and ``latest`` is ``None`` when
    the far edge stays short of the threshold until ``horizon_end``. With
    ``NOT_AT_CURRENT_RATE``, ``likely`` and ``latest`` are ``None``, ``reason`` says why,
    and ``earliest`` may still be set: the band allows a crossing from then on.
    ``current`` is the model's value at the last sample (the direction is inferred from it
    when not given). All times are Unix seconds.
    """

    threshold: float
    direction: Direction
    status: CrossingStatus
    reason: NoCrossingReason | None
    earliest: float | None
    likely: float | None
    latest: float | None
    current: float
    horizon_end: float
    coverage: float
    trend: Trend
