"""Chat handlers for guarded remediation: request, approve, deny, the reason for a request
and the audit history.

They translate between chat (intents, replies with Approve/Deny buttons) and
:class:`~bot.features.remediation.RemediationService`; every decision is the service's. Refusals are
:class:`~bot.core.errors.UserError`s, which the dispatcher shows as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from bot.core.errors import InvalidInput
from bot.core.formatting import shorten
from bot.core.model import Choice, ChoiceStyle, Field, Form, Reply, Severity, Table, Visibility
from bot.core.registry import HandlerSpec, Request
from bot.features.remediation.help import REMEDIATION_HELP
from bot.features.remediation.model import (
    Actor,
    AuditEvent,
    AuditQuery,
    ExecutionResult,
    RequestStatus,
    StoredRequest,
    format_time,
)
from bot.features.remediation.refusals import Reason, Refusal
from bot.features.remediation.service import (
    ApprovalOutcome,
    ReasonOutcome,
    RemediationService,
    RequestOutcome,
)
from intents.model import IntentName, SlotValue
from intents.reasons import REASON_LIMIT

_REQUEST_ID = re.compile(r"#?(\d{1,12})")
_HISTORY_ROWS = 20
DEFAULT_RANGE_SECONDS = 7 * 86400
"""How far back ``history`` looks when the question gives no time."""
#: Refusals of an approval or denial that leave the request pending (checked after it is open).
_LEAVES_REQUEST_PENDING = frozenset({Reason.SELF_APPROVAL, Reason.NOT_ALLOWED})


def remediation_specs(service: RemediationService) -> list[HandlerSpec]:
    """Handlers for ``remediation``, ``approve``, ``deny``, ``reason`` and ``history``."""

    async def request_action(request: Request) -> Reply:
        slots = request.intent.slots
        replicas = slots.get("replicas")
        outcome = await service.request(
            Actor.from_message(request.message),
            str(slots.get("action", "")),
            _optional_str(slots.get("target")),
            replicas if isinstance(replicas, int) else None,
            reason=request.intent.reason,
        )
        reasons = await service.reasons(outcome.request) if outcome.execution is None else ()
        return render_request(outcome, reasons)

    async def approve(request: Request) -> Reply:
        request_id = _request_id(request, "approve")
        try:
            outcome = await service.approve(Actor.from_message(request.message), request_id)
        except Refusal as refusal:
            return render_open_refusal(refusal, request_id)
        return render_approval(outcome, await service.reasons(outcome.request))

    async def reason(request: Request) -> Reply:
        request_id = _request_id(request, "reason")
        text = str(request.intent.slots.get("text", ""))
        actor = Actor.from_message(request.message)
        return render_reason(await service.add_reason(actor, request_id, text))

    async def deny(request: Request) -> Reply:
        request_id = _request_id(request, "deny")
        try:
            closed = await service.deny(Actor.from_message(request.message), request_id)
        except Refusal as refusal:
            return render_open_refusal(refusal, request_id)
        return Reply(
            title=f"Request #{closed.id} denied",
            text=f"`{closed.canonical}` will not run.",
            severity=Severity.INFO,
        )

    async def history(request: Request) -> Reply:
        scope = Actor.from_message(request.message).scope
        query, period = _audit_query(service, request.intent.slots, scope)
        return render_history(await service.history(query), query, period)

    handlers = {
        IntentName.REMEDIATION: request_action,
        IntentName.APPROVE: approve,
        IntentName.DENY: deny,
        IntentName.REASON: reason,
        IntentName.HISTORY: history,
    }
    return [help_.spec(handlers[help_.intent]) for help_ in REMEDIATION_HELP]


def _audit_query(
    service: RemediationService, slots: Mapping[str, SlotValue], scope: str
) -> tuple[AuditQuery, str]:
    """The audit query of a ``history`` intent in ``scope`` (the asker's platform and
    tenant: nobody reads another workspace's log) and how to name its period."""
    start, end, seconds = slots.get("start"), slots.get("end"), slots.get("range")
    if isinstance(start, int):
        since = datetime.fromtimestamp(start, UTC)
        until = datetime.fromtimestamp(end, UTC) if isinstance(end, int) else None
        period = (
            f"since {format_time(since)}"
            if until is None
            else (f"{format_time(since)} to {format_time(until)}")
        )
    else:
        window = seconds if isinstance(seconds, int) and seconds > 0 else DEFAULT_RANGE_SECONDS
        since, until, period = service.now() - timedelta(seconds=window), None, _period(window)
        period = f"last {period}"
    query = AuditQuery(
        since=since,
        until=until,
        action=_optional_str(slots.get("action")),
        target=_optional_str(slots.get("target")),
        limit=_HISTORY_ROWS,
        scope=scope,
    )
    return query, period


def render_request(outcome: RequestOutcome, reasons: Sequence[AuditEvent] = ()) -> Reply:
    """A new request: the canonical command, its dry run, the reason given with it, the
    approval buttons and an "Add reason" dialog."""
    stored, plan = outcome.request, outcome.plan
    if outcome.execution is not None:
        return _execution_reply(stored, outcome.execution, note=f"Dry run: {plan.summary}")
    waiting = stored.approvals_required
    return Reply(
        title=f"Request #{stored.id}: {stored.canonical}",
        text=f"Dry run (nothing has changed yet): {plan.summary}\n"
        f"Needs {_approvals(waiting)} from the {outcome.approver_role} role; "
        "the requester's own approval does not count.",
        code="\n".join(plan.steps) or None,
        fields=(
            Field("Command", stored.canonical),
            Field("Requested by", stored.requester_name),
            Field("Approvals", f"0 of {waiting}"),
            Field("Expires", format_time(stored.expires_at)),
            *_reason_fields(reasons),
        ),
        choices=_buttons(stored.id),
        forms=(reason_form(stored),),
        severity=Severity.WARNING,
    )


def reason_form(stored: StoredRequest) -> Form:
    """The "Add reason" dialog of a request: its text becomes ``reason <id> <text>``."""
    return Form(
        label="Add reason",
        title=f"Reason for #{stored.id}",
        prompt=f"Why {stored.canonical}?",
        command=f"reason {stored.id} {{text}}",
        max_length=REASON_LIMIT,
    )


def render_reason(outcome: ReasonOutcome) -> Reply:
    """A reason written down: the request as approvers should now see it (every reason,
    oldest first) with the Approve/Deny buttons while it is pending."""
    stored = outcome.request
    pending = stored.status is RequestStatus.PENDING
    state = "Waiting for approval." if pending else f"The request {_status_words(stored.status)}."
    return Reply(
        title=f"Request #{stored.id}: {stored.canonical}",
        text=f"Reason added to the audit log. {state}",
        fields=(Field("Requested by", stored.requester_name), *_reason_fields(outcome.reasons)),
        choices=_buttons(stored.id) if pending else (),
        severity=Severity.INFO,
    )


def _reason_fields(reasons: Sequence[AuditEvent]) -> tuple[Field, ...]:
    return tuple(
        Field(f"Reason ({event.actor_name})", shorten(event.detail, REASON_LIMIT))
        for event in reasons
    )


def render_approval(outcome: ApprovalOutcome, reasons: Sequence[AuditEvent] = ()) -> Reply:
    """An approval: still waiting (with the reasons given), executed now, or already taken
    care of elsewhere."""
    stored, tally = outcome.request, outcome.tally
    if outcome.execution is not None:
        approvers = ", ".join(sorted(tally.approvers))
        return _execution_reply(stored, outcome.execution, note=f"Approved by {approvers}.")
    if stored.status is not RequestStatus.PENDING:
        return Reply(
            title=f"Request #{stored.id}: {stored.canonical}",
            text=f"Your approval is noted; the request {_status_words(stored.status)}.",
            severity=Severity.INFO,
        )
    missing = stored.approvals_required - len(tally.approvers)
    said = "Approval recorded." if tally.added else "You had already approved; it counts once."
    return Reply(
        title=f"Request #{stored.id}: {stored.canonical}",
        text=f"{said} Waiting for {_approvals(missing)} more from the "
        f"{outcome.approver_role} role.",
        fields=(
            Field("Approvals", f"{len(tally.approvers)} of {stored.approvals_required}"),
            Field("Expires", format_time(stored.expires_at)),
            *_reason_fields(reasons),
        ),
        choices=_buttons(stored.id),
        severity=Severity.INFO,
    )


def render_open_refusal(refusal: Refusal, request_id: int) -> Reply:
    """A refused approval or denial of a request that is still pending (the requester's own
    approval, someone without the role): the refusal, private like every refusal, with the
    Approve/Deny buttons offered again. Slack and Discord show it to the clicker alone and leave
    the clicked message as it was; a Teams card is replaced with the click's answer, and without
    the buttons one refused click would take them away from everyone who may still decide.
    Any other refusal (expired, already decided) is raised as it is."""
    if refusal.reason not in _LEAVES_REQUEST_PENDING:
        raise refusal
    text = refusal.message if not refusal.hint else f"{refusal.message}\n{refusal.hint}"
    return Reply(
        text=text,
        choices=_buttons(request_id),
        severity=Severity.WARNING,
        visibility=Visibility.PRIVATE,
    )


def render_history(events: list[AuditEvent], query: AuditQuery, period: str) -> Reply:
    """Audit events as a table, newest first; ``period`` names the window ("last 7 days")."""
    about = " ".join(x for x in (query.action, query.target) if x) or "all actions"
    if not events:
        return Reply(text=f"No audit events for {about} ({period}).")
    rows = tuple(
        (
            format_time(e.at),
            e.kind.value,
            e.actor_name if e.actor_name == e.actor else f"{e.actor_name} ({e.actor})",
            f"#{e.request_id} " if e.request_id is not None else "",
            f"{e.action} {e.target}".strip(),
            _shorten(e.detail),
        )
        for e in events
    )
    return Reply(
        title=f"Audit log: {about}, {period}",
        text=f"{len(events)} event(s), newest first.",
        table=Table(
            columns=("when", "event", "who", "request", "command", "detail"),
            rows=rows,
        ),
        footer="Source: the remediation audit log",
    )


def _execution_reply(stored: StoredRequest, result: ExecutionResult, *, note: str) -> Reply:
    outcome = "done" if result.ok else "failed"
    return Reply(
        title=f"Request #{stored.id}: {stored.canonical} {outcome}",
        text=f"{note}\n{result.summary}",
        code=result.output or None,
        severity=Severity.SUCCESS if result.ok else Severity.ERROR,
    )


def _buttons(request_id: int) -> tuple[Choice, ...]:
    return (
        Choice(label="Approve", command=f"approve {request_id}", style=ChoiceStyle.PRIMARY),
        Choice(label="Deny", command=f"deny {request_id}", style=ChoiceStyle.DANGER),
    )


def _request_id(request: Request, verb: str) -> int:
    raw = str(request.intent.slots.get("request_id", "")).strip()
    match = _REQUEST_ID.fullmatch(raw)
    if match is None:
        shown = f" ({raw!r} is not a request number)" if raw else ""
        raise InvalidInput(f"Which request{shown}? Say `{verb} 12` with the request's number.")
    return int(match.group(1))


def _optional_str(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _approvals(count: int) -> str:
    return "1 approval" if count == 1 else f"{count} approvals"


def _status_words(status: RequestStatus) -> str:
    return {
        RequestStatus.EXECUTING: "is already executing (another approval started it)",
        RequestStatus.SUCCEEDED: "was already executed",
        RequestStatus.FAILED: "was already executed and failed",
        RequestStatus.DENIED: "was denied",
        RequestStatus.EXPIRED: "has expired",
    }.get(status, f"is {status.value}")


def _period(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "day" if days == 1 else f"{days} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{max(1, seconds // 60)} min"


def _shorten(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
