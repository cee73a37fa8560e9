"""The periodic anomaly scan: configured series through the detector, new findings posted.

Each run fetches the configured metrics of the configured targets (default: all of them) with
a day of history, asks the detector (``ml/``) for spans still running within ``lookback``,
and posts every finding scoring at least ``min_score`` that has not been posted yet, to the
channels subscribed to its severity and target.

**A finding is posted once.** Its key is ``finding:<target>:<metric>:<start minute, UTC>``;
posting claims that key in the shared dedupe store first (see :mod:`.announce`), so every
later scan, on any replica, sees it is taken. When an ongoing finding ends, one more publish
under the *same* Publisher key (claimed as ``<key>:ended``) updates the original post in place
to say how long it lasted; a finding first seen already over is posted once, as over.

Detectors can move a span's start a little between runs (more data, a refit), and the demo
source re-anchors its incidents to "now" every minute. So this replica also remembers the
spans it saw, and a finding that overlaps one of the same series keeps that span's key
instead of making a new one. That memory is per process and only ever suppresses posts; the
shared claim is what makes a post unique across replicas.

With a forecaster (and an announcer that tracks episodes) the scan also looks ahead: a disk or
memory forecast to fill within ``forecast_horizon`` is posted once per episode, under the same
lease and fencing (see :mod:`bot.features.scheduler.forecast_watch`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.coordination import LeaseLost
from bot.core.errors import DependencyError, UserError
from bot.features.anomaly.ports import AnomalyDetector, Finding
from bot.features.forecast.ports import Forecaster
from bot.features.metrics.lookup import fetch_series, step_for
from bot.features.metrics.ports import MetricsSource, Series, Window
from bot.features.metrics.targets import TargetDirectory
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.config import AnomalyScanConfig
from bot.features.scheduler.finding_post import finding_reply
from bot.features.scheduler.forecast_watch import ForecastWatch
from bot.features.scheduler.ports import Run
from intents.model import METRICS

log = logging.getLogger(__name__)

NAME = "anomaly_scan"
#: History the detector learns "normal" from, before the window it reports on.
HISTORY_SECONDS = 86400.0
HISTORY_POINTS = 1440
#: Series scored per metric at most (a fleet-wide scan of a big Prometheus stays bounded).
MAX_SERIES_PER_METRIC = 100


def finding_key(target: str, metric: str, start: float) -> str:
    """``finding:checkout-api:latency:2024-03-11T14:05Z``: the Publisher key of a finding."""
    minute = datetime.fromtimestamp(start, tz=UTC).strftime("%Y-%m-%dT%H:%MZ")
    return f"finding:{target}:{metric}:{minute}"


@dataclass(frozen=True, slots=True)
class Scanned:
    """One series the scan scored: ``key`` is the name the detector knows it by."""

    key: str
    target: str
    metric: str
    series: Series


@dataclass(slots=True)
class _Seen:
    key: str
    start: float
    end: float


class AnomalyScan:
    """The ``anomaly_scan`` job (see the module doc)."""

    name = NAME

    def __init__(
        self,
        config: AnomalyScanConfig,
        *,
        metrics: MetricsSource,
        directory: TargetDirectory,
        detector: AnomalyDetector,
        announcer: Announcer,
        forecaster: Forecaster | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._source = metrics
        self._detector = detector
        self._announcer = announcer
        self._clock = clock
        self._directory = directory
        self._seen: dict[str, list[_Seen]] = {}
        self._watch = (
            ForecastWatch(
                config,
                metrics=metrics,
                directory=directory,
                forecaster=forecaster,
                announcer=announcer,
            )
            if forecaster is not None and announcer.tracks_episodes and config.forecast_metrics
            else None
        )

    async def run(self, run: Run) -> None:
        now = self._clock()
        await self._scan(run, now)
        if self._watch is not None:
            await self._watch.run(run, now)

    async def _scan(self, run: Run, now: float) -> None:
        since = now - self._config.lookback
        start = since - HISTORY_SECONDS
        step = step_for(now - start, HISTORY_POINTS)
        checked = await self._fetch(start, now, step, since)
        if not checked:
            log.info("anomaly scan: no data to score")
            return
        series = [(c.key, c.series) for c in checked]
        findings = await self._detector.find(series, since=since)
        known = {c.key: c for c in checked}
        notable = [
            f for f in findings if f.series in known and f.peak_score >= self._config.min_score
        ]
        posted = 0
        for finding in sorted(notable, key=lambda f: f.start):
            posted += await self._post(run, finding, known[finding.series], now, step)
        self._forget_before(since)
        log.info("anomaly scan: %d series, %d findings, %d posted", len(checked),
                 len(notable), posted)  # fmt: skip

    async def _fetch(self, start: float, end: float, step: float, since: float) -> list[Scanned]:
        metrics = self._config.metrics or METRICS
        targets: Sequence[str | None] = self._config.targets or (None,)
        checked: list[Scanned] = []
        for metric in metrics:
            found: list[Scanned] = []
            for target in targets:
                try:
                    lookup = await fetch_series(
                        self._source, self._directory, metric, target, Window(start, end, step)
                    )
                except UserError as exc:
                    log.warning("anomaly scan: skipping %s of %s: %s", metric, target, exc)
                    continue
                found.extend(
                    Scanned(f"{name} {metric}", name, metric, series)
                    for name, series in lookup.series
                    if _has_data(series, since)
                )
            if len(found) > MAX_SERIES_PER_METRIC:
                log.warning("anomaly scan: %d %s series, scoring the first %d", len(found),
                            metric, MAX_SERIES_PER_METRIC)  # fmt: skip
            checked.extend(found[:MAX_SERIES_PER_METRIC])
        return checked

    async def _post(
        self, run: Run, finding: Finding, checked: Scanned, now: float, step: float
    ) -> int:
        """Announce ``finding`` if it is new (or newly over); 1 when it was published."""
        key = self._key_of(finding, checked)
        once = key if finding.ongoing else f"{key}:ended"
        reply = finding_reply(
            finding,
            checked.target,
            checked.metric,
            now=now,
            step=step,
            severity=self._config.severity,
            source=self._source.description,
        )
        try:
            published = await self._announcer.announce(
                run, key, reply, once=once, severity=self._config.severity, target=checked.target
            )
        except (LeaseLost, DependencyError):
            raise
        except Exception:
            log.exception("anomaly scan: publishing %s failed", key)
            return 0
        return int(published)

    def _key_of(self, finding: Finding, checked: Scanned) -> str:
        """The key of an overlapping span seen before, else a new one from the start."""
        seen = self._seen.setdefault(finding.series, [])
        for span in seen:
            if span.start <= finding.end and finding.start <= span.end:
                span.end = max(span.end, finding.end)
                return span.key
        key = finding_key(checked.target, checked.metric, finding.start)
        seen.append(_Seen(key, finding.start, finding.end))
        return key

    def _forget_before(self, moment: float) -> None:
        for series, spans in list(self._seen.items()):
            kept = [s for s in spans if s.end >= moment]
            if kept:
                self._seen[series] = kept
            else:
                del self._seen[series]


def _has_data(series: Series, since: float) -> bool:
    return bool(series.timestamps) and series.timestamps[-1] >= since
