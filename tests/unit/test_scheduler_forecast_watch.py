"""The anomaly scan's look ahead: a disk forecast to fill within the horizon is posted once per
episode (across runs and replicas), its post is updated when the episode ends, a later crossing
is a new episode, and a stale or failing run posts nothing.

The demo's db-primary disk fills 10 points in 30 hours: 88 % at the pinned clock, full in about
36 hours. So a 2-day horizon sees it and the default 24 hours does not.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from adapters.metrics.demo import DemoMetricsSource
from bot.core.coordination import LeaseLost
from bot.core.errors import DependencyError, InvalidInput
from bot.core.model import Severity
from bot.features.forecast.ports import ForecastAnswer, ForecastPath
from bot.features.metrics.ports import Series
from bot.features.metrics.targets import TargetDirectory
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.anomaly_scan import AnomalyScan
from bot.features.scheduler.config import AnomalyScanConfig, load_schedules
from bot.features.scheduler.ports import EpisodeStore
from ml.anomaly.service import AnomalyService
from ml.forecast.service import ForecastService
from storage.dedupe import InMemoryDedupeStore
from storage.episodes import InMemoryEpisodeStore
from tests.fakes.scheduler import FakeClock, FakeRun, PublishLog, RecordingPublisher

HOUR = 3600.0
#: The demo's db-primary disk at NOW: the post's key and title with a 2-day horizon.
DISK_KEY = "forecast:db-primary:disk:2023-11-14T22:13Z"
DISK_TITLE = "db-primary disk full in < 2d"


def config(**settings: Any) -> AnomalyScanConfig:
    """A scan of db-primary's disk only (its anomalies are none), forecasts 2 days ahead."""
    raw = {"lookback": "1h", "targets": ["db-primary"], "metrics": ["disk"],
           "forecast_horizon": "2d", **settings}  # fmt: skip
    scan = load_schedules({"anomaly_scan": raw}).anomaly_scan
    assert scan is not None
    return scan


@pytest.fixture(scope="module")
def detector() -> AnomalyService:
    return AnomalyService()


class Replica:
    """One replica's scan, with its own Publisher recording into a shared log and the shared
    dedupe and episode stores."""

    def __init__(
        self,
        log: PublishLog,
        episodes: EpisodeStore,
        *,
        detector: AnomalyService,
        name: str = "r0",
        forecaster: Any = None,
        scan: AnomalyScanConfig | None = None,
        clock: FakeClock | None = None,
        dedupe: InMemoryDedupeStore | None = None,
    ) -> None:
        self.clock = clock or FakeClock()
        self.source = DemoMetricsSource(seed=7, now=self.clock)
        self.publisher = RecordingPublisher(log, name)
        self.job = AnomalyScan(
            scan or config(),
            metrics=self.source,
            directory=TargetDirectory(self.source),
            detector=detector,
            announcer=Announcer(self.publisher, dedupe or InMemoryDedupeStore(), episodes=episodes),
            forecaster=forecaster or ForecastService(),
            clock=self.clock,
        )


@pytest.fixture
def log() -> PublishLog:
    return PublishLog()


@pytest.fixture
def episodes() -> InMemoryEpisodeStore:
    return InMemoryEpisodeStore()


def forecasts(log: PublishLog) -> list[Any]:
    return [c for c in log.calls if c.key.startswith("forecast:")]


async def test_the_filling_demo_disk_is_posted_once_across_runs(
    log: PublishLog, episodes: InMemoryEpisodeStore, detector: AnomalyService
) -> None:
    """First run: one post saying when it is full and what to ask next; later runs, even a
    minute on, post nothing more while the forecast still crosses."""
    replica = Replica(log, episodes, detector=detector)
    await replica.job.run(FakeRun())
    [post] = forecasts(log)
    assert (post.key, post.target, post.severity, post.first) == (
        DISK_KEY,
        "db-primary",
        "warning",
        True,
    )
    assert post.reply.title == DISK_TITLE
    assert post.reply.text.startswith("Disk of db-primary reaches full (100 %) in 35 h to 36 h, ")
    assert "Now 88 %, rising 0.33 points/h." in post.reply.text
    assert "`when will db-primary's disk be full?`" in post.reply.text
    assert post.reply.severity is Severity.WARNING
    assert post.reply.footer == "Source: demo data · scheduled forecast"
    await replica.job.run(FakeRun())
    replica.clock.advance(60)
    await replica.job.run(FakeRun())
    assert forecasts(log) == [post]


