"""The guarded remediation flow.

request -> policy check -> dry run (shown to the requester) -> stored pending request ->
approvals by distinct authorised people (the requester never counts) -> execution exactly once
-> result -> audit. Every refusal says why and is written to the audit log.

Exactly once across replicas: the execution is claimed in the database under a unique
idempotency key, together with its audit row, before the executor is called. If that write
fails, nothing runs (fail closed); if another approval claimed it first, this one does not run.

Every audit row carries the correlation id of the turn that wrote it, and every outcome
(executed, failed, refused, denied, expired) is reported to the telemetry port.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from bot.core.correlation import current_correlation_id
from bot.core.errors import ConfigError, DependencyError, InvalidInput, NotFoundError
from bot.features.metrics.targets import suggest
from bot.features.remediation import refusals
from bot.features.remediation.model import (
    Actor,
    AuditEvent,
    AuditKind,
    AuditQuery,
    ExecutionResult,
    Operation,
    Plan,
    RequestDraft,
    RequestStatus,
    StoredRequest,
    Tally,
    canonical_command,
    execution_key,
    utc_now,
)
from bot.features.remediation.policy import PLAIN_NAME, Action, Policy
from bot.features.remediation.ports import (
    ActionExecutor,
    OutcomeTelemetry,
    RemediationStore,
    Uncounted,
)
from bot.features.remediation.refusals import Reason, Refusal
from intents.reasons import REASON_LIMIT, neutral

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_AUDITED_TARGET_CHARS = 200
_REASONS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    """A stored request with its dry run; ``execution`` is set when no approval was needed."""

    request: StoredRequest
    plan: Plan
    approver_role: str
    execution: ExecutionResult | None = None


@dataclass(frozen=True, slots=True)
class ReasonOutcome:
    """A reason written to the audit log, and every reason the request now has, oldest
    first (what approvers are shown)."""

    request: StoredRequest
    reasons: tuple[AuditEvent, ...]


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    """An approval that counted (or had already counted), and the execution it triggered.

    ``execution`` is None while approvals are missing, and also when another approval
    (possibly on another replica) claimed the execution first: ``request.status`` says which.
    """

    request: StoredRequest
    tally: Tally
    approver_role: str
    execution: ExecutionResult | None = None


class RemediationService:
    """Applies a :class:`Policy` to requests, approvals and denials from chat."""

    def __init__(
        self,
        policy: Policy,
        store: RemediationStore,
        executors: Mapping[str, ActionExecutor],
        *,
        clock: Clock = utc_now,
        telemetry: OutcomeTelemetry | None = None,
    ) -> None:
        missing = sorted(set(policy.executors) - set(executors))
        if missing:
            raise ConfigError(f"policy.executors.{missing[0]}: no executor was built for it")
        self._policy = policy
        self._store = store
        self._executors = dict(executors)
        self._clock = clock
        self._telemetry = telemetry or Uncounted()

    @property
    def policy(self) -> Policy:
        return self._policy

    # ------------------------------------------------------------------ public flow

    async def request(
        self,
        actor: Actor,
        action: str,
        target: str | None,
        replicas: int | None = None,
        *,
        reason: str | None = None,
    ) -> RequestOutcome:
        """Check, dry-run and store a request; run it at once if it needs no approval.
        ``reason`` (said with the command) is written to the audit log with the request."""
        try:
            said = _said(reason)[:REASON_LIMIT]
            return await self._request(actor, action, target, replicas, said)
        except Refusal as refusal:
            await self._note_refusal(actor, action, target or "", None, refusal)
            raise

    async def approve(self, actor: Actor, request_id: int) -> ApprovalOutcome:
        """Count ``actor``'s approval; execute when enough distinct approvers agree. Only a
        request of ``actor``'s own scope (platform and tenant) can be found."""
        request = await self._load(request_id, actor.scope)
        try:
            return await self._approve(actor, request)
        except Refusal as refusal:
            await self._note_refusal(actor, request.action, request.target, request.id, refusal)
            raise

    async def deny(self, actor: Actor, request_id: int) -> StoredRequest:
        """Close a pending request (its requester may withdraw it; approvers may deny it)."""
        request = await self._load(request_id, actor.scope)
        try:
            return await self._deny(actor, request)
        except Refusal as refusal:
            await self._note_refusal(actor, request.action, request.target, request.id, refusal)
            raise

    async def add_reason(self, actor: Actor, request_id: int, text: str) -> ReasonOutcome:
        """Write why request ``request_id`` was made to the audit log, as ``actor``: its
        requester, or anyone who may request or approve its action. Only a request of the
        actor's own scope can be found; the reason is data, it changes nothing else."""
        said = _said(text)
        if not said:
            raise InvalidInput(f"What is the reason? Say `reason {request_id} <why>`.")
        if len(said) > REASON_LIMIT:
            raise InvalidInput(
                f"A reason can be at most {REASON_LIMIT} characters; this one has {len(said)}.",
                hint="Say it shorter, or add a second reason after the first.",
            )
        request = await self._load(request_id, actor.scope)
        try:
            self._check_may_explain(actor, request)
        except Refusal as refusal:
            await self._note_refusal(actor, request.action, request.target, request.id, refusal)
            raise
        event = self._event(
            AuditKind.REASON, actor, request.action, request.target, said, request.id
        )
        await self._store.record(event)
        return ReasonOutcome(request, await self.reasons(request))

    async def reasons(self, request: StoredRequest) -> tuple[AuditEvent, ...]:
        """The reasons given for ``request``, oldest first (at most the latest few)."""
        query = AuditQuery(
            kinds=(AuditKind.REASON,), request_id=request.id, limit=_REASONS_SHOWN,
            scope=request.scope,
        )  # fmt: skip
        return tuple(reversed(await self._store.events(query)))

    async def refuse_unsafe(self, actor: Actor, action: str, words: str) -> NoReturn:
        """Refuse (and audit) a request whose words carry shell or option syntax."""
        refusal = refusals.unsafe_words(words)
        await self._note_refusal(actor, action, words, None, refusal)
        raise refusal

    async def refuse_extra_words(
        self, actor: Actor, action: str, target: str, replicas: int | None, extra: str
    ) -> NoReturn:
        """Refuse (and audit) a request that says more than its one target, such as
        "restart web-1 and web-2": running only the part that was understood would leave
        the requester believing the rest was done."""
        refusal = refusals.one_target(canonical_command(action, target, replicas), extra)
        await self._note_refusal(actor, action, f"{target} {extra}", None, refusal)
        raise refusal

    async def refuse_relative_count(self, actor: Actor, target: str, words: str) -> NoReturn:
        """Refuse (and audit) "scale payments by 2": a change of the count, not the count."""
        refusal = refusals.relative_count(target)
        await self._note_refusal(actor, "scale", f"{target} {words}", None, refusal)
        raise refusal

    async def history(self, query: AuditQuery) -> list[AuditEvent]:
        """Audit events matching ``query`` (within its scope), newest first."""
        return await self._store.events(query)

    def now(self) -> datetime:
        return self._clock()

    # ------------------------------------------------------------------ request

    async def _request(
        self,
        actor: Actor,
        action: str,
        target: str | None,
        replicas: int | None,
        reason: str,
    ) -> RequestOutcome:
        spec = self._action(action)
        target = self._checked_target(action, spec, target)
        if actor.is_direct and not spec.allow_dm:
            raise refusals.direct_message(action)
        self._check_role(actor, spec.role, "request", action)
        replicas = self._checked_replicas(action, spec, target, replicas)
        now = self._clock()
        await self._check_rate(actor, action, spec, now)
        await self._check_cooldown(action, target, spec, now)
        operation = self._operation(action, target, replicas)
        plan = await self._executor(spec).plan(operation)
        self._check_change(spec, operation, plan)
        draft = RequestDraft(
            action=action,
            target=target,
            replicas=replicas,
            requester=actor,
            approvals_required=spec.approvals,
            created_at=now,
            expires_at=now + timedelta(seconds=spec.ttl_seconds),
            dry_run=_describe_plan(plan),
        )
        detail = f"dry run: {plan.summary}; needs {spec.approvals} approval(s)"
        also = (self._event(AuditKind.REASON, actor, action, target, reason),) if reason else ()
        stored = await self._store.create(
            draft, self._event(AuditKind.REQUESTED, actor, draft.action, target, detail), also
        )
        outcome = RequestOutcome(stored, plan, spec.approver)
        if spec.approvals > 0:
            return outcome
        execution = await self._execute(stored, spec, actor)
        return RequestOutcome(await self._reload(stored), plan, spec.approver, execution)

    def _action(self, action: str) -> Action:
        if not action:
            raise refusals.missing("action", "restart checkout-api")
        spec = self._policy.actions.get(action)
        if spec is None:
            raise refusals.unknown_action(action, sorted(self._policy.actions))
        return spec

    @staticmethod
    def _checked_target(action: str, spec: Action, target: str | None) -> str:
        if target is None or not target.strip():
            raise refusals.missing("target", f"{action} {_first_example(spec)}")
        if not PLAIN_NAME.fullmatch(target):
            raise refusals.unsafe_target(target)
        if not spec.targets.allows(target):
            close = tuple(suggest(target, spec.targets.names))
            raise refusals.unknown_target(action, target, spec.targets.describe(), close)
        return target

    def _check_may_explain(self, actor: Actor, request: StoredRequest) -> None:
        if actor.principal == request.requester:
            return
        spec = self._action(request.action)
        if not {spec.role, spec.approver} & set(self._policy.roles_of(actor)):
            raise refusals.not_allowed("give a reason for", request.action, spec.role)

    def _check_role(self, actor: Actor, role: str, verb: str, action: str) -> None:
        if role not in self._policy.roles_of(actor):
            raise refusals.not_allowed(verb, action, role)

    @staticmethod
    def _checked_replicas(
        action: str, spec: Action, target: str, replicas: int | None
    ) -> int | None:
        bounds = spec.replicas
        if bounds is None:
            return None
        if replicas is None:
            raise refusals.missing("replica count", f"{action} {target} to {bounds.min + 1}")
        if not bounds.min <= replicas <= bounds.max:
            raise refusals.out_of_bounds(
                f"{replicas} replicas is out of bounds for {action} ({bounds.min}..{bounds.max})."
            )
        return replicas

    @staticmethod
    def _check_change(spec: Action, operation: Operation, plan: Plan) -> None:
        bounds, current, wanted = spec.replicas, plan.current_replicas, operation.replicas
        if bounds is None or bounds.max_change_percent is None or wanted is None:
            return
        if not current:
            return
        change = abs(wanted - current) / current * 100
        if change > bounds.max_change_percent:
            raise refusals.out_of_bounds(
                f"{operation.action} {operation.target} from {current} to {wanted} replicas is "
                f"a {change:.0f}% change; the policy allows at most "
                f"{bounds.max_change_percent:g}% per change."
            )

    async def _check_rate(self, actor: Actor, action: str, spec: Action, now: datetime) -> None:
        limit = spec.rate_limit
        if limit is None:
            return
        window = timedelta(seconds=limit.per_seconds)
        times = await self._store.request_times(actor.principal, action, now - window)
        if len(times) >= limit.count:
            retry_at = times[len(times) - limit.count] + window
            raise refusals.rate_limited(action, limit.count, limit.per_seconds, retry_at)

    async def _check_cooldown(self, action: str, target: str, spec: Action, now: datetime) -> None:
        if spec.cooldown_seconds == 0:
            return
        last = await self._store.last_execution_at(action, target)
        if last is None:
            return
        until = last + timedelta(seconds=spec.cooldown_seconds)
        if until > now:
            raise refusals.cooldown(action, target, until)

    # ------------------------------------------------------------------ approve / deny

    async def _approve(self, actor: Actor, request: StoredRequest) -> ApprovalOutcome:
        spec = self._action(request.action)
        await self._check_open(actor, request)
        if actor.principal == request.requester:
            raise refusals.self_approval(request.id)
        self._check_role(actor, spec.approver, "approve", request.action)
        event = self._event(
            AuditKind.APPROVED, actor, request.action, request.target, "", request.id
        )
        tally = await self._store.approve(request.id, actor, event)
        execution = None
        if len(tally.approvers) >= request.approvals_required:
            execution = await self._execute(request, spec, actor)
        return ApprovalOutcome(await self._reload(request), tally, spec.approver, execution)

    async def _deny(self, actor: Actor, request: StoredRequest) -> StoredRequest:
        await self._check_open(actor, request)
        if actor.principal != request.requester:
            spec = self._action(request.action)
            self._check_role(actor, spec.approver, "deny", request.action)
        event = self._event(AuditKind.DENIED, actor, request.action, request.target, "", request.id)
        if not await self._store.close(request.id, RequestStatus.DENIED, event):
            latest = await self._reload(request)
            raise refusals.not_pending(request.id, latest.status)
        self._telemetry.remediation_outcome("denied")
        return await self._reload(request)

    async def _check_open(self, actor: Actor, request: StoredRequest) -> None:
        if request.status is RequestStatus.EXPIRED:
            raise refusals.expired(request.id, request.expires_at, request.canonical)
        if request.status is not RequestStatus.PENDING:
            raise refusals.not_pending(request.id, request.status)
        if self._clock() >= request.expires_at:
            detail = "expired before enough approvals"
            event = self._event(
                AuditKind.EXPIRED, actor, request.action, request.target, detail, request.id
            )
            if await self._store.close(request.id, RequestStatus.EXPIRED, event):
                self._telemetry.remediation_outcome("expired")
            raise refusals.expired(request.id, request.expires_at, request.canonical)

    async def _load(self, request_id: int, scope: str) -> StoredRequest:
        request = await self._store.get(request_id, scope)
        if request is None:
            raise NotFoundError(
                f"There is no request #{request_id} here.",
                hint="Requests are answered in the workspace, server or tenant they were made in.",
            )
        return request

    async def _reload(self, request: StoredRequest) -> StoredRequest:
        return await self._load(request.id, request.scope)

    # ------------------------------------------------------------------ execution

    async def _execute(
        self, request: StoredRequest, spec: Action, actor: Actor
    ) -> ExecutionResult | None:
        """Run ``request`` if this caller wins the claim; None if someone else did."""
        now = self._clock()
        await self._check_cooldown(request.action, request.target, spec, now)
        key = execution_key(request.id)
        started = self._event(
            AuditKind.EXECUTION_STARTED, actor, request.action, request.target,
            f"requested by {request.requester}", request.id,
        )  # fmt: skip
        if not await self._store.claim(request.id, key, now, started):
            return None
        operation = self._operation(request.action, request.target, request.replicas, request.id)
        result = await self._run(spec, operation)
        self._telemetry.remediation_outcome("executed" if result.ok else "failed")
        kind = AuditKind.EXECUTED if result.ok else AuditKind.FAILED
        finished = self._event(
            kind, actor, request.action, request.target, result.summary, request.id
        )
        try:
            await self._store.finish(request.id, key, result, finished)
        except DependencyError:
            log.exception("request #%s ran, but its result could not be recorded", request.id)
            note = " (it ran, but the result could not be written to the audit log)"
            return dataclasses.replace(result, summary=result.summary + note)
        return result

    async def _run(self, spec: Action, operation: Operation) -> ExecutionResult:
        try:
            return await self._executor(spec).execute(operation)
        except DependencyError as exc:
            return ExecutionResult(False, f"{exc.dependency} is unreachable: {exc.message}")
        except Exception:
            log.exception("executor %s crashed on %s", spec.executor, operation.canonical)
            return ExecutionResult(False, "the executor failed unexpectedly; see the bot's log")

    def _executor(self, spec: Action) -> ActionExecutor:
        return self._executors[spec.executor]

    def _operation(
        self, action: str, target: str, replicas: int | None, request_id: int | None = None
    ) -> Operation:
        return Operation(
            action=action,
            kind=self._policy.operation_of(action),
            target=target,
            replicas=replicas,
            command=self._policy.actions[action].command,
            request_id=request_id,
        )

    # ------------------------------------------------------------------ audit

    def _event(
        self,
        kind: AuditKind,
        actor: Actor,
        action: str,
        target: str,
        detail: str,
        request_id: int | None = None,
    ) -> AuditEvent:
        return AuditEvent(
            at=self._clock(),
            kind=kind,
            actor=actor.principal,
            actor_name=actor.name,
            action=_printable(action)[:64],
            target=_printable(target)[:_AUDITED_TARGET_CHARS],
            scope=actor.scope,
            detail=detail,
            request_id=request_id,
            correlation_id=current_correlation_id(),
        )

    async def _note_refusal(
        self, actor: Actor, action: str, target: str, request_id: int | None, refusal: Refusal
    ) -> None:
        """Audit a refusal; a refusal stands even when it cannot be written down."""
        if refusal.reason is Reason.NOT_PENDING:
            return
        self._telemetry.remediation_outcome("refused")
        detail = f"{refusal.reason.value}: {refusal.message}"
        event = self._event(AuditKind.REFUSED, actor, action, target, detail, request_id)
        try:
            await self._store.record(event)
        except DependencyError as exc:
            log.warning("could not audit a refusal (%s): %s", refusal.reason, exc.message)


def _printable(text: str) -> str:
    """``text`` with control characters escaped: hostile input is audited as data, and some
    databases refuse a NUL byte outright."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _said(reason: str | None) -> str:
    """A reason as data: one printable line, no markup or broadcast mentions."""
    return neutral(reason or "")


def _describe_plan(plan: Plan) -> str:
    return "\n".join((plan.summary, *plan.steps))


def _first_example(spec: Action) -> str:
    return spec.targets.names[0] if spec.targets.names else "<target>"
