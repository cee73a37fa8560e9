"""The daily digest: what fired, what was silenced and what was done, from whichever sources
the deployment has, said plainly when a source is absent or down, and posted once a day."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.metrics.demo import DemoMetricsSource
from bot.core.errors import DependencyError
from bot.features.alerts.model import Matcher, Silence, SilenceDraft
from bot.features.metrics.ports import Alert
from bot.features.remediation.model import AuditEvent, AuditKind
from bot.features.remediation.policy import load_policy
from bot.features.remediation.service import RemediationService
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.config import DailyDigestConfig, load_schedules
from bot.features.scheduler.digest import (
    ActionHistory,
    AlertHistory,
    DailyDigest,
    DigestSources,
    FiredAlert,
    SilenceHistory,
    SilenceNote,
)
from bot.features.scheduler.digest_sources import AlertmanagerSilences
from storage.dedupe import InMemoryDedupeStore
from storage.sql import open_store_at
from storage.sql.store import SqlRemediationStore
from tests.fakes.scheduler import NOW, FakeRun, PublishLog, RecordingPublisher

HOUR = 3600.0


def digest_config(**settings: object) -> DailyDigestConfig:
    digest = load_schedules({"daily_digest": settings}).daily_digest
    assert digest is not None
    return digest


class History:
    """Alert history and silences from a list (the other helpers' stores, faked)."""

    def __init__(
        self, alerts: Sequence[FiredAlert] = (), silences: Sequence[SilenceNote] = ()
    ) -> None:
        self.alerts = list(alerts)
        self.silences = list(silences)
        self.asked: list[tuple[float, float]] = []
        self.down = False

    async def fired_between(self, start: float, end: float) -> Sequence[FiredAlert]:
        self.asked.append((start, end))
        if self.down:
            raise DependencyError("alertmanager", "down")
        return [a for a in self.alerts if start <= a.starts_at <= end]

    async def silences_between(self, start: float, end: float) -> Sequence[SilenceNote]:
        if self.down:
            raise DependencyError("alertmanager", "down")
        return [s for s in self.silences if start <= s.starts_at <= end]


def alert(name: str, severity: str, instance: str, ago: float) -> Alert:
    return Alert(name, severity, "firing", {"instance": instance}, "", NOW - ago)


def fired(
    name: str, severity: str, instance: str, ago: float, resolved_ago: float | None = None
) -> FiredAlert:
    resolved_at = None if resolved_ago is None else NOW - resolved_ago
    labels = {"instance": instance}
    return FiredAlert(name, severity, labels, NOW - ago, resolved_ago is not None, resolved_at)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlRemediationStore]:
    async with open_store_at(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}") as store:
        yield store


def event(kind: AuditKind, action: str, target: str, ago: float, detail: str = "") -> AuditEvent:
    at = datetime.fromtimestamp(NOW - ago, tz=UTC)
    return AuditEvent(
        at, kind, "slack:U1", "Alice", action, target, "slack:T1", detail, request_id=1
    )


def digest(sources: DigestSources, log: PublishLog | None = None) -> DailyDigest:
    announcer = Announcer(RecordingPublisher(log), InMemoryDedupeStore())
    return DailyDigest(digest_config(), sources, announcer)


