"""Throw-away stores open at their first use (start-up of ``chat``; bench/RESULTS_STARTUP.md),
and stores whose data must last still open at start-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.config import Settings
from storage.deferred import Deferred, open_on_first_use
from storage.sql import open_alert_store, open_remediation_store
from storage.sql.alert_store import SqlAlertStore


class Counter:
    """A fake store that counts how often it was opened and closed."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0
        self.label = "real"

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[Counter]:
        self.opened += 1
        await asyncio.sleep(0.01)  # let a second caller arrive while this one opens
        try:
            yield self
        finally:
            self.closed += 1

    async def echo(self, value: int, *, plus: int = 0) -> int:
        return value + plus


async def test_first_calls_open_the_store_once() -> None:
    """Concurrent first calls share one opening; arguments reach the real method; the store
    is closed on exit."""
    fake = Counter()
    async with open_on_first_use(fake.open) as store:
        assert not store.is_open
        results = await asyncio.gather(store.echo(1), store.echo(2, plus=10))
        assert results == [1, 12]
        assert store.is_open
        assert store.label == "real"  # once open, plain attributes are the store's own
    assert (fake.opened, fake.closed) == (1, 1)


async def test_an_unused_store_is_never_opened() -> None:
    """Nothing is opened (or closed) for a session that never calls the store."""
    fake = Counter()
    async with open_on_first_use(fake.open) as store:
        with pytest.raises(AttributeError):
            _ = store._private
    assert (fake.opened, fake.closed) == (0, 0)


async def test_throwaway_alert_store_opens_on_use_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console's alert store (no DATABASE_URL, no platform) is migrated at its first use,
    works, and its temp file is gone after the session."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    async with open_alert_store(None, persistent=False) as store:
        assert isinstance(store, Deferred)
        assert not store.is_open
        assert await store.subscriptions() == []
        database = store.engine.url.database
    assert database is not None
    assert not await asyncio.to_thread(Path(database).exists)
    assert await asyncio.to_thread(lambda: list(tmp_path.iterdir())) == []


async def test_throwaway_remediation_store_is_deferred() -> None:
    """Nothing in the policy can run and there is no DATABASE_URL: the audit store waits."""
    async with open_remediation_store(None, persistent=False) as store:
        assert isinstance(store, Deferred)
        assert not store.is_open


async def test_stores_that_must_last_open_at_start_up(tmp_path: Path) -> None:
    """With DATABASE_URL the store is the real one, migrated before the session starts."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    async with open_alert_store(settings.database_url) as store:
        assert isinstance(store, SqlAlertStore)
        assert await asyncio.to_thread((tmp_path / "db.sqlite").exists)
