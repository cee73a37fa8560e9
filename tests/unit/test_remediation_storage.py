"""Storage plumbing: migrations match the models, URLs pick the right driver, the embedded
database lands where it should and times come back as aware UTC."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect

from bot.app.config import Settings
from bot.core.errors import ConfigError
from bot.features.remediation.model import Actor, AuditEvent, AuditKind, AuditQuery, RequestDraft
from storage.migrations import alembic_config, upgrade, upgrade_url
from storage.sql import engine as store_engine
from storage.sql import open_remediation_store, open_store_at
from storage.sql.engine import async_url, default_sqlite_path, postgres_connect_args, sync_url
from storage.sql.models import AuditRow, RequestRow
from storage.sql.schema import every_table
from storage.sql.timeouts import DatabaseTimeouts

TABLES = {"audit_events", "remediation_requests", "remediation_approvals",
          "remediation_executions", "alert_subscriptions", "alert_groups", "alert_posts",
          "slack_installations", "slack_bots", "slack_oauth_states", "alembic_version"}  # fmt: skip


def test_migrations_create_exactly_the_models(tmp_path: Path) -> None:
    """Alembic's head schema and the SQLAlchemy models agree (autogenerate finds nothing)."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_url(url)
    upgrade_url(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), every_table()) == []
            assert set(inspect(conn).get_table_names()) == TABLES
    finally:
        engine.dispose()


LEGACY_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def write_rows_before_scopes(url: str) -> None:
    """Bring the database at ``url`` to revision 0002 (before scopes), write a pending request
    and its audit row as that schema had them, then upgrade to head."""
    upgrade_url(url, "0002")
    engine = create_engine(sync_url(url))
    request = {"action": "restart", "target": "payments", "replicas": None,
               "requester": "slack:U1", "requester_name": "ann", "channel": "slack:C1",
               "approvals_required": 1, "status": "pending", "created_at": LEGACY_AT,
               "expires_at": LEGACY_AT + timedelta(days=7), "dry_run": "plan"}  # fmt: skip
    event = {"at": LEGACY_AT, "kind": "requested", "actor": "slack:U1", "actor_name": "ann",
             "action": "restart", "target": "payments", "request_id": 1, "detail": ""}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(RequestRow.__table__).values(request))
        conn.execute(insert(AuditRow.__table__).values(event))
    engine.dispose()
    upgrade_url(url)


async def check_rows_before_scopes_are_in_no_chat_scope(url: str) -> None:
    """Old rows got the empty scope: no chat user finds the request or reads the event, while
    an unscoped query (the operator's digest) still does."""
    async with open_store_at(async_url(url)) as store:
        assert await store.get(1, "slack:T1") is None
        assert await store.get(1, "") is not None
        assert await store.events(AuditQuery(scope="slack:T1")) == []
        [old] = await store.events(AuditQuery(scope=None))
    assert (old.scope, old.request_id, old.at) == ("", 1, LEGACY_AT)


