"""The alert store on a real PostgreSQL 15 (started by the harness): the store contract, the
schema of migration 0002 matching the models, and three replicas (each with its own engine)
publishing the same alerts at once posting once per channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.core.model import Reply, Severity
from bot.core.ports import ChannelRef
from bot.features.alerts.model import Subscription
from storage.sql.alert_store import SqlAlertStore, open_alert_store_at
from storage.sql.engine import sync_url
from storage.sql.schema import every_table
from tests.fakes.alerts import RecordingPoster
from tests.unit.test_alerts_publisher import replica
from tests.unit.test_alerts_store import NOW, AlertStoreContract

pytestmark = pytest.mark.integration


class TestPostgresAlertStore(AlertStoreContract):
    concurrent_claims = 50

    @pytest.fixture
    async def store(self, migrated_database: str) -> AsyncIterator[SqlAlertStore]:
        async with open_alert_store_at(migrated_database) as store:
            yield store


def test_migration_0002_creates_exactly_the_alert_tables(migrated_database: str) -> None:
    engine = create_engine(sync_url(migrated_database))
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), every_table()) == []
    finally:
        engine.dispose()


async def test_three_replicas_publishing_together_post_once_per_channel(
    migrated_database: str,
) -> None:
    channels = [ChannelRef("chat", "T1", f"C{n}") for n in range(8)]
    replicas: list[SqlAlertStore] = []
    async with open_alert_store_at(migrated_database) as first:
        for channel in channels:
            await first.add_subscription(Subscription(channel, "warning"), NOW)
        async with (
            open_alert_store_at(migrated_database) as second,
            open_alert_store_at(migrated_database) as third,
        ):
            replicas = [first, second, third]
            posters = [RecordingPoster(delay=0.05) for _ in replicas]
            alerts = [
                Reply(title=f"Firing: Alert{n}", text="...", severity=Severity.CRITICAL)
                for n in range(5)
            ]
            await asyncio.gather(
                *(
                    replica(store, poster).publish(f"group-{n}", alert, severity="critical")
                    for store, poster in zip(replicas, posters, strict=True)
                    for n, alert in enumerate(alerts)
                )
            )
            posts = [p for poster in posters for p in poster.posts]
            assert len(posts) == len(channels) * len(alerts)
            assert len({(p.reply.title, p.channel) for p in posts}) == len(posts)
            assert sum(len(p.edits) for p in posters) == 0