async def test_with_every_source_it_lists_what_fired_was_silenced_and_was_done(
    store: SqlRemediationStore,
) -> None:
    history = History(
        alerts=[
            fired("HighLatency", "warning", "payments:8080", 3 * HOUR, 2.5 * HOUR),
            fired("HighLatency", "warning", "payments:8080", 2 * HOUR, 1.5 * HOUR),
            fired("InstanceDown", "critical", "web-2:9100", HOUR),
            fired("InstanceDown", "critical", "web-2:9100", 30 * HOUR),
        ],
        silences=[
            SilenceNote("s1", "alertname=HighLatency", "alice", "deploying", NOW - HOUR, NOW + HOUR)
        ],
    )
    for item in (
        event(AuditKind.EXECUTED, "restart", "payments", 2 * HOUR, "rolled 3 pods"),
        event(AuditKind.FAILED, "scale", "search", HOUR, "quota exceeded"),
        event(AuditKind.REQUESTED, "restart", "web-1", HOUR),
        event(AuditKind.EXECUTED, "restart", "db-primary", 26 * HOUR),
    ):
        await store.record(item)
    actions = RemediationService(load_policy({}), store, {})
    sources = demo_sources(history, history, actions)
    reply = await digest(sources).compose(NOW)
    text = reply.text
    assert history.asked == [(NOW - 24 * HOUR, NOW)]
    assert "What fired (3):" in text, "the alert from 30h ago is outside the window"
    assert text.index("InstanceDown on web-2 (critical)") < text.index("HighLatency on payments")
    assert (
        "HighLatency on payments (warning) ×2, first at Nov 14 19:13 UTC, "
        "resolved at Nov 14 20:43 UTC"
    ) in text, "resolved when both firings did, at the later end"
    assert "InstanceDown on web-2 (critical), first at Nov 14 21:13 UTC, still firing" in text
    assert "What was silenced (1):\n• alertname=HighLatency by alice, until" in text
    assert "“deploying”" in text
    assert "restart payments by Alice: done (rolled 3 pods)" in text
    assert "scale search by Alice: failed (quota exceeded)" in text
    assert "web-1" not in text, "a request is not something that was done"
    assert "db-primary" not in text, "older than the window"
    assert [(f.label, f.value) for f in reply.fields] == [
        ("Fired", "3"),
        ("Silenced", "1"),
        ("Done", "2"),
    ]
    assert reply.title == "Daily digest · 2023-11-14"


async def test_without_optional_sources_it_says_what_is_not_tracked() -> None:
    """No alert history: what fires now (from the metrics source); no silences, no audit log."""
    reply = await digest(demo_sources()).compose(NOW)
    text = reply.text
    assert "no alert history is kept" in text
    assert "firing now (" in text
    assert "InstanceDown on web-2 (critical)" in text, "the demo's web-2 is down"
    assert "What was silenced: not tracked (Alertmanager not configured)." in text
    assert "What was done: remediation actions are not tracked here." in text
    assert [f.value for f in reply.fields] == ["n/a", "n/a", "n/a"]


async def test_a_source_that_is_down_is_reported_and_the_digest_still_posts(
    store: SqlRemediationStore,
) -> None:
    history = History()
    history.down = True
    await store.record(event(AuditKind.EXECUTED, "restart", "payments", HOUR))
    actions = RemediationService(load_policy({}), store, {})
    log = PublishLog()
    job = digest(demo_sources(history, history, actions), log)
    await job.run(FakeRun(due=NOW))
    text = log.calls[0].reply.text
    assert "What fired: the alert history could not be read." in text
    assert "What was silenced: the silences could not be read." in text
    assert "restart payments by Alice: done" in text


async def test_quiet_days_say_so() -> None:
    history = History()

    class NoActions:
        async def history(self, query: object) -> list[AuditEvent]:
            return []

    quiet = FakeAlertmanager([])
    sources = DigestSources("demo data", quiet, history, history, NoActions())
    text = (await digest(sources).compose(NOW)).text
    assert text.splitlines()[0] == "What fired: no alerts."
    assert "What was silenced: nothing." in text
    assert "What was done: no remediation actions ran." in text


async def test_long_lists_are_cut_with_a_count() -> None:
    history = History(alerts=[fired(f"Alert{i}", "warning", f"web-{i}", HOUR) for i in range(25)])
    text = (await digest(demo_sources(history)).compose(NOW)).text
    assert "What fired (25):" in text
    assert "• and 16 more" in text
    assert text.count("\n• Alert") == 9