async def test_rows_from_before_scopes_are_out_of_every_chat_scope(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    await asyncio.to_thread(write_rows_before_scopes, url)
    await check_rows_before_scopes_are_in_no_chat_scope(url)


def test_migrations_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    """The first revision can be undone and redone."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_url(url)
    command.downgrade(alembic_config(url), "base")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    engine.dispose()
    upgrade_url(url)


@pytest.mark.parametrize(
    ("given", "async_form", "sync_form"),
    [
        ("postgresql://u:p%40ss@db:5432/sco", "postgresql+psycopg://u:p%40ss@db:5432/sco",
         "postgresql+psycopg://u:p%40ss@db:5432/sco"),
        ("postgres://u@db/sco", "postgresql+psycopg://u@db/sco", "postgresql+psycopg://u@db/sco"),
        ("sqlite:////var/lib/sco.db", "sqlite+aiosqlite:////var/lib/sco.db",
         "sqlite:////var/lib/sco.db"),
    ],
)  # fmt: skip
def test_database_urls_get_this_projects_drivers(
    given: str, async_form: str, sync_form: str
) -> None:
    """DATABASE_URL may name the plain backend; psycopg and aiosqlite are chosen here."""
    assert async_url(given) == async_form
    assert sync_url(given) == sync_form


@pytest.mark.parametrize(
    ("url", "named"), [("mysql://x@y/z", "'mysql'"), ("postgresql+asyncpg://x@y/z", "asyncpg"),
                       ("not a url", "not a database URL")],
)  # fmt: skip
def test_unsupported_databases_are_a_config_error_naming_database_url(url: str, named: str) -> None:
    """Only PostgreSQL (psycopg) and SQLite are supported; anything else is a configuration
    error naming DATABASE_URL (the CLI prints it as one line)."""
    with pytest.raises(ConfigError, match=f"^DATABASE_URL .*{named}"):
        async_url(url)


def test_embedded_database_lives_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without DATABASE_URL, `migrate` creates the SQLite file under XDG_DATA_HOME."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_sqlite_path() == tmp_path / "smartcloudops" / "smartcloudops.db"
    upgrade(None)
    assert (tmp_path / "smartcloudops" / "smartcloudops.db").stat().st_size > 0


async def test_throwaway_store_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing to run and no DATABASE_URL, the store is a temp file removed on exit."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    async with open_remediation_store(None, persistent=False) as store:
        await store.ping()
        url = store.engine.url
    assert url.database is not None
    assert not await asyncio.to_thread(Path(url.database).exists)
    assert await asyncio.to_thread(lambda: list(tmp_path.iterdir())) == []


async def test_times_round_trip_as_aware_utc(tmp_path: Path) -> None:
    """SQLite keeps no zone; the store still returns UTC-aware datetimes."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC) + timedelta(microseconds=5)
    actor = Actor("console:alice", "alice", "console:console", "console:local")
    draft = RequestDraft("restart", "payments", None, actor, 1, created,
                         created + timedelta(minutes=15), "plan")  # fmt: skip
    event = AuditEvent(created, AuditKind.REQUESTED, actor.principal, actor.name, "restart",
                       "payments", actor.scope)  # fmt: skip
    async with open_remediation_store(settings.database_url) as store:
        stored = await store.create(draft, event)
        loaded = await store.get(stored.id, actor.scope)
        last = await store.last_execution_at("restart", "payments")
    assert loaded is not None
    assert loaded.created_at == created
    assert loaded.created_at.tzinfo is not None
    assert loaded.expires_at - loaded.created_at == timedelta(minutes=15)
    assert last is None


def test_postgres_connections_carry_the_connect_and_statement_timeouts() -> None:
    """libpq's connect_timeout (whole seconds, at least 2) and a server-side
    statement_timeout, added to options the URL already sets."""
    timeouts = DatabaseTimeouts(connect_timeout_seconds=0.5, statement_timeout_seconds=2.5)
    url = "postgresql+psycopg://bot@db/sco?options=-c%20search_path%3Dops"
    assert postgres_connect_args(url, timeouts) == {
        "connect_timeout": 2,
        "options": "-c search_path=ops -c statement_timeout=2500",
    }
    engine = store_engine.create_engine("postgresql://bot@db/sco", timeouts=DatabaseTimeouts())
    assert engine.pool.timeout() == 5.0  # type: ignore[attr-defined]


def test_a_migrated_sqlite_file_is_already_in_wal_mode(tmp_path: Path) -> None:
    """The migration switches a new file to WAL, so the engines' first connections (which run
    concurrently) never race to switch it: SQLite refuses such a switch at once, without its
    busy wait, and the loser failed its request with "database is locked"."""
    path = tmp_path / "db.sqlite"
    upgrade_url(f"sqlite:///{path}")
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        raw.close()


def test_the_wal_switch_waits_for_another_connection_in_the_file(tmp_path: Path) -> None:
    """Another process writing to the file when the migration starts: SQLite refuses the
    switch at once while it is there, and the migration tries again until it has gone."""
    path = tmp_path / "db.sqlite"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE elsewhere (n INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO elsewhere VALUES (1)")  # holds the write lock
    migration = threading.Thread(target=upgrade_url, args=(f"sqlite:///{path}",))
    migration.start()
    time.sleep(0.3)
    writer.execute("COMMIT")
    writer.close()
    migration.join(timeout=30)
    assert not migration.is_alive()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    finally:
        raw.close()
