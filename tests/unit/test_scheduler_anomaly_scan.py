"""The anomaly scan job: the demo fleet's incidents are posted once each (across replicas too),
an ended finding updates its post in place, and a stale or failing run posts nothing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from adapters.metrics.demo import DemoMetricsSource
from bot.core.coordination import LeaseLost
from bot.core.errors import DependencyError
from bot.core.model import Severity
from bot.core.ports import DedupeStore
from bot.features.anomaly.ports import Finding
from bot.features.metrics.ports import Series
from bot.features.metrics.targets import TargetDirectory
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.anomaly_scan import AnomalyScan, finding_key
from bot.features.scheduler.config import AnomalyScanConfig, load_schedules
from ml.anomaly.service import AnomalyService
from storage.dedupe import InMemoryDedupeStore
from tests.fakes.scheduler import NOW, FakeClock, FakeRun, PublishLog, RecordingPublisher

MINUTE = 60.0
#: The demo's checkout-api incident (about 3 h ago) and payments' ongoing latency rise.
EXPECTED = {
    ("checkout-api", "latency"),
    ("checkout-api", "error_rate"),
    ("checkout-api", "cpu"),
    ("db-primary", "cpu"),
    ("payments", "latency"),
}


def config(**settings: object) -> AnomalyScanConfig:
    raw = {"lookback": "4h", "metrics": ["latency", "error_rate", "cpu"], **settings}
    scan = load_schedules({"anomaly_scan": raw}).anomaly_scan
    assert scan is not None
    return scan


@pytest.fixture(scope="module")
def detector() -> AnomalyService:
    """One detector for the module: fitted states are reused between tests, as in the bot."""
    return AnomalyService()


class Replica:
    """One replica's scan job, with its own Publisher recording into a shared log."""

    def __init__(
        self,
        detector: AnomalyService,
        dedupe: DedupeStore,
        log: PublishLog,
        name: str = "r0",
        clock: FakeClock | None = None,
        scan: AnomalyScanConfig | None = None,
    ) -> None:
        self.clock = clock or FakeClock()
        self.source = DemoMetricsSource(seed=7, now=self.clock)
        self.publisher = RecordingPublisher(log, name)
        self.job = AnomalyScan(
            scan or config(),
            metrics=self.source,
            directory=TargetDirectory(self.source),
            detector=detector,
            announcer=Announcer(self.publisher, dedupe),
            clock=self.clock,
        )


@pytest.fixture
def log() -> PublishLog:
    return PublishLog()


@pytest.fixture
def dedupe() -> InMemoryDedupeStore:
    return InMemoryDedupeStore()


def posted(log: PublishLog) -> set[tuple[str, str]]:
    return {(c.target or "", c.key.split(":")[2]) for c in log.posts}


async def test_each_incident_is_posted_once_to_its_target(
    detector: AnomalyService, dedupe: InMemoryDedupeStore, log: PublishLog
) -> None:
    replica = Replica(detector, dedupe, log)
    await replica.job.run(FakeRun())
    assert posted(log) == EXPECTED
    assert len(log.calls) == len(EXPECTED)
    payments = next(c for c in log.calls if c.target == "payments")
    assert payments.severity == "warning"
    assert payments.reply.severity is Severity.WARNING
    assert "still going" in payments.reply.text
    assert payments.reply.title == "Unusual payments latency p95"
    checkout = next(c for c in log.calls if c.key.startswith("finding:checkout-api:latency:"))
    assert checkout.reply.title == "Unusual checkout-api latency p95 (over)"
    assert "back to normal" in checkout.reply.text
    assert "demo data" in str(checkout.reply.footer)


async def test_a_second_scan_posts_nothing_new(
    detector: AnomalyService, dedupe: InMemoryDedupeStore, log: PublishLog
) -> None:
    replica = Replica(detector, dedupe, log)
    await replica.job.run(FakeRun())
    before = len(log.calls)
    await replica.job.run(FakeRun())
    assert len(log.calls) == before


async def test_replicas_sharing_the_dedupe_store_post_each_finding_once(
    detector: AnomalyService, dedupe: InMemoryDedupeStore, log: PublishLog
) -> None:
    replicas = [Replica(detector, dedupe, log, f"r{i}") for i in range(3)]
    for replica in replicas:
        await replica.job.run(FakeRun())
    assert posted(log) == EXPECTED
    assert len(log.calls) == len(EXPECTED), "every later replica found the keys claimed"
    assert log.replicas() == {"r0"}


async def test_findings_re_anchored_every_minute_keep_their_key(
    detector: AnomalyService, dedupe: InMemoryDedupeStore, log: PublishLog
) -> None:
    """The demo moves its incidents with "now"; a span that overlaps one already seen is the
    same finding, not a new one."""
    replica = Replica(detector, dedupe, log)
    for _ in range(4):
        await replica.job.run(FakeRun())
        replica.clock.advance(MINUTE)
    assert len(log.calls) == len(EXPECTED)


async def test_the_key_names_target_metric_and_start_minute() -> None:
    assert finding_key("checkout-api", "latency", NOW + 17) == (
        "finding:checkout-api:latency:2023-11-14T22:13Z"
    )