async def test_the_digest_is_posted_once_a_day_whoever_runs_it() -> None:
    log = PublishLog()
    dedupe = InMemoryDedupeStore()
    sources = demo_sources()
    jobs = [
        DailyDigest(digest_config(), sources, Announcer(RecordingPublisher(log, name), dedupe))
        for name in ("a", "b")
    ]
    await jobs[0].run(FakeRun(due=NOW))
    await jobs[1].run(FakeRun(due=NOW + 60))
    next_day = NOW + timedelta(days=1).total_seconds()
    await jobs[1].run(FakeRun(due=next_day))
    assert [(c.replica, c.key) for c in log.calls] == [
        ("a", "digest:2023-11-14"),
        ("b", "digest:2023-11-15"),
    ]
    assert {c.severity for c in log.calls} == {"info"}
    assert {c.target for c in log.calls} == {None}


class FakeAlertmanager:
    """The alert side's :class:`~bot.features.alerts.ports.SilenceBackend`, reduced to what the
    digest
    reads: its silences and its alerts."""

    description = "Alertmanager"

    def __init__(self, silences: Sequence[Silence], alerts: Sequence[Alert] = ()) -> None:
        self._silences = list(silences)
        self._alerts = list(alerts)

    async def create_silence(self, draft: SilenceDraft) -> str:
        raise NotImplementedError

    async def list_silences(self) -> list[Silence]:
        return self._silences

    async def expire_silence(self, silence_id: str) -> None:
        raise NotImplementedError

    async def alerts(self) -> list[Alert]:
        return self._alerts


def silence(silence_id: str, start_ago: float, end_ago: float, comment: str = "") -> Silence:
    def at(ago: float) -> datetime:
        return datetime.fromtimestamp(NOW - ago, tz=UTC)

    matchers = (Matcher("alertname", "HighLatency"), Matcher("instance", "web-.*", is_regex=True))
    return Silence(silence_id, matchers, at(start_ago), at(end_ago), "alice", comment, "active")


async def test_alertmanager_silences_and_alerts_feed_the_digest() -> None:
    """Silences in effect during the window are listed; Alertmanager's alerts are what fires
    now when no alert history is kept."""
    alertmanager = FakeAlertmanager(
        [
            silence("in-window", 2 * HOUR, -HOUR, "deploy"),
            silence("ended-in-window", 30 * HOUR, 20 * HOUR),
            silence("long-gone", 50 * HOUR, 40 * HOUR),
        ],
        [alert("PaymentsSlow", "warning", "payments:8080", HOUR)],
    )
    sources = DigestSources("demo data", alertmanager, silences=AlertmanagerSilences(alertmanager))
    text = (await digest(sources).compose(NOW)).text
    assert "What was silenced (2):" in text
    assert 'alertname="HighLatency", instance=~"web-.*" by alice, until' in text
    assert "expired" in text, "the silence that ended inside the window"
    assert "firing now (1):\n• PaymentsSlow on payments (warning)" in text
    assert "InstanceDown" not in text, "Alertmanager, not the metrics source, says what fires"


async def test_an_empty_history_still_shows_what_fires_now() -> None:
    """Alerts that never reached the webhook (no Alertmanager sending to it) are not hidden
    behind "no alerts"; the count of recorded firings stays 0."""
    reply = await digest(demo_sources(History())).compose(NOW)
    first = reply.text.splitlines()[0]
    assert first.startswith("What fired: none recorded by the alert webhook, yet firing now (")
    assert "InstanceDown on web-2 (critical), since" in reply.text
    assert reply.fields[0].value == "0"


def demo_sources(
    alerts: AlertHistory | None = None,
    silences: SilenceHistory | None = None,
    actions: ActionHistory | None = None,
) -> DigestSources:
    """Digest sources over the demo, which says what fires now from its rules."""
    return DigestSources("demo data", DemoMetricsSource(now=lambda: NOW), alerts, silences, actions)
