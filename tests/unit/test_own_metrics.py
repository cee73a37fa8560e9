"""The bot's own metrics beyond the dispatcher, each read from ``/metrics`` the way Prometheus
reads it: Alertmanager notifications by result, posts by platform and result, each scheduled
job's last success, and the build info. (Remediation outcomes: ``test_remediation_flow``.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from adapters.alertmanager.webhook import webhook_plugin
from bot.app.server import build_web_app
from bot.app.version import installed_version
from bot.core.ports import ChannelRef
from bot.core.telemetry import NOTIFICATION_RESULTS, Telemetry
from bot.features.alerts.model import Subscription
from bot.features.alerts.notifier import AlertNotifier
from bot.features.alerts.publisher import ChannelPublisher
from bot.features.scheduler.ports import Run
from bot.features.scheduler.runner import JobRunner
from bot.features.scheduler.schedule import Every
from storage.lease import InMemoryLeases
from storage.sql.alert_store import SqlAlertStore, open_alert_store_at
from tests.fakes.alerts import WEBHOOK_TOKEN, RecordingPoster, recorded
from tests.fakes.scrape import Scrape, scrape
from tests.unit.test_alerts_publisher import FIRING, RESOLVED
from tests.unit.test_alerts_store import NOW

NOTIFICATIONS = "smartcloudops_alertmanager_notifications_total"
POSTS = "smartcloudops_posts_total"
LAST_SUCCESS = "smartcloudops_scheduled_job_last_success_timestamp_seconds"
OPS = ChannelRef("chat", "T1", "C-OPS")
ELSEWHERE = ChannelRef("other", "T9", "C-X")


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry(CollectorRegistry())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlAlertStore]:
    async with open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}") as store:
        await store.add_subscription(Subscription(OPS), NOW)
        yield store


async def test_alertmanager_notifications_are_counted_by_result(
    telemetry: Telemetry, store: SqlAlertStore, tmp_path: Path
) -> None:
    """Wrong token, not a notification, published, storage down: one count each, all four
    results exposed (at 0) before the first notification."""
    publisher = ChannelPublisher(store, store, {"chat": RecordingPoster()})
    notifier = AlertNotifier(store, publisher, target_labels=("instance",))
    app = build_web_app(telemetry, [], [webhook_plugin(notifier, WEBHOOK_TOKEN, telemetry)])
    good = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    async with TestClient(TestServer(app)) as client:
        before = Scrape(await (await client.get("/metrics")).text())
        sent = [
            await client.post("/alertmanager", data=recorded("firing.json"),
                              headers={"Authorization": "Bearer wrong"}),
            await client.post("/alertmanager", data=b"{not json", headers=good),
            await client.post("/alertmanager", data=recorded("firing.json"), headers=good),
        ]  # fmt: skip
        await store.engine.dispose()
        (tmp_path / "alerts.db").unlink()
        (tmp_path / "alerts.db").mkdir()
        sent.append(await client.post("/alertmanager", data=recorded("firing.json"), headers=good))
        after = Scrape(await (await client.get("/metrics")).text())
    assert [r.status for r in sent] == [401, 400, 200, 503]
    assert {r: before.value(NOTIFICATIONS, {"result": r}) for r in NOTIFICATION_RESULTS} == {
        "ok": 0, "unauthorized": 0, "invalid": 0, "unavailable": 0,
    }  # fmt: skip
    assert {r: after.count(NOTIFICATIONS, result=r) for r in NOTIFICATION_RESULTS} == {
        "ok": 1, "unauthorized": 1, "invalid": 1, "unavailable": 1,
    }  # fmt: skip


async def test_posts_are_counted_by_platform_and_result(
    telemetry: Telemetry, store: SqlAlertStore
) -> None:
    """A first post, an edit, a refused post; a channel on a platform this replica does not
    run is a skip each time."""
    poster = RecordingPoster()
    await store.add_subscription(Subscription(ELSEWHERE), NOW)
    publisher = ChannelPublisher(store, store, {"chat": poster}, telemetry=telemetry)
    await publisher.publish("group-1", FIRING, severity="critical")
    await publisher.publish("group-1", RESOLVED, severity="critical")
    poster.fail_next = 1
    await publisher.publish("group-2", FIRING, severity="critical")
    metrics = await scrape(telemetry)
    counted = {
        (platform, result): metrics.count(POSTS, platform=platform, result=result)
        for platform in ("chat", "other")
        for result in ("posted", "updated", "failed", "skipped")
    }
    assert {k: v for k, v in counted.items() if v} == {
        ("chat", "posted"): 1,
        ("chat", "updated"): 1,
        ("chat", "failed"): 1,
        ("other", "skipped"): 3,
    }


class HeardTelemetry(Telemetry):
    """The real telemetry, which also says when a job's success was reported."""

    def __init__(self, job: FlakyJob) -> None:
        super().__init__(CollectorRegistry())
        self.job = job
        self.heard: list[tuple[str, float, int]] = []
        self.succeeded = asyncio.Event()

    def job_succeeded(self, job: str, at: float) -> None:
        super().job_succeeded(job, at)
        self.heard.append((job, at, self.job.attempts))
        self.succeeded.set()


class FlakyJob:
    """Fails its first firing, succeeds after that."""

    name = "digest"

    def __init__(self) -> None:
        self.attempts = 0

    async def run(self, run: Run) -> None:
        self.attempts += 1
        if self.attempts == 1:
            raise RuntimeError("the first firing fails")


async def test_a_jobs_last_success_time_is_set_by_successes_only() -> None:
    """A failing firing leaves the gauge unset; the next, successful one sets it to the
    time it finished."""
    job = FlakyJob()
    telemetry = HeardTelemetry(job)
    lease = InMemoryLeases().lease("digest", "r0", 0.5)
    runner = JobRunner(job, Every(0.2), lease, telemetry=telemetry)
    started = time.time()
    runner.start()
    try:
        async with asyncio.timeout(10):
            await telemetry.succeeded.wait()
    finally:
        await runner.stop()
    first_heard = telemetry.heard[0]
    assert (first_heard[0], first_heard[2]) == ("digest", 2), "the failed firing did not count"
    metrics = await scrape(telemetry)
    assert metrics.value(LAST_SUCCESS, {"job": "digest"}) == telemetry.heard[-1][1] >= started


async def test_build_info_names_the_running_version(telemetry: Telemetry) -> None:
    """``smartcloudops_build_info{version=...} 1``, the installed package's version."""
    metrics = await scrape(telemetry)
    assert metrics.value("smartcloudops_build_info", {"version": installed_version()}) == 1
    assert installed_version() not in ("", "unknown")
