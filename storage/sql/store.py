"""The remediation store on SQL (PostgreSQL or SQLite): requests, approvals, executions and
the audit log in one database, so every state change and its audit row commit together.

Exactly once: :meth:`SqlRemediationStore.claim` inserts the execution row under a unique
idempotency key and moves the request from ``pending`` to ``executing`` in one transaction;
a second claimant hits the unique constraint (or finds the request no longer pending) and
gets False. Any other integrity failure in that transaction (the audit row was refused) is a
``DependencyError``, never a silent "someone else has it". Driver errors become
:class:`~bot.core.errors.DependencyError` too, so the caller fails closed: no row, no execution.

Every call is bounded (:mod:`storage.sql.bounded`): a call the database does not answer within
``timeout`` seconds raises ``DependencyError`` naming the database, and is abandoned, so a
request that could not be recorded in time is refused and never runs when the database
comes back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.errors import DependencyError
from bot.features.remediation.model import (
    Actor,
    AuditEvent,
    AuditKind,
    AuditQuery,
    ExecutionResult,
    RequestDraft,
    RequestStatus,
    StoredRequest,
    Tally,
)
from storage.sql.bounded import DEPENDENCY, SqlStore, bounded
from storage.sql.models import ApprovalRow, AuditRow, ExecutionRow, RequestRow
from storage.sql.timeouts import DatabaseTimeouts


class _NotClaimable(Exception):
    """Rolls a claim back when the request is no longer pending."""


class SqlRemediationStore(SqlStore):
    """Implements :class:`bot.features.remediation.ports.RemediationStore` on an async engine."""

    def __init__(
        self, engine: AsyncEngine, *, timeout: float = DatabaseTimeouts().timeout_seconds
    ) -> None:
        super().__init__(
            engine,
            timeout=timeout,
            what="remediation database",
            consequence="nothing was run or changed",
        )

    # ------------------------------------------------------------------ requests

    @bounded
    async def create(
        self, draft: RequestDraft, event: AuditEvent, also: Sequence[AuditEvent] = ()
    ) -> StoredRequest:
        values = {
            "action": draft.action,
            "target": draft.target,
            "replicas": draft.replicas,
            "requester": draft.requester.principal,
            "requester_name": draft.requester.name,
            "channel": draft.requester.channel,
            "scope": draft.requester.scope,
            "approvals_required": draft.approvals_required,
            "status": RequestStatus.PENDING.value,
            "created_at": draft.created_at,
            "expires_at": draft.expires_at,
            "dry_run": draft.dry_run,
        }
        async with self._begin() as conn:
            result = await conn.execute(insert(RequestRow).values(values).returning(RequestRow.id))
            request_id = int(result.scalar_one())
            for each in (event, *also):
                await _audit(conn, dataclasses.replace(each, request_id=request_id))
        return _request(request_id, values)

    @bounded
    async def get(self, request_id: int, scope: str) -> StoredRequest | None:
        statement = select(RequestRow.__table__).where(
            RequestRow.id == request_id, RequestRow.scope == scope
        )
        async with self._begin() as conn:
            row = (await conn.execute(statement)).mappings().first()
        return None if row is None else _request(int(row["id"]), row)

    @bounded
    async def approve(self, request_id: int, approver: Actor, event: AuditEvent) -> Tally:
        statement = self._insert_ignore(ApprovalRow).values(
            request_id=request_id,
            approver=approver.principal,
            approver_name=approver.name,
            approved_at=event.at,
        )
        async with self._begin() as conn:
            inserted = await conn.execute(statement.returning(ApprovalRow.id))
            added = inserted.first() is not None
            if added:
                await _audit(conn, event)
            rows = await conn.execute(
                select(ApprovalRow.approver).where(ApprovalRow.request_id == request_id)
            )
            approvers = frozenset(str(a) for a in rows.scalars())
        return Tally(approvers=approvers, added=added)

    @bounded
    async def close(self, request_id: int, status: RequestStatus, event: AuditEvent) -> bool:
        async with self._begin() as conn:
            result = await conn.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id)
                .where(RequestRow.status == RequestStatus.PENDING.value)
                .values(status=status.value)
            )
            if result.rowcount != 1:
                return False
            await _audit(conn, event)
        return True

    # ------------------------------------------------------------------ executions

    @bounded
    async def claim(self, request_id: int, key: str, now: datetime, event: AuditEvent) -> bool:
        try:
            async with self._begin(integrity_errors=True) as conn:
                await conn.execute(
                    insert(ExecutionRow).values(
                        request_id=request_id,
                        idempotency_key=key,
                        action=event.action,
                        target=event.target,
                        status="running",
                        started_at=now,
                        summary="",
                        output="",
                    )
                )
                moved = await conn.execute(
                    update(RequestRow)
                    .where(RequestRow.id == request_id)
                    .where(RequestRow.status == RequestStatus.PENDING.value)
                    .where(RequestRow.expires_at > now)
                    .values(status=RequestStatus.EXECUTING.value)
                )
                _require_one(moved.rowcount)
                await _audit(conn, event)
        except _NotClaimable:
            return False
        except IntegrityError as exc:
            if await self._execution_exists(key):
                return False
            raise DependencyError(DEPENDENCY, self._unavailable) from exc
        return True

    async def _execution_exists(self, key: str) -> bool:
        statement = select(ExecutionRow.id).where(ExecutionRow.idempotency_key == key)
        async with self._begin() as conn:
            return (await conn.execute(statement)).first() is not None

    @bounded
    async def finish(
        self, request_id: int, key: str, result: ExecutionResult, event: AuditEvent
    ) -> None:
        status = RequestStatus.SUCCEEDED if result.ok else RequestStatus.FAILED
        async with self._begin() as conn:
            await conn.execute(
                update(ExecutionRow)
                .where(ExecutionRow.idempotency_key == key)
                .values(
                    status=status.value,
                    finished_at=event.at,
                    summary=result.summary,
                    output=result.output,
                )
            )
            await conn.execute(
                update(RequestRow).where(RequestRow.id == request_id).values(status=status.value)
            )
            await _audit(conn, event)

    # ------------------------------------------------------------------ audit and activity

    @bounded
    async def record(self, event: AuditEvent) -> None:
        async with self._begin() as conn:
            await _audit(conn, event)

    @bounded
    async def events(self, query: AuditQuery) -> list[AuditEvent]:
        statement = select(AuditRow.__table__).order_by(AuditRow.at.desc(), AuditRow.id.desc())
        if query.scope is not None:
            statement = statement.where(AuditRow.scope == query.scope)
        if query.since is not None:
            statement = statement.where(AuditRow.at >= query.since)
        if query.until is not None:
            statement = statement.where(AuditRow.at < query.until)
        if query.action is not None:
            statement = statement.where(AuditRow.action == query.action)
        if query.target is not None:
            statement = statement.where(AuditRow.target == query.target)
        if query.request_id is not None:
            statement = statement.where(AuditRow.request_id == query.request_id)
        if query.kinds:
            statement = statement.where(AuditRow.kind.in_([k.value for k in query.kinds]))
        async with self._begin() as conn:
            rows = (await conn.execute(statement.limit(query.limit))).mappings().all()
        return [_event(row) for row in rows]

    @bounded
    async def last_execution_at(self, action: str, target: str) -> datetime | None:
        statement = select(func.max(ExecutionRow.started_at)).where(
            ExecutionRow.action == action, ExecutionRow.target == target
        )
        async with self._begin() as conn:
            return (await conn.execute(statement)).scalar_one_or_none()

    @bounded
    async def request_times(self, requester: str, action: str, since: datetime) -> list[datetime]:
        statement = (
            select(RequestRow.created_at)
            .where(RequestRow.requester == requester, RequestRow.action == action)
            .where(RequestRow.created_at >= since)
            .order_by(RequestRow.created_at)
        )
        async with self._begin() as conn:
            return [t for t in (await conn.execute(statement)).scalars() if t is not None]

    # ------------------------------------------------------------------ plumbing

    def _insert_ignore(self, row: type[ApprovalRow]) -> Any:
        return self._dialect.insert(row).on_conflict_do_nothing(
            index_elements=["request_id", "approver"]
        )


def _require_one(rowcount: int) -> None:
    if rowcount != 1:
        raise _NotClaimable


async def _audit(conn: AsyncConnection, event: AuditEvent) -> None:
    await conn.execute(
        insert(AuditRow).values(
            at=event.at,
            kind=event.kind.value,
            actor=event.actor,
            actor_name=event.actor_name,
            action=event.action,
            target=event.target,
            request_id=event.request_id,
            detail=event.detail,
            scope=event.scope,
            correlation_id=event.correlation_id,
        )
    )


def _request(request_id: int, row: Any) -> StoredRequest:
    return StoredRequest(
        id=request_id,
        action=str(row["action"]),
        target=str(row["target"]),
        replicas=row["replicas"],
        requester=str(row["requester"]),
        requester_name=str(row["requester_name"]),
        channel=str(row["channel"]),
        scope=str(row["scope"]),
        approvals_required=int(row["approvals_required"]),
        status=RequestStatus(row["status"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        dry_run=str(row["dry_run"]),
    )


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        at=row["at"],
        kind=AuditKind(row["kind"]),
        actor=str(row["actor"]),
        actor_name=str(row["actor_name"]),
        action=str(row["action"]),
        target=str(row["target"]),
        scope=str(row["scope"]),
        detail=str(row["detail"]),
        request_id=row["request_id"],
        correlation_id=row["correlation_id"],
    )