async def test_replicas_sharing_the_stores_post_it_once(
    log: PublishLog, episodes: InMemoryEpisodeStore, detector: AnomalyService
) -> None:
    dedupe = InMemoryDedupeStore()
    replicas = [
        Replica(log, episodes, detector=detector, name=f"r{i}", dedupe=dedupe) for i in range(3)
    ]
    for replica in [*replicas, *replicas]:
        await replica.job.run(FakeRun())
    assert [c.key for c in forecasts(log)] == [DISK_KEY]
    assert log.replicas() == {"r0"}


async def test_the_default_day_ahead_does_not_post_a_disk_full_in_36_hours(
    log: PublishLog, episodes: InMemoryEpisodeStore, detector: AnomalyService
) -> None:
    scan = config(forecast_horizon="24h")
    await Replica(log, episodes, detector=detector, scan=scan).job.run(FakeRun())
    assert forecasts(log) == []


async def test_every_target_and_both_capacity_metrics_by_default(
    log: PublishLog, episodes: InMemoryEpisodeStore, detector: AnomalyService
) -> None:
    """Without targets or forecast metrics configured, the whole fleet's disk and memory are
    forecast: only db-primary's disk fills."""
    scan = config(targets=[], metrics=["latency"], forecast_horizon="3d")
    await Replica(log, episodes, detector=detector, scan=scan).job.run(FakeRun())
    assert [c.key for c in forecasts(log)] == [DISK_KEY]


async def test_no_forecast_metrics_turns_the_look_ahead_off(
    log: PublishLog, episodes: InMemoryEpisodeStore, detector: AnomalyService
) -> None:
    scan = config(forecast_metrics=[])
    await Replica(log, episodes, detector=detector, scan=scan).job.run(FakeRun())
    assert forecasts(log) == []


async def test_a_stale_run_opens_nothing_so_its_successor_posts(
    log: PublishLog, episodes: InMemoryEpisodeStore, detector: AnomalyService
) -> None:
    stale = Replica(log, episodes, detector=detector, name="old")
    successor = Replica(log, episodes, detector=detector, name="new")
    run = FakeRun(token=1)
    run.held = False
    with pytest.raises(LeaseLost):
        await stale.job.run(run)
    assert log.calls == []
    await successor.job.run(FakeRun(token=2))
    assert [(c.key, c.replica) for c in forecasts(log)] == [(DISK_KEY, "new")]


class DownEpisodes:
    """An episode store whose backend is unreachable."""

    async def open(self, key: str, post: str, ttl_seconds: int) -> bool:
        raise DependencyError("redis", "down")

    async def close(self, key: str) -> str | None:
        raise DependencyError("redis", "down")


async def test_an_episode_store_outage_fails_closed_and_the_next_run_posts(
    log: PublishLog, detector: AnomalyService
) -> None:
    with pytest.raises(DependencyError):
        await Replica(log, DownEpisodes(), detector=detector).job.run(FakeRun())
    assert log.calls == []
    await Replica(log, InMemoryEpisodeStore(), detector=detector).job.run(FakeRun())
    assert [c.key for c in forecasts(log)] == [DISK_KEY]


async def test_a_failing_publish_is_logged_not_fatal(
    log: PublishLog, episodes: InMemoryEpisodeStore, detector: AnomalyService
) -> None:
    replica = Replica(log, episodes, detector=detector)
    replica.publisher.fail = True
    await replica.job.run(FakeRun())
    assert replica.publisher.attempts == 1
    assert log.calls == []


# --------------------------------------------------------------------------- life of an episode


class ScriptedForecaster:
    """Answers every forecast with the crossing the test sets: ``hours`` until most likely
    full (None: not within the horizon asked), or ``error`` to refuse."""

    def __init__(self) -> None:
        self.hours: float | None = 10.0
        self.error = False
        self.horizons: list[float] = []

    async def forecast(
        self,
        series: Series,
        *,
        horizon: float,
        threshold: float | None = None,
        direction: str | None = None,
    ) -> ForecastAnswer:
        self.horizons.append(horizon)
        if self.error:
            raise InvalidInput("not enough history")
        origin = series.timestamps[-1]
        path = ForecastPath((origin + horizon,), (90.0,), (89.0,), (91.0,), 0.8)
        answer = ForecastAnswer(path, 0.5, "rising", origin - 30 * HOUR, 90.0)
        if self.hours is None or self.hours * HOUR > horizon:
            return dataclasses.replace(answer, crossing="not_at_current_rate",
                                       reason="beyond_horizon")  # fmt: skip
        likely = origin + self.hours * HOUR
        return dataclasses.replace(answer, crossing="crosses", earliest=likely - HOUR,
                                   likely=likely, latest=likely + HOUR)  # fmt: skip


