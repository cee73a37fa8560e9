"""Alembic environment: runs the migrations online against ``config.attributes["url"]``.

On PostgreSQL the run holds a transaction-scoped advisory lock, so replicas that start
together migrate one after another (the later ones find the schema current).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from storage.sql.schema import every_table

MIGRATION_LOCK_ID = 7_307_001


def run_migrations_online() -> None:
    url = str(context.config.attributes["url"])
    connect_args = dict(context.config.attributes.get("connect_args") or {})
    engine = create_engine(url, poolclass=pool.NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
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
