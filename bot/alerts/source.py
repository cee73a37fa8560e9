"""Alerts lists from Alertmanager: a :class:`~bot.ports.MetricsSource` whose ``alerts`` come
from Alertmanager (silenced and inhibited alerts count as ``suppressed``, not firing), while
every metric question still goes to the wrapped source.

Alertmanager holds what every Prometheus (and other sender) fires, after inhibition and
silences, so "what alerts are firing?" reads it whenever ``ALERTMANAGER_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.alerts.ports import SilenceBackend
from bot.ports import Alert, MetricsSource, Sample, Series, TargetHealth


class AlertmanagerAlerts:
    """``source`` with its ``alerts`` read from Alertmanager through ``feed``."""

    def __init__(self, source: MetricsSource, feed: SilenceBackend) -> None:
        self._source = source
        self._feed = feed
        self.description = source.description
        self.is_demo = source.is_demo

    @property
    def catalog(self) -> Mapping[str, str]:
        return self._source.catalog

    @property
    def target_labels(self) -> tuple[str, ...]:
        return self._source.target_labels

    async def query(self, expr: str) -> list[Sample]:
        return await self._source.query(expr)

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        return await self._source.query_range(expr, start, end, step)

    async def label_values(self, label: str) -> list[str]:
        return await self._source.label_values(label)

    async def targets(self) -> list[TargetHealth]:
        return await self._source.targets()

    async def alerts(self) -> list[Alert]:
        return await self._feed.alerts()
