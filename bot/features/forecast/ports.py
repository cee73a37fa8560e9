"""The forecast feature's port: where a series is heading (implemented in ``ml/forecast``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.features.metrics.ports import Series


@dataclass(frozen=True, slots=True)
class ForecastPath:
    """Where a series is heading: the expected path and its band (``coverage``: nominal share
    of future values inside it) at ``timestamps`` after the last sample."""

    timestamps: tuple[float, ...]
    mean: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    coverage: float


@dataclass(frozen=True, slots=True)
class ForecastAnswer:
    """A forecast of one series: its path, its trend (``per_hour``, ``rising``/``falling``/
    ``flat``), since when that trend holds, and, when a threshold was asked about, when it
    is reached (``crossing``: ``crosses``, ``already`` or ``not_at_current_rate``, with the
    ``reason``: ``flat``, ``moving_away``, ``beyond_horizon``). ``earliest``/``likely``/
    ``latest`` are Unix seconds (``latest`` None: the band's far edge never gets there)."""

    path: ForecastPath
    per_hour: float
    direction: str
    trend_since: float
    now_value: float
    crossing: str | None = None
    reason: str | None = None
    earliest: float | None = None
    likely: float | None = None
    latest: float | None = None


class Forecaster(Protocol):
    """Forecasts one series ``horizon`` seconds ahead (implemented in ``ml/forecast``).

    With a ``threshold`` it also says when the series reaches it (``direction``: ``above``
    or ``below``; None: away from where it is now). Raises :class:`bot.core.errors.UserError`
    when the history cannot support a forecast (too short, constant), saying what is needed.
    """

    async def forecast(
        self,
        series: Series,
        *,
        horizon: float,
        threshold: float | None = None,
        direction: str | None = None,
    ) -> ForecastAnswer: ...