async def test_only_configured_targets_and_metrics_are_scanned(
    detector: AnomalyService, dedupe: InMemoryDedupeStore, log: PublishLog
) -> None:
    scan = config(targets=["payments", "no-such-host"], metrics=["latency"])
    await Replica(detector, dedupe, log, scan=scan).job.run(FakeRun())
    assert posted(log) == {("payments", "latency")}, "an unknown target is skipped, not fatal"


async def test_findings_under_the_minimum_score_are_not_posted(
    detector: AnomalyService, dedupe: InMemoryDedupeStore, log: PublishLog
) -> None:
    await Replica(detector, dedupe, log, scan=config(min_score=1.0)).job.run(FakeRun())
    assert log.calls == []


async def test_a_stale_run_claims_nothing_so_its_successor_posts_everything(
    detector: AnomalyService, dedupe: InMemoryDedupeStore, log: PublishLog
) -> None:
    stale, successor = Replica(detector, dedupe, log, "old"), Replica(detector, dedupe, log, "new")
    run = FakeRun(token=1)
    run.held = False
    with pytest.raises(LeaseLost):
        await stale.job.run(run)
    assert log.calls == []
    await successor.job.run(FakeRun(token=2))
    assert posted(log) == EXPECTED
    assert log.replicas() == {"new"}


async def test_a_dedupe_outage_fails_closed_and_the_next_run_posts(
    detector: AnomalyService, log: PublishLog
) -> None:
    class Down:
        async def claim(self, key: str, ttl_seconds: int) -> bool:
            raise DependencyError("redis", "down")

    broken = Replica(detector, Down(), log)
    with pytest.raises(DependencyError):
        await broken.job.run(FakeRun())
    assert log.calls == []
    healthy = Replica(detector, InMemoryDedupeStore(), log)
    await healthy.job.run(FakeRun())
    assert posted(log) == EXPECTED


async def test_a_failing_publish_does_not_stop_the_other_findings(
    detector: AnomalyService, dedupe: InMemoryDedupeStore, log: PublishLog
) -> None:
    replica = Replica(detector, dedupe, log)
    replica.publisher.fail = True
    await replica.job.run(FakeRun())
    assert log.calls == []
    assert replica.publisher.attempts == len(EXPECTED)


# --------------------------------------------------------------------------- life of a finding


class ScriptedDetector:
    """Returns whatever findings the test sets, for the series it was asked about."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    async def find(
        self,
        series: Sequence[tuple[str, Series]],
        *,
        metric: str | None = None,
        target: str | None = None,
        since: float | None = None,
    ) -> list[Finding]:
        names = {name for name, _ in series}
        return [f for f in self.findings if f.series in names]


def finding(start: float, end: float, *, ongoing: bool, score: float = 0.9) -> Finding:
    return Finding("payments latency", None, None, start, end, ongoing, score, 0.4, 0.1, 0.2,
                   1.0, "")  # fmt: skip


async def test_an_ongoing_finding_that_ends_updates_its_post_once(log: PublishLog) -> None:
    detector = ScriptedDetector()
    dedupe = InMemoryDedupeStore()
    publisher = RecordingPublisher(log)
    clock = FakeClock()
    job = AnomalyScan(
        config(metrics=["latency"], targets=["payments"]),
        metrics=(source := DemoMetricsSource(now=clock)),
        directory=TargetDirectory(source),
        detector=detector,
        announcer=Announcer(publisher, dedupe),
        clock=clock,
    )
    detector.findings = [finding(NOW - 600, NOW, ongoing=True)]
    await job.run(FakeRun())
    detector.findings = [finding(NOW - 600, NOW + 60, ongoing=True)]
    await job.run(FakeRun())
    detector.findings = [finding(NOW - 600, NOW + 120, ongoing=False)]
    await job.run(FakeRun())
    await job.run(FakeRun())
    assert [(c.first, c.reply.title) for c in log.calls] == [
        (True, "Unusual payments latency p95"),
        (False, "Unusual payments latency p95 (over)"),
    ]
    assert len({c.key for c in log.calls}) == 1, "the update goes to the same post"
    assert log.calls[1].severity == "warning", "matched to the same subscriptions"


async def test_a_successor_replica_finishes_the_post_of_its_predecessor(log: PublishLog) -> None:
    """Across replicas (no shared memory), the end of a finding still updates its post."""
    dedupe = InMemoryDedupeStore()
    jobs = []
    for name in ("old", "new"):
        detector = ScriptedDetector()
        jobs.append(
            (
                detector,
                AnomalyScan(
                    config(metrics=["latency"], targets=["payments"]),
                    metrics=(source := DemoMetricsSource(now=FakeClock())),
                    directory=TargetDirectory(source),
                    detector=detector,
                    announcer=Announcer(RecordingPublisher(log, name), dedupe),
                    clock=FakeClock(),
                ),
            )
        )
    (old_detector, old), (new_detector, new) = jobs
    old_detector.findings = [finding(NOW - 600, NOW, ongoing=True)]
    await old.run(FakeRun(token=1))
    new_detector.findings = [finding(NOW - 600, NOW, ongoing=True)]
    await new.run(FakeRun(token=2))
    new_detector.findings = [finding(NOW - 600, NOW + 60, ongoing=False)]
    await new.run(FakeRun(token=2))
    assert [(c.replica, c.first) for c in log.calls] == [("old", True), ("new", False)]
