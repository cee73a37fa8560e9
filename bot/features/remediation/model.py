"""Values of the remediation flow: who asks, what runs, what was stored and what the audit
log says. All frozen; the stores, executors and handlers exchange only these."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.model import IncomingMessage


class RequestStatus(enum.StrEnum):
    """A request's life: ``pending`` until approved, denied or expired; ``executing`` from the
    moment one approval claims the execution; ``succeeded``/``failed`` when it is done."""

    PENDING = "pending"
    DENIED = "denied"
    EXPIRED = "expired"
    EXECUTING = "executing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class AuditKind(enum.StrEnum):
    """What an audit event records."""

    REQUESTED = "requested"
    REFUSED = "refused"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    EXECUTION_STARTED = "execution_started"
    EXECUTED = "executed"
    FAILED = "failed"
    REASON = "reason"
    """Why a request was made, in someone's words (``detail`` holds them)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """A person acting in chat, by immutable platform ids.

    ``principal`` is ``platform:user_id`` (``slack:U123``, ``teams:<aad-object-id>``,
    ``console:alice``) and is what roles grant; ``channel`` is ``platform:channel_id``.
    ``scope`` is where the actor's requests and audit events are visible (see
    :func:`scope_of`). ``name`` is for display only and never decides anything.
    """

    principal: str
    name: str
    channel: str
    scope: str
    is_direct: bool = False

    @classmethod
    def from_message(cls, message: IncomingMessage) -> Actor:
        return cls(
            principal=f"{message.platform}:{message.user_id}",
            name=message.user_name or message.user_id,
            channel=f"{message.platform}:{message.channel_id}",
            scope=scope_of(message),
            is_direct=message.is_direct,
        )


def scope_of(message: IncomingMessage) -> str:
    """The platform and tenant a message comes from (``slack:T0123``, ``teams:<tenant>``,
    ``discord:<guild>``): request numbers and the audit log are only visible within it, so
    ``approve 12`` from another workspace finds nothing. A message without a tenant (a
    Discord direct message) is scoped to its sender alone (``discord:user:<id>``)."""
    if message.tenant_id:
        return f"{message.platform}:{_escaped(message.tenant_id)}"
    return f"{message.platform}:user:{_escaped(message.user_id)}"


def _escaped(part: str) -> str:
    return part.replace("%", "%25").replace(":", "%3A")


@dataclass(frozen=True, slots=True)
class Operation:
    """What an executor is asked to plan or run.

    ``kind`` is the executor-level operation (``restart``, ``scale``, ``rollback`` or ``run``
    for a runbook); ``command`` is a runbook's argv template from the policy. ``target`` has
    already been validated against the policy and the plain-name rule.
    """

    action: str
    kind: str
    target: str
    replicas: int | None = None
    command: tuple[str, ...] = ()
    request_id: int | None = None

    @property
    def canonical(self) -> str:
        return canonical_command(self.action, self.target, self.replicas)

    @property
    def idempotency_key(self) -> str | None:
        return None if self.request_id is None else execution_key(self.request_id)


def canonical_command(action: str, target: str, replicas: int | None) -> str:
    """The one spelling of a request, as shown to people and stored in the audit log."""
    if replicas is not None:
        return f"{action} {target} to {replicas}"
    return f"{action} {target}"


def execution_key(request_id: int) -> str:
    """The idempotency key whose unique constraint lets exactly one execution happen."""
    return f"remediation-request-{request_id}"


@dataclass(frozen=True, slots=True)
class Plan:
    """A dry run: what would change, learned without changing anything.

    ``current_replicas`` is set by executors that can read it, so the policy can bound the
    size of a change (e.g. at most +-50 %).
    """

    summary: str
    steps: tuple[str, ...] = ()
    current_replicas: int | None = None


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """What an execution did. ``output`` is already truncated by the executor."""

    ok: bool
    summary: str
    output: str = ""


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """A request that passed the policy, before the store gives it an id."""

    action: str
    target: str
    replicas: int | None
    requester: Actor
    approvals_required: int
    created_at: datetime
    expires_at: datetime
    dry_run: str

    @property
    def canonical(self) -> str:
        return canonical_command(self.action, self.target, self.replicas)


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request as the store holds it."""

    id: int
    action: str
    target: str
    replicas: int | None
    requester: str
    requester_name: str
    channel: str
    scope: str
    approvals_required: int
    status: RequestStatus
    created_at: datetime
    expires_at: datetime
    dry_run: str

    @property
    def canonical(self) -> str:
        return canonical_command(self.action, self.target, self.replicas)


@dataclass(frozen=True, slots=True)
class Tally:
    """The distinct approvers of a request, and whether this call added one."""

    approvers: frozenset[str]
    added: bool


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One line of the audit log. ``request_id`` is None for refusals before a request;
    ``scope`` is the actor's (:func:`scope_of`), where the event is visible;
    ``correlation_id`` is the turn's (the ``ref`` of the reply, on its log lines too)."""

    at: datetime
    kind: AuditKind
    actor: str
    actor_name: str
    action: str
    target: str
    scope: str
    detail: str = ""
    request_id: int | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """A filter over the audit log, newest first. ``scope`` is required: the one scope to
    read (a chat user's own), or None for every scope, which only the operator's own
    configuration (a scheduled digest) may ask for."""

    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    target: str | None = None
    kinds: tuple[AuditKind, ...] = ()
    limit: int = 20
    request_id: int | None = None
    scope: str | None = field(kw_only=True)


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(at: datetime) -> str:
    """How times are shown in chat: unambiguous, in UTC."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
