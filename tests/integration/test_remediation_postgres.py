"""The remediation flow on a real PostgreSQL 15 (started by the harness): the whole flow
contract, a thousand concurrent approvals on two replicas, concurrent migrations, and
failing closed when the database is gone or hangs."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot.core.errors import DependencyError
from storage.migrations import upgrade_url
from storage.sql.engine import sync_url
from storage.sql.models import AuditRow, ExecutionRow, RequestRow
from storage.sql.schema import every_table
from storage.sql.timeouts import DatabaseTimeouts
from tests.harness.postgres import PostgresServer
from tests.harness.require import free_port
from tests.unit.test_remediation_flow import (
    APPROVER_1,
    REQUESTER,
    FakeClock,
    RemediationFlowContract,
    World,
    build_world,
)
from tests.unit.test_remediation_storage import (
    check_rows_before_scopes_are_in_no_chat_scope,
    write_rows_before_scopes,
)

pytestmark = pytest.mark.integration


class TestPostgresFlow(RemediationFlowContract):
    """The flow contract on PostgreSQL, with a thousand concurrent approvals."""

    concurrent_approvals = 1000

    @pytest.fixture
    def database_url(self, migrated_database: str) -> str:
        return migrated_database


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
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), every_table()) == []
            assert "remediation_executions" in inspect(conn).get_table_names()
    finally:
        engine.dispose()


async def test_rows_from_before_scopes_are_out_of_every_chat_scope(fresh_database: str) -> None:
    """Migration 0003 on PostgreSQL: a request and an audit row written under 0002 get the
    empty scope, so no chat user finds or reads them."""
    await asyncio.to_thread(write_rows_before_scopes, fresh_database)
    await check_rows_before_scopes_are_in_no_chat_scope(fresh_database)


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


BOUND = 1.5
BOUNDED = DatabaseTimeouts(timeout_seconds=BOUND, connect_timeout_seconds=2,
                           statement_timeout_seconds=BOUND, pool_timeout_seconds=BOUND)  # fmt: skip


async def answers_again(world: World) -> None:
    """Wait (bounded) until the resumed server answers this engine again."""
    deadline = time.monotonic() + 60
    while True:
        try:
            async with world.store.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_a_hung_database_refuses_the_request_in_time_and_nothing_runs_later(
    postgres_server: PostgresServer, migrated_database: str
) -> None:
    """PostgreSQL hangs (every process SIGSTOPped) under a running bot: an action that needs
    no approval is refused within the call bound, naming the database; once the server is
    resumed (SIGCONT) nothing has run and nothing was recorded."""
    world = build_world(migrated_database, FakeClock(), timeouts=BOUNDED)
    try:
        await world.store.ping()  # a pooled connection, as on a server that has been up
        with postgres_server.frozen():
            asked = world.service.request(REQUESTER, "flush-cache", "payments")
            request = asyncio.create_task(asked)
            started = time.monotonic()
            done, _ = await asyncio.wait({request}, timeout=BOUND + 5)
            waited = time.monotonic() - started
        outcome = (await asyncio.gather(request, return_exceptions=True))[0]
        await world.store.bound.settle(within=60)
        await answers_again(world)
        counts = [await world.count(row) for row in (RequestRow, ExecutionRow, AuditRow)]
    finally:
        await world.store.engine.dispose()
    assert done, f"still waiting {waited:.1f}s into the hang"
    assert waited < BOUND + 2.0, f"refused only after {waited:.1f}s"
    assert isinstance(outcome, DependencyError), outcome
    assert outcome.dependency == "database"
    assert "remediation database did not answer" in outcome.message
    assert world.executor.executions == []
    assert counts == [0, 0, 0]


async def test_a_migration_against_a_hung_database_gives_up_after_the_connect_timeout(
    postgres_server: PostgresServer, migrated_database: str
) -> None:
    """Start-up migrates first: with the server hung it fails after the connect timeout
    (5 s by default) with an error naming the database, instead of waiting for it."""
    with postgres_server.frozen():
        migrating = asyncio.create_task(asyncio.to_thread(upgrade_url, migrated_database))
        started = time.monotonic()
        done, _ = await asyncio.wait({migrating}, timeout=15)
        waited = time.monotonic() - started
    outcome = (await asyncio.gather(migrating, return_exceptions=True))[0]
    assert done, f"still migrating {waited:.1f}s into the hang"
    assert isinstance(outcome, DependencyError), outcome
    assert outcome.message.startswith("Cannot migrate the database at ")
    assert "timeout" in outcome.message
