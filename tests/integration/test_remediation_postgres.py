"""The remediation flow on a real PostgreSQL 15 (started by the harness): the whole flow
contract, a thousand concurrent approvals on two replicas, concurrent migrations, and
failing closed when the database is gone."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from bot.errors import DependencyError
from storage.migrations import upgrade_url
from storage.sql.engine import sync_url
from storage.sql.models import Base
from tests.harness.postgres import PostgresServer
from tests.harness.require import free_port
from tests.unit.test_remediation_flow import (
    APPROVER_1,
    REQUESTER,
    FakeClock,
    RemediationFlowContract,
    build_world,
)

pytestmark = pytest.mark.integration

TEMPLATE = "sco_remediation_template"


@pytest.fixture(scope="session")
def migrated_template(postgres_server: PostgresServer) -> str:
    """A database migrated to head, copied for each test (CREATE DATABASE ... TEMPLATE)."""
    upgrade_url(postgres_server.create_database(TEMPLATE))
    return TEMPLATE


@pytest.fixture
def fresh_database(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


class TestPostgresFlow(RemediationFlowContract):
    """The flow contract on PostgreSQL, with a thousand concurrent approvals."""

    concurrent_approvals = 1000

    @pytest.fixture
    def database_url(
        self, postgres_server: PostgresServer, migrated_template: str
    ) -> Iterator[str]:
        name = f"t_{uuid.uuid4().hex[:12]}"
        yield postgres_server.create_database(name, template=migrated_template)
        postgres_server.drop_database(name)


async def test_replicas_starting_together_migrate_once(fresh_database: str) -> None:
    """Two processes upgrading at once take turns on the advisory lock; both succeed and
    the schema matches the models."""
    code = "import sys; from storage.migrations import upgrade_url; upgrade_url(sys.argv[1])"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, fresh_database, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    errors = [(await p.communicate())[1].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    engine = create_engine(sync_url(fresh_database))
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert "remediation_executions" in inspect(conn).get_table_names()
    engine.dispose()


async def test_nothing_runs_while_the_database_is_down() -> None:
    """With PostgreSQL unreachable, requests and approvals fail closed as a dependency."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone?connect_timeout=2"
    world = build_world(url, FakeClock())
    try:
        with pytest.raises(DependencyError) as request_error:
            await world.service.request(REQUESTER, "restart", "payments")
        with pytest.raises(DependencyError):
            await world.service.approve(APPROVER_1, 1)
    finally:
        await world.store.engine.dispose()
    assert request_error.value.dependency == "database"
    assert world.executor.executions == []
