"""Schema migrations (Alembic), shipped inside the package in ``storage/alembic``.

``smartcloudops migrate`` calls :func:`upgrade`; the composition root calls it too at start-up
(migrations are idempotent, and on PostgreSQL an advisory lock makes concurrent replicas take
turns). Migrations run on a blocking engine: call them from a worker thread in async code.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.errors import DependencyError
from bot.core.redact import redact_url
from storage.sql.engine import MIN_CONNECT_TIMEOUT, database_url, is_sqlite, sync_url
from storage.sql.timeouts import DatabaseTimeouts

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = Path(__file__).with_name("alembic")
_ALEMBIC_LOCK = threading.Lock()


def upgrade(
    configured: str | None, revision: str = "head", *, timeouts: DatabaseTimeouts | None = None
) -> None:
    """Bring the database at ``configured`` (``DATABASE_URL``; the embedded SQLite file when
    ``None``) to ``revision``."""
    upgrade_url(database_url(configured), revision, timeouts=timeouts)


def upgrade_url(
    url: str,
    revision: str = "head",
    *,
    quiet: bool = False,
    timeouts: DatabaseTimeouts | None = None,
) -> None:
    """Bring the database at ``url`` (async or sync spelling) to ``revision``.

    Alembic keeps its running context in module globals, so runs within one process are
    serialised here; across processes the database lock in ``env.py`` does it. ``quiet``
    keeps Alembic's progress lines out of a chat session's log. Connecting is bounded by
    ``timeouts`` (a hung server fails start-up instead of stalling it); statements are
    not, since a migration may rightly take long."""
    from sqlalchemy.exc import DBAPIError

    with _ALEMBIC_LOCK, _quiet_alembic(quiet):
        from alembic import command

        try:
            command.upgrade(alembic_config(url, timeouts), revision)
        except (DBAPIError, OSError) as exc:
            raise DependencyError("database", _unreachable(url, exc)) from exc


def _unreachable(url: str, exc: BaseException) -> str:
    """A one-line reason without credentials: the driver's first line, URL redacted."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = detail[0] if detail else type(exc).__name__
    return (
        f"Cannot migrate the database at {redact_url(url)}: {reason}. "
        "Check DATABASE_URL and that the database is up."
    )


def alembic_config(url: str, timeouts: DatabaseTimeouts | None = None) -> Config:
    """An Alembic configuration without an ini file. The URL travels in ``attributes`` (not
    the ini options) so a password with ``%`` in it is not taken for interpolation; so do
    the driver's connection arguments (``env.py`` reads both)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["url"] = sync_url(url)
    config.attributes["connect_args"] = migration_connect_args(url, timeouts)
    return config


def migration_connect_args(url: str, timeouts: DatabaseTimeouts | None) -> dict[str, int]:
    """PostgreSQL's ``connect_timeout`` for a migration (SQLite connects locally)."""
    if is_sqlite(url):
        return {}
    seconds = (timeouts or DatabaseTimeouts()).connect_timeout_seconds
    return {"connect_timeout": max(MIN_CONNECT_TIMEOUT, math.ceil(seconds))}


@contextlib.contextmanager
def _quiet_alembic(quiet: bool) -> Iterator[None]:
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    if quiet:
        alembic_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_log.setLevel(level)
