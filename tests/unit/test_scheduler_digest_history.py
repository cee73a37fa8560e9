"""The digest's "what fired" from the alert store: the groups the Alertmanager webhook
recorded, read back for the window, with which alerts resolved and which still fire."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.metrics.demo import DemoMetricsSource
from bot.features.alerts.group import key_hash
from bot.features.alerts.model import GroupRecord
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.config import load_schedules
from bot.features.scheduler.digest import DailyDigest, DigestSources
from bot.features.scheduler.digest_sources import RecordedAlerts
from storage.dedupe import InMemoryDedupeStore
from storage.sql.alert_store import SqlAlertStore, open_alert_store_at
from tests.fakes.scheduler import NOW, RecordingPublisher

HOUR = 3600.0
ZERO_TIME = "0001-01-01T00:00:00Z"


def at(ago: float) -> datetime:
    return datetime.fromtimestamp(NOW - ago, tz=UTC)


def am_alert(
    name: str, severity: str, instance: str, started_ago: float, resolved_ago: float | None = None
) -> dict[str, object]:
    """One alert of a webhook notification, spelled as Alertmanager spells it."""
    return {
        "status": "firing" if resolved_ago is None else "resolved",
        "labels": {"alertname": name, "instance": instance, "severity": severity},
        "annotations": {"summary": f"{name} on {instance}"},
        "startsAt": at(started_ago).isoformat(),
        "endsAt": ZERO_TIME if resolved_ago is None else at(resolved_ago).isoformat(),
    }


async def notify(
    store: SqlAlertStore, group_key: str, received_ago: float, *alerts: dict[str, object]
) -> None:
    """Record a notification of ``group_key`` as the webhook does (the latest one wins)."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    snapshot = json.dumps(
        {"version": "4", "groupKey": group_key, "status": status, "alerts": list(alerts)}
    )
    await store.record_group(key_hash(group_key), group_key, status, snapshot, at(received_ago))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlAlertStore]:
    async with open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}") as store:
        yield store


async def compose(store: SqlAlertStore) -> str:
    config = load_schedules({"daily_digest": {}}).daily_digest
    assert config is not None
    sources = DigestSources("demo data", DemoMetricsSource(now=lambda: NOW), RecordedAlerts(store))
    job = DailyDigest(config, sources, Announcer(RecordingPublisher(), InMemoryDedupeStore()))
    return (await job.compose(NOW)).text


async def test_the_digest_lists_the_groups_that_fired_in_the_last_day_and_which_resolved(
    store: SqlAlertStore,
) -> None:
    latency = am_alert("HighLatency", "warning", "payments:8080", 3 * HOUR, HOUR)
    await notify(
        store,
        '{}:{alertname="HighLatency"}',
        3 * HOUR,
        {**latency, "status": "firing", "endsAt": ZERO_TIME},
    )
    await notify(store, '{}:{alertname="HighLatency"}', HOUR, latency)
    await notify(
        store,
        '{}:{alertname="InstanceDown"}',
        HOUR / 3,
        am_alert("InstanceDown", "critical", "web-1:9100", 2 * HOUR),
        am_alert("InstanceDown", "critical", "web-2:9100", 31 * HOUR, 30 * HOUR),
        am_alert("InstanceDown", "warning", "db-primary:9100", 26 * HOUR),
    )
    await notify(store, "{}/{}:{}", HOUR / 3, latency)  # a second route to the webhook
    await notify(
        store,
        '{}:{alertname="DiskFull"}',
        30 * HOUR,
        am_alert("DiskFull", "critical", "db-primary:9100", 40 * HOUR, 30 * HOUR),
    )
    await notify(
        store,
        '{}:{alertname="CertExpiry"}',
        30 * HOUR,
        am_alert("CertExpiry", "info", "edge", 50 * HOUR),
    )

    lines = (await compose(store)).split("\n\n")[0].splitlines()

    assert lines == [
        "What fired (4):",
        "• InstanceDown on web-1 (critical), first at Nov 14 20:13 UTC, still firing",
        "• InstanceDown on db-primary (warning), first at Nov 13 20:13 UTC, still firing",
        "• HighLatency on payments (warning), first at Nov 14 19:13 UTC, "
        "resolved at Nov 14 21:13 UTC",
        "• CertExpiry on edge (info), first at Nov 12 20:13 UTC, still firing",
    ], (
        "web-2 and DiskFull resolved before the window; the alert both routes sent counts "
        "once; a group still firing counts however long ago it was last notified"
    )


async def test_an_alert_resolved_after_the_window_still_fired_at_its_end(
    store: SqlAlertStore,
) -> None:
    """A digest composed late (the store already knows the later resolution) reports the
    alert as it stood at the window's end."""
    await notify(
        store,
        "{}:{a}",
        -HOUR,
        am_alert("HighLatency", "warning", "payments:8080", 2 * HOUR, -HOUR / 2),
    )
    (fired,) = await RecordedAlerts(store).fired_between(NOW - 24 * HOUR, NOW)
    assert (fired.name, fired.resolved, fired.resolved_at) == ("HighLatency", False, None)
    assert fired.starts_at == NOW - 2 * HOUR


class BrokenSnapshots:
    """A group history holding one snapshot that is not a notification (and one that is)."""

    def __init__(self, good: str) -> None:
        self._good = good

    async def groups_since(self, since: datetime, limit: int = 1000) -> list[GroupRecord]:
        return [
            GroupRecord("00" * 32, "{}:{x}", "firing", 0, "{not json"),
            GroupRecord("11" * 32, "{}:{y}", "firing", 0, self._good),
        ]


async def test_an_unreadable_stored_group_is_skipped_not_fatal() -> None:
    good = json.dumps(
        {
            "groupKey": "{}:{y}",
            "status": "firing",
            "alerts": [am_alert("InstanceDown", "critical", "web-1:9100", HOUR)],
        }
    )
    fired = await RecordedAlerts(BrokenSnapshots(good)).fired_between(NOW - 24 * HOUR, NOW)
    assert [f.name for f in fired] == ["InstanceDown"]
