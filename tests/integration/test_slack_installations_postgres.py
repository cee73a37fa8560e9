"""The Slack installation stores on a real PostgreSQL 15 (started by the harness): the store
contract (tokens encrypted at rest, never readable in the tables, including a rotating token
too long for slack_sdk's own VARCHAR(200)), migration 0005 matching the models, and a hung
database refusing within the bound instead of reporting the workspace as not installed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.core.errors import DependencyError
from storage.sql.engine import sync_url
from storage.sql.schema import every_table
from storage.sql.slack_store import TokenCipher, open_slack_oauth_stores
from storage.sql.timeouts import DatabaseTimeouts
from tests.harness.postgres import PostgresServer
from tests.unit.test_slack_installations import (
    CLIENT_ID,
    ENCRYPTION_KEY,
    TEAM,
    TOKEN,
    Opened,
    SlackStoreContract,
    installation,
)

pytestmark = pytest.mark.integration


class TestPostgresSlackStores(SlackStoreContract):
    @pytest.fixture
    async def opened(self, migrated_database: str) -> AsyncIterator[Opened]:
        async with open_slack_oauth_stores(
            migrated_database, client_id=CLIENT_ID, cipher=TokenCipher(ENCRYPTION_KEY)
        ) as stores:
            yield Opened(stores, migrated_database)


def test_migration_0005_creates_exactly_the_slack_tables(migrated_database: str) -> None:
    engine = create_engine(sync_url(migrated_database))
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), every_table()) == []
    finally:
        engine.dispose()


async def test_a_hung_database_is_a_dependency_error_within_the_bound(
    postgres_server: PostgresServer, migrated_database: str
) -> None:
    """Authorization then fails (Bolt answers 500 and Slack delivers again later) rather than
    telling the workspace the app is not installed."""
    timeouts = DatabaseTimeouts(timeout_seconds=1.0)
    async with open_slack_oauth_stores(
        migrated_database,
        client_id=CLIENT_ID,
        cipher=TokenCipher(ENCRYPTION_KEY),
        timeouts=timeouts,
    ) as stores:
        await stores.installations.async_save(installation(TEAM, TOKEN, at=time.time()))
        with postgres_server.frozen():
            started = time.monotonic()
            with pytest.raises(DependencyError) as refused:
                await stores.installations.async_find_bot(enterprise_id=None, team_id=TEAM)
            waited = time.monotonic() - started
    assert waited < 5
    assert "Slack installation database" in refused.value.message
