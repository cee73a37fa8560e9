"""The anomaly scan's look ahead: "db-primary disk full in < 24 h", posted once per episode.

Each run forecasts the scan's capacity metrics (``forecast_metrics``) of its targets with
:func:`~bot.features.forecast.outlook.forecast_outlooks`, like "when will db-primary's disk
be full?" does, and per series:

* past the limit, or most likely there within ``forecast_horizon``: the episode
  ``forecast:<target>:<metric>`` *begins* (:meth:`Announcer.begin`): the first run to see it,
  on any replica, posts under ``forecast:<target>:<metric>:<minute it began>``; while it stays
  open nothing more is posted;
* not there within :data:`END_FACTOR` times the horizon: the episode *ends*, and its post is
  updated in place to say so; a later crossing is a new episode with a post of its own;
* in between, or with no verdict (no recent data, no forecast): nothing changes. A forecast
  wobbling around the horizon so neither re-posts nor flaps the post.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.core.coordination import LeaseLost
from bot.core.errors import DependencyError
from bot.core.formatting import format_value
from bot.core.model import Field, Reply, Severity
from bot.features.forecast.outlook import (
    ALREADY,
    CLEAR,
    LimitOutlook,
    forecast_outlooks,
    level_text,
    rate_text,
    span_text,
)
from bot.features.forecast.ports import Forecaster
from bot.features.metrics.ports import MetricsSource
from bot.features.metrics.targets import TargetDirectory
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.config import AnomalyScanConfig
from bot.features.scheduler.finding_post import SEVERITIES
from bot.features.scheduler.ports import Run

log = logging.getLogger(__name__)

#: An episode ends once the forecast stays short of the limit for this many horizons.
END_FACTOR = 1.5


def episode_key(target: str, metric: str) -> str:
    """``forecast:db-primary:disk``: one episode at a time per series."""
    return f"forecast:{target}:{metric}"


def post_key(target: str, metric: str, began: float) -> str:
    """``forecast:db-primary:disk:2024-03-12T14:35Z``: the Publisher key of one episode."""
    minute = datetime.fromtimestamp(began, tz=UTC).strftime("%Y-%m-%dT%H:%MZ")
    return f"{episode_key(target, metric)}:{minute}"


class ForecastWatch:
    """Posts near-term limit crossings of one scan's series (see the module doc)."""

    def __init__(
        self,
        config: AnomalyScanConfig,
        *,
        metrics: MetricsSource,
        directory: TargetDirectory,
        forecaster: Forecaster,
        announcer: Announcer,
    ) -> None:
        self._config = config
        self._source = metrics
        self._directory = directory
        self._forecaster = forecaster
        self._announcer = announcer

    async def run(self, run: Run, now: float) -> int:
        """Begin or end each series' episode; the number of posts made or updated."""
        horizon = self._config.forecast_horizon
        outlooks = await forecast_outlooks(
            self._source,
            self._directory,
            self._forecaster,
            now=now,
            horizon=END_FACTOR * horizon,
            metrics=self._config.forecast_metrics,
            targets=self._config.targets or (None,),
        )
        published = 0
        for outlook in outlooks:
            if outlook.within(horizon, now):
                published += await self._publish(run, outlook, now, begin=True)
            elif outlook.status == CLEAR:
                published += await self._publish(run, outlook, now, begin=False)
        log.info("forecast watch: %d series, %d posts", len(outlooks), published)
        return published

    async def _publish(self, run: Run, outlook: LimitOutlook, now: float, *, begin: bool) -> int:
        episode = episode_key(outlook.target, outlook.metric)
        severity, horizon = self._config.severity, self._config.forecast_horizon
        try:
            if begin:
                key = post_key(outlook.target, outlook.metric, now)
                reply = self._began(outlook, now)
                done = await self._announcer.begin(
                    run, episode, key, reply, severity=severity, target=outlook.target
                )
            else:
                reply = self._ended(outlook, now, horizon)
                done = await self._announcer.end(
                    run, episode, reply, severity=severity, target=outlook.target
                )
        except (LeaseLost, DependencyError):
            raise
        except Exception:
            log.exception("forecast watch: publishing %s failed", episode)
            return 0
        return int(done)

    def _began(self, outlook: LimitOutlook, now: float) -> Reply:
        target = outlook.target
        ask = f"when will {target}'s {outlook.metric} be full?"
        return Reply(
            title=_title(outlook, self._config.forecast_horizon),
            text=f"{outlook.sentence(now)} Ask `{ask}` for the chart.",
            fields=(
                Field("Now", _value(outlook)),
                Field("Trend", rate_text(outlook.per_hour, outlook.info.unit)),
                Field("Target", target),
            ),
            severity=SEVERITIES[self._config.severity],
            footer=f"Source: {self._source.description} · scheduled forecast",
        )

    def _ended(self, outlook: LimitOutlook, now: float, horizon: float) -> Reply:
        level = level_text(outlook.info, outlook.threshold)
        clock = datetime.fromtimestamp(now, tz=UTC).strftime("%H:%M UTC")
        return Reply(
            title=f"{_title(outlook, horizon)} (over)",
            text=(
                f"Since {clock} the forecast no longer has {outlook.label} reaching {level} "
                f"within {span_text(horizon)}: now {_value(outlook)}, "
                f"{rate_text(outlook.per_hour, outlook.info.unit)}."
            ),
            fields=(Field("Now", _value(outlook)), Field("Target", outlook.target)),
            severity=Severity.INFO,
            footer=f"Source: {self._source.description} · scheduled forecast",
        )


def _title(outlook: LimitOutlook, horizon: float) -> str:
    """``db-primary disk full in < 24 h``; ``web-1 CPU at 100 % in < 24 h``."""
    level = level_text(outlook.info, outlook.threshold)
    reached = "full" if level.startswith("full") else f"at {level}"
    if outlook.status == ALREADY:
        return f"{outlook.label} already {reached}"
    return f"{outlook.label} {reached} in < {span_text(horizon)}"


def _value(outlook: LimitOutlook) -> str:
    return format_value(outlook.now_value, outlook.info.unit)
