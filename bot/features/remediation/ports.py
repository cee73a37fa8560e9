"""The remediation flow's ports: where requests, approvals, executions and audit events are
kept, and who carries an operation out.

Every store method that changes state writes its audit event in the same transaction, so a
change without its audit row cannot happen: when the audit row cannot be written the method
raises :class:`bot.core.errors.DependencyError` and nothing changed (fail closed). Implementations:
:class:`storage.sql.SqlRemediationStore` (PostgreSQL or SQLite) and the executors in
``adapters/executors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.features.remediation.model import (
    Actor,
    AuditEvent,
    AuditQuery,
    ExecutionResult,
    Operation,
    Plan,
    RequestDraft,
    RequestStatus,
    StoredRequest,
    Tally,
)


class RequestStore(Protocol):
    """Pending requests and their approvals."""

    async def create(
        self, draft: RequestDraft, event: AuditEvent, also: Sequence[AuditEvent] = ()
    ) -> StoredRequest:
        """Store a new pending request, ``event`` and then the events in ``also`` (the
        reason given with the request), all in one transaction; the store assigns the id,
        which is then filled into every event."""
        ...

    async def get(self, request_id: int, scope: str) -> StoredRequest | None:
        """Request ``request_id`` if it was made in ``scope``; None otherwise, so a request
        number from another workspace or tenant finds nothing."""
        ...

    async def approve(self, request_id: int, approver: Actor, event: AuditEvent) -> Tally:
        """Record ``approver``'s approval once (a second approval by the same principal is
        not stored and ``event`` is not written); return the distinct approvers."""
        ...

    async def close(self, request_id: int, status: RequestStatus, event: AuditEvent) -> bool:
        """Move a *pending* request to ``status`` (denied or expired). False, with nothing
        written, if it was no longer pending."""
        ...


class ExecutionLedger(Protocol):
    """Decides, across every replica, that a request executes exactly once."""

    async def claim(self, request_id: int, key: str, now: datetime, event: AuditEvent) -> bool:
        """Claim the single execution of a pending, unexpired request under the unique
        idempotency ``key``. True for exactly one caller ever; False for every other (the
        key exists, or the request is no longer pending or has expired)."""
        ...

    async def finish(
        self, request_id: int, key: str, result: ExecutionResult, event: AuditEvent
    ) -> None:
        """Record the outcome of the execution claimed under ``key``."""
        ...


class AuditLog(Protocol):
    """The append-only record that answers "who restarted payments today?"."""

    async def record(self, event: AuditEvent) -> None: ...

    async def events(self, query: AuditQuery) -> list[AuditEvent]:
        """Events matching ``query``, newest first, only of ``query.scope`` when it is set."""
        ...


class ActivityLog(Protocol):
    """What cooldowns and rate limits are computed from."""

    async def last_execution_at(self, action: str, target: str) -> datetime | None:
        """When ``action`` last started on ``target`` (any outcome), or None."""
        ...

    async def request_times(self, requester: str, action: str, since: datetime) -> list[datetime]:
        """Creation times of ``requester``'s ``action`` requests since ``since``, oldest first."""
        ...


class RemediationStore(RequestStore, ExecutionLedger, AuditLog, ActivityLog, Protocol):
    """Everything the flow keeps, in one database so changes and audit rows share a
    transaction."""


class ActionExecutor(Protocol):
    """Carries an operation out (Kubernetes, a signed webhook, a local runbook).

    ``plan`` is the dry run and must not change anything (Kubernetes: only GETs). ``execute``
    returns a failed :class:`ExecutionResult` when the operation was refused or failed, and
    raises :class:`bot.core.errors.DependencyError` when the backend could not be reached.
    """

    async def plan(self, operation: Operation) -> Plan: ...

    async def execute(self, operation: Operation) -> ExecutionResult: ...


class OutcomeTelemetry(Protocol):
    """Where the flow reports how requests end: ``executed``, ``failed`` (ran and failed),
    ``refused`` (by the policy, with the refusal audited), ``denied``, ``expired``.
    Implementation: :class:`bot.core.telemetry.Telemetry` (a Prometheus counter)."""

    def remediation_outcome(self, outcome: str) -> None: ...


class Uncounted:
    """An :class:`OutcomeTelemetry` that counts nothing (test rigs built by hand)."""

    def remediation_outcome(self, outcome: str) -> None:
        """Nothing to count."""
