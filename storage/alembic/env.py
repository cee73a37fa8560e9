"""Alembic environment: runs the migrations online against ``config.attributes["url"]``.

On PostgreSQL the run holds a transaction-scoped advisory lock, so replicas that start
together migrate one after another (the later ones find the schema current). A SQLite file
is switched to WAL here, before any engine uses it (see :func:`_use_wal`).
"""

from __future__ import annotations

import time

from alembic import context
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.exc import OperationalError

from storage.sql.schema import every_table

MIGRATION_LOCK_ID = 7_307_001
#: How long a WAL switch waits for another process that has the file open.
WAL_SWITCH_SECONDS = 5.0


def _use_wal(connection: Connection) -> None:
    """Put the SQLite file in WAL mode (it stays so). Every engine also asks for WAL when it
    connects, but on a file still in the default journal mode those first connections race
    to switch it, and SQLite refuses a switch at once ("database is locked") when another
    connection is in the file: its busy wait does not apply. Switched here, on the one
    migration connection before the engines start, their requests find WAL and do nothing.
    Another process that has the file open is waited for, within a bound."""
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while True:
        try:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        except OperationalError as exc:
            if "locked" not in str(exc.orig) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
        else:
            # End the transaction SQLAlchemy began for the pragma: left open, Alembic would
            # take the migration for part of it and never commit the migration.
            connection.commit()
            return


def run_migrations_online() -> None:
    url = str(context.config.attributes["url"])
    connect_args = dict(context.config.attributes.get("connect_args") or {})
    engine = create_engine(url, poolclass=pool.NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                _use_wal(connection)
            context.configure(
                connection=connection,
                target_metadata=every_table(),
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations_online()
