"""What the composition root builds at its first use rather than at start-up.

``ml.anomaly`` and ``ml.forecast`` cost every start-up tens of milliseconds of imports, and
the remediation service (its policy is pydantic) about a hundred (bench/RESULTS_STARTUP.md),
while most console turns (``help``, a metric, what is down) need none of them. The detector
and forecaster stand-ins implement the same ports and build the real service on the first
call, which keeps its state (fitted models, scored rows) from then on, as before;
:class:`~bot.core.later.Later` builds any other value once, at its first use.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.features.anomaly.ports import AnomalyDetector, Finding
from bot.features.forecast.ports import ForecastAnswer, Forecaster

if TYPE_CHECKING:
    from bot.features.metrics.ports import Series


class DeferredAnomalyDetector(AnomalyDetector):
    """:class:`ml.anomaly.service.AnomalyService`, built when it is first asked."""

    @functools.cached_property
    def service(self) -> AnomalyDetector:
        from ml.anomaly.service import AnomalyService

        return AnomalyService()

    async def find(
        self,
        series: Sequence[tuple[str, Series]],
        *,
        metric: str | None = None,
        target: str | None = None,
        since: float | None = None,
    ) -> list[Finding]:
        return await self.service.find(series, metric=metric, target=target, since=since)


class DeferredForecaster(Forecaster):
    """:class:`ml.forecast.service.ForecastService`, built when it is first asked."""

    @functools.cached_property
    def service(self) -> Forecaster:
        from ml.forecast.service import ForecastService

        return ForecastService()

    async def forecast(
        self,
        series: Series,
        *,
        horizon: float,
        threshold: float | None = None,
        direction: str | None = None,
    ) -> ForecastAnswer:
        return await self.service.forecast(
            series, horizon=horizon, threshold=threshold, direction=direction
        )