@pytest.fixture
def scripted() -> ScriptedForecaster:
    return ScriptedForecaster()


def day_ahead() -> AnomalyScanConfig:
    return config(forecast_horizon="24h", forecast_metrics=["disk"])


async def test_an_episode_ends_when_the_forecast_no_longer_crosses_and_a_new_one_posts_again(
    log: PublishLog,
    episodes: InMemoryEpisodeStore,
    detector: AnomalyService,
    scripted: ScriptedForecaster,
) -> None:
    """Crosses: posted. Still crosses: nothing. No longer crosses: the same post says it is
    over. Crosses again later: a new post."""
    replica = Replica(log, episodes, detector=detector, forecaster=scripted, scan=day_ahead())
    await replica.job.run(FakeRun())
    replica.clock.advance(300)
    scripted.hours = 9.0
    await replica.job.run(FakeRun())
    replica.clock.advance(300)
    scripted.hours = None
    await replica.job.run(FakeRun())
    await replica.job.run(FakeRun())
    replica.clock.advance(3 * HOUR)
    scripted.hours = 20.0
    await replica.job.run(FakeRun())
    calls = forecasts(log)
    assert [(c.key, c.first, c.reply.title) for c in calls] == [
        ("forecast:db-primary:disk:2023-11-14T22:13Z", True, "db-primary disk full in < 24 h"),
        ("forecast:db-primary:disk:2023-11-14T22:13Z", False,
         "db-primary disk full in < 24 h (over)"),
        ("forecast:db-primary:disk:2023-11-15T01:23Z", True, "db-primary disk full in < 24 h"),
    ]  # fmt: skip
    ended = calls[1].reply
    assert ended.severity is Severity.INFO
    assert ended.text.startswith(
        "Since 22:23 UTC the forecast no longer has db-primary disk reaching full (100 %) "
        "within 24 h: now 90 %, rising 0.5 points/h."
    )
    assert calls[1].severity == "warning", "matched to the same subscriptions as the post"
    assert set(scripted.horizons) == {1.5 * 24 * HOUR}


async def test_a_forecast_wobbling_just_past_the_horizon_neither_ends_nor_reposts(
    log: PublishLog,
    episodes: InMemoryEpisodeStore,
    detector: AnomalyService,
    scripted: ScriptedForecaster,
) -> None:
    """Between one and one and a half horizons the episode stays as it is: not posted when it
    was not open, not ended when it was."""
    replica = Replica(log, episodes, detector=detector, forecaster=scripted, scan=day_ahead())
    scripted.hours = 30.0
    await replica.job.run(FakeRun())
    assert forecasts(log) == []
    for hours in (23.0, 26.0, 23.5, 30.0, 22.0):
        scripted.hours = hours
        await replica.job.run(FakeRun())
        replica.clock.advance(300)
    assert [c.first for c in forecasts(log)] == [True]


async def test_no_verdict_never_ends_an_episode(
    log: PublishLog,
    episodes: InMemoryEpisodeStore,
    detector: AnomalyService,
    scripted: ScriptedForecaster,
) -> None:
    """A forecast that fails (too little history, a scrape gap) says nothing about the
    episode: it stays open and its post unchanged."""
    replica = Replica(log, episodes, detector=detector, forecaster=scripted, scan=day_ahead())
    await replica.job.run(FakeRun())
    scripted.error = True
    await replica.job.run(FakeRun())
    scripted.error = False
    await replica.job.run(FakeRun())
    assert [c.first for c in forecasts(log)] == [True]


async def test_a_successor_replica_ends_the_episode_of_its_predecessor(
    log: PublishLog,
    episodes: InMemoryEpisodeStore,
    detector: AnomalyService,
    scripted: ScriptedForecaster,
) -> None:
    """Across replicas (no shared memory but the episode store) the end still updates the
    predecessor's post, exactly once."""
    old = Replica(log, episodes, detector=detector, forecaster=scripted, scan=day_ahead(),
                  name="old")  # fmt: skip
    new = Replica(log, episodes, detector=detector, forecaster=scripted, scan=day_ahead(),
                  name="new")  # fmt: skip
    await old.job.run(FakeRun(token=1))
    scripted.hours = None
    await new.job.run(FakeRun(token=2))
    await old.job.run(FakeRun(token=3))
    calls = forecasts(log)
    assert [(c.replica, c.first) for c in calls] == [("old", True), ("new", False)]
    assert calls[0].key == calls[1].key
