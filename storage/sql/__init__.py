"""SQL storage (SQLAlchemy 2, async): the remediation store and its engine.

:func:`open_remediation_store` is what the composition root uses: it migrates the schema to
the current revision (idempotent; replicas take turns on PostgreSQL), yields the store, and
disposes of the engine on exit.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from bot.config import DatabaseTimeouts, Settings
from storage.sql import alerts as _alert_tables  # noqa: F401 - alert tables on Base.metadata
from storage.sql.engine import database_url, migrated_engine
from storage.sql.store import SqlRemediationStore

__all__ = ["SqlRemediationStore", "open_remediation_store", "open_store_at"]


@contextlib.asynccontextmanager
async def open_remediation_store(
    settings: Settings, *, persistent: bool = True
) -> AsyncIterator[SqlRemediationStore]:
    """The store for ``settings``: ``DATABASE_URL``, else the embedded SQLite file.

    With ``persistent=False`` and no ``DATABASE_URL`` (nothing in the policy can ever run),
    a throw-away SQLite file in a temp dir is used instead, so a plain console session
    leaves no database behind.
    """
    timeouts = settings.file.database
    if settings.database_url or persistent:
        async with open_store_at(database_url(settings), timeouts) as store:
            yield store
        return
    with tempfile.TemporaryDirectory(prefix="smartcloudops-") as directory:
        path = Path(directory) / "audit.db"
        async with open_store_at(f"sqlite+aiosqlite:///{path}", timeouts) as store:
            yield store


@contextlib.asynccontextmanager
async def open_store_at(
    url: str, timeouts: DatabaseTimeouts | None = None
) -> AsyncIterator[SqlRemediationStore]:
    """Migrate the database at ``url`` and yield a store on it, bounded by ``timeouts``."""
    timeouts = timeouts or DatabaseTimeouts()
    async with migrated_engine(url, timeouts) as engine:
        store = SqlRemediationStore(engine, timeout=timeouts.timeout_seconds)
        try:
            yield store
        finally:
            await store.bound.settle(within=timeouts.timeout_seconds)
