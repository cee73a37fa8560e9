"""The anomaly feature's port: a detector that scores series causally and returns ranked
findings (implemented in ``ml/anomaly``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.features.metrics.ports import Series


@dataclass(frozen=True, slots=True)
class Finding:
    """An anomalous span found in one series."""

    series: str
    metric: str | None
    target: str | None
    start: float
    end: float
    ongoing: bool
    peak_score: float
    peak_value: float
    expected_low: float
    expected_high: float
    deviation: float
    explanation: str


class AnomalyDetector(Protocol):
    """Scores series causally and returns ranked findings (implemented in ``ml/anomaly``).

    ``find`` returns the findings of every ``(name, series)`` pair, strongest first. Callers
    pass more history than the question covers, with ``since`` = the start of the range
    asked about: the earlier rows only teach the detector what is normal, and only spans
    still running at or after ``since`` are reported. ``name`` identifies the series (fitted
    state is cached under it), so it must differ between series.
    """

    async def find(
        self,
        series: Sequence[tuple[str, Series]],
        *,
        metric: str | None = None,
        target: str | None = None,
        since: float | None = None,
    ) -> list[Finding]: ...
