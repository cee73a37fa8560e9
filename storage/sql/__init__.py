"""SQL storage (SQLAlchemy 2, async): the remediation and alert stores and their engine.

:func:`open_remediation_store` and :func:`open_alert_store` are what the composition root
uses: they migrate the schema to the current revision (idempotent; replicas take turns on
PostgreSQL), yield the store, and dispose of the engine on exit.

When nothing has to outlive the process, a store is a throw-away SQLite file in a temp dir,
opened at its first use: what is yielded then is a :class:`storage.deferred.Deferred` standing
in for the store (typed as the store; it forwards every method call). This module imports
SQLAlchemy only when a store is opened, so a console session that never uses its stores does
not load it at all.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from storage.deferred import open_on_first_use
from storage.sql.timeouts import DatabaseTimeouts

if TYPE_CHECKING:
    from storage.sql.alert_store import SqlAlertStore
    from storage.sql.store import SqlRemediationStore

__all__ = [
    "open_alert_store",
    "open_remediation_store",
    "open_store_at",
]

_Store = TypeVar("_Store")


@contextlib.asynccontextmanager
async def open_remediation_store(
    database_url: str | None,
    timeouts: DatabaseTimeouts | None = None,
    *,
    persistent: bool = True,
) -> AsyncIterator[SqlRemediationStore]:
    """The store at ``database_url`` (``DATABASE_URL``), else the embedded SQLite file.

    With ``persistent=False`` and no URL (nothing in the policy can ever run), a throw-away
    SQLite file in a temp dir is used instead, opened at its first use, so a plain console
    session leaves no database behind.
    """
    at = functools.partial(open_store_at, timeouts=timeouts or DatabaseTimeouts())
    async with _opened(at, database_url, persistent, "smartcloudops-", "audit.db") as store:
        yield store


@contextlib.asynccontextmanager
async def open_store_at(
    url: str, timeouts: DatabaseTimeouts | None = None
) -> AsyncIterator[SqlRemediationStore]:
    """Migrate the database at ``url`` and yield a store on it, every call bounded by
    ``timeouts`` (a hung database refuses in time instead of running later)."""
    from storage.sql.engine import migrated_engine
    from storage.sql.store import SqlRemediationStore

    timeouts = timeouts or DatabaseTimeouts()
    async with migrated_engine(url, timeouts) as engine:
        store = SqlRemediationStore(engine, timeout=timeouts.timeout_seconds)
        try:
            yield store
        finally:
            await store.bound.settle(within=timeouts.timeout_seconds)


@contextlib.asynccontextmanager
async def open_alert_store(
    database_url: str | None,
    timeouts: DatabaseTimeouts | None = None,
    *,
    persistent: bool = True,
) -> AsyncIterator[SqlAlertStore]:
    """The store at ``database_url``, else the embedded SQLite file (or, with
    ``persistent=False`` and no URL, a throw-away one opened at its first use)."""
    at = functools.partial(_alert_store_at, timeouts=timeouts or DatabaseTimeouts())
    async with _opened(at, database_url, persistent, "smartcloudops-alerts-", "alerts.db") as store:
        yield store


@contextlib.asynccontextmanager
async def _alert_store_at(url: str, timeouts: DatabaseTimeouts) -> AsyncIterator[SqlAlertStore]:
    from storage.sql.alert_store import open_alert_store_at

    async with open_alert_store_at(url, timeouts) as store:
        yield store


@contextlib.asynccontextmanager
async def _opened(
    open_at: Callable[[str], contextlib.AbstractAsyncContextManager[_Store]],
    database_url: str | None,
    persistent: bool,
    prefix: str,
    filename: str,
) -> AsyncIterator[_Store]:
    """The store ``open_at`` opens at ``database_url`` or the embedded SQLite file; with
    ``persistent=False`` and no URL, on a throw-away file opened at its first use."""
    if database_url or persistent:
        async with open_at(_database_url(database_url)) as store:
            yield store
        return
    opener = functools.partial(_throwaway, open_at, prefix, filename)
    async with open_on_first_use(opener) as deferred:
        yield cast("_Store", deferred)


@contextlib.asynccontextmanager
async def _throwaway(
    open_at: Callable[[str], contextlib.AbstractAsyncContextManager[_Store]],
    prefix: str,
    filename: str,
) -> AsyncIterator[_Store]:
    """A store from ``open_at`` on a new SQLite file, deleted with its temp dir on exit."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        async with open_at(f"sqlite+aiosqlite:///{Path(directory) / filename}") as store:
            yield store


def _database_url(configured: str | None) -> str:
    from storage.sql.engine import database_url

    return database_url(configured)
