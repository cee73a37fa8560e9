"""Schema migrations (Alembic), shipped inside the package in ``storage/alembic``.

``smartcloudops migrate`` calls :func:`upgrade`; the composition root calls it too at start-up
(migrations are idempotent, and on PostgreSQL an advisory lock makes concurrent replicas take
turns). Migrations run on a blocking engine: call them from a worker thread in async code.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings, redact_url
from bot.errors import DependencyError
from storage.sql.engine import database_url, sync_url

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = Path(__file__).with_name("alembic")
_ALEMBIC_LOCK = threading.Lock()


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the configured database (the embedded SQLite file by default) to ``revision``."""
    upgrade_url(database_url(settings), revision)


def upgrade_url(url: str, revision: str = "head", *, quiet: bool = False) -> None:
    """Bring the database at ``url`` (async or sync spelling) to ``revision``.

    Alembic keeps its running context in module globals, so runs within one process are
    serialised here; across processes the database lock in ``env.py`` does it. ``quiet``
    keeps Alembic's progress lines out of a chat session's log."""
    from sqlalchemy.exc import DBAPIError

    with _ALEMBIC_LOCK, _quiet_alembic(quiet):
        from alembic import command

        try:
            command.upgrade(alembic_config(url), revision)
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


def alembic_config(url: str) -> Config:
    """An Alembic configuration without an ini file. The URL travels in ``attributes`` (not
    the ini options) so a password with ``%`` in it is not taken for interpolation."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["url"] = sync_url(url)
    return config


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
