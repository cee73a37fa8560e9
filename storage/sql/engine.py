"""Database URLs and engines: PostgreSQL through psycopg in production, SQLite (aiosqlite) as
the embedded default.

``DATABASE_URL`` may be written as ``postgresql://...`` or ``sqlite:///path``; the driver is
chosen here. SQLite transactions begin with ``BEGIN IMMEDIATE`` so concurrent writers queue
on the busy timeout instead of failing with "database is locked" halfway through.

Every engine carries the driver-level bounds of :class:`~storage.sql.timeouts.DatabaseTimeouts`:
libpq's ``connect_timeout``, a server-side ``statement_timeout``, the pool's wait (and
SQLite's busy timeout). The stores add the bound on a whole call (:mod:`storage.sql.bounded`),
which holds even when the server hangs and answers nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.core.errors import ConfigError
from bot.core.redact import redact_url
from storage.sql.timeouts import DatabaseTimeouts

#: libpq rounds ``connect_timeout`` to whole seconds and treats 1 as 2.
MIN_CONNECT_TIMEOUT = 2
_ASYNC_DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


def default_sqlite_path() -> Path:
    """Where the embedded database lives: ``$XDG_DATA_HOME/smartcloudops`` (or
    ``~/.local/share/smartcloudops``), so console sessions share one audit log."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "smartcloudops" / "smartcloudops.db"


def database_url(configured: str | None) -> str:
    """The async URL for ``configured`` (``DATABASE_URL``); the embedded SQLite file when
    none is configured."""
    if configured:
        return async_url(configured)
    path = default_sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{path}"


def async_url(url: str) -> str:
    """``url`` with the async driver this project uses for its backend; a
    :class:`~bot.core.errors.ConfigError` naming ``DATABASE_URL`` for anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {redact_url(url)!r}") from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ConfigError(
            f"DATABASE_URL names an unsupported database or driver {parsed.drivername!r}; "
            "use postgresql:// (psycopg) or sqlite:///"
        )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The blocking twin of an async URL, for Alembic (psycopg serves both)."""
    parsed = make_url(async_url(url))
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, pool_size: int = 10, timeouts: DatabaseTimeouts | None = None
) -> AsyncEngine:
    """An async engine for ``url`` with the driver-level bounds of ``timeouts``. Nothing
    connects until first use."""
    url = async_url(url)
    timeouts = timeouts or DatabaseTimeouts()
    if is_sqlite(url):
        busy = {"timeout": timeouts.statement_timeout_seconds}
        engine = create_async_engine(url, connect_args=busy)
        _serialise_sqlite_writers(engine)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=timeouts.pool_timeout_seconds,
        connect_args=postgres_connect_args(url, timeouts),
    )


def postgres_connect_args(url: str, timeouts: DatabaseTimeouts) -> dict[str, Any]:
    """psycopg's connection arguments for the bounds: ``connect_timeout``, and the
    server-side ``statement_timeout`` added to any ``options`` the URL already has."""
    statement_ms = max(1, round(timeouts.statement_timeout_seconds * 1000))
    options = make_url(url).query.get("options")
    given = " ".join(options) if isinstance(options, tuple) else (options or "")
    return {
        "connect_timeout": max(MIN_CONNECT_TIMEOUT, math.ceil(timeouts.connect_timeout_seconds)),
        "options": f"{given} -c statement_timeout={statement_ms}".strip(),
    }


@contextlib.asynccontextmanager
async def migrated_engine(
    url: str, timeouts: DatabaseTimeouts | None = None
) -> AsyncIterator[AsyncEngine]:
    """Migrate the database at ``url`` to the current revision (in a worker thread: Alembic
    blocks) and yield an engine on it, disposed of on exit."""
    from storage.migrations import upgrade_url  # it imports this module

    await asyncio.to_thread(functools.partial(upgrade_url, url, quiet=True, timeouts=timeouts))
    engine = create_engine(url, timeouts=timeouts)
    try:
        yield engine
    finally:
        await engine.dispose()


def _serialise_sqlite_writers(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
