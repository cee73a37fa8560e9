"""The guarded remediation flow, as a contract every database backend must pass.

:class:`RemediationFlowContract` holds the behaviour; :class:`TestSqliteFlow` runs it on the
embedded SQLite store here, and ``tests/integration/test_remediation_postgres.py`` runs the
same class against a real PostgreSQL. Executors are fakes that record what they were asked
(plus the real Kubernetes executor against the fake API server for the dry-run test).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kubernetes.aio.client import ApiClient, Configuration
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select, text

from adapters.executors.kubernetes import KubernetesExecutor
from bot.core.correlation import correlated
from bot.core.errors import DependencyError, InvalidInput, NotFoundError
from bot.core.telemetry import REMEDIATION_OUTCOMES, Telemetry
from bot.features.remediation.model import (
    Actor,
    AuditKind,
    AuditQuery,
    ExecutionResult,
    Operation,
    Plan,
    RequestStatus,
)
from bot.features.remediation.policy import Policy, load_policy
from bot.features.remediation.ports import ActionExecutor
from bot.features.remediation.refusals import Reason, Refusal
from bot.features.remediation.service import ApprovalOutcome, RemediationService
from storage.migrations import upgrade_url
from storage.sql.engine import create_engine
from storage.sql.models import AuditRow, ExecutionRow, RequestRow
from storage.sql.store import SqlRemediationStore
from storage.sql.timeouts import DatabaseTimeouts
from tests.fakes.k8s_api import FakeKubernetesApi
from tests.fakes.scrape import scrape

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OUTCOMES = "smartcloudops_remediation_outcomes_total"
#: Database bounds for a stampede of concurrent calls (the defaults are 5 s each).
PATIENT = DatabaseTimeouts(timeout_seconds=60, pool_timeout_seconds=60,
                           statement_timeout_seconds=60)  # fmt: skip

#: The Slack workspace every actor below is in (requests are only visible within it).
SCOPE = "slack:T_ACME"
REQUESTER = Actor("slack:U_REQ", "rita", "slack:C_OPS", SCOPE)
APPROVER_1 = Actor("slack:U_APP1", "ann", "slack:C_OPS", SCOPE)
APPROVER_2 = Actor("slack:U_APP2", "abe", "slack:C_OPS", SCOPE)
STRANGER = Actor("slack:U_NOBODY", "ann", "slack:C_OPS", SCOPE)
ONCALL = Actor("slack:U_ONCALL", "olga", "slack:C_ONCALL", SCOPE)
CROWD = tuple(Actor(f"slack:U_CROWD{i}", f"crowd{i}", "slack:C_OPS", SCOPE) for i in range(10))
#: The same people in another Slack workspace, and someone on another platform.
OTHER_SCOPE = "slack:T_OTHER"
REQUESTER_ELSEWHERE = Actor("slack:U_REQ", "rita", "slack:C_OPS", OTHER_SCOPE)
APPROVER_ELSEWHERE = Actor("slack:U_APP1", "ann", "slack:C_OPS", OTHER_SCOPE)
ON_DISCORD = Actor("discord:4242", "ann", "discord:77", "discord:1234")

POLICY: dict[str, Any] = {
    "roles": {
        "operators": {"users": ["slack:U_REQ", "slack:U_APP1"]},
        "approvers": {
            "users": ["slack:U_APP1", "slack:U_APP2", "slack:U_REQ", *(a.principal for a in CROWD)],
            "channels": ["slack:C_ONCALL"],
        },
    },
    "executors": {
        "k8s": {"type": "kubernetes", "namespace": "prod"},
        "runbooks": {"type": "command"},
    },
    "actions": {
        "restart": {
            "executor": "k8s",
            "targets": {"names": ["payments", "checkout-api"], "patterns": ["web-*"]},
            "role": "operators",
            "approver_role": "approvers",
            "approvals": 1,
            "ttl_seconds": 600,
            "cooldown_seconds": 600,
        },
        "scale": {
            "executor": "k8s",
            "targets": {"names": ["payments", "search"]},
            "role": "operators",
            "approver_role": "approvers",
            "approvals": 2,
            "ttl_seconds": 600,
            "replicas": {"min": 1, "max": 20, "max_change_percent": 50},
        },
        "flush-cache": {
            "executor": "runbooks",
            "command": ["/usr/local/bin/flush-cache", "--service", "{target}"],
            "targets": {"patterns": ["*-api", "payments"]},
            "role": "operators",
            "approvals": 0,
            "allow_dm": True,
            "rate_limit": {"count": 2, "per_seconds": 3600},
        },
    },
}

INJECTIONS = (
    "payments; rm -rf /",
    "$(id)",
    "`id`",
    "payments\nrm -rf /",
    "--kubeconfig=/tmp/evil",
    "-n",
    "payments && reboot",
    "payments|sh",
    "../../etc/passwd",
    "payments\x00",
    "pay ments",
)


class FakeClock:
    """A UTC clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class RecordingExecutor:
    """An executor that records every plan and execution it is asked for."""

    current_replicas: int | None = 4
    ok: bool = True
    delay: float = 0.0
    plans: list[Operation] = field(default_factory=list)
    executions: list[Operation] = field(default_factory=list)

    async def plan(self, operation: Operation) -> Plan:
        self.plans.append(operation)
        return Plan(f"would {operation.canonical}", ("step 1",), self.current_replicas)

    async def execute(self, operation: Operation) -> ExecutionResult:
        self.executions.append(operation)
        await asyncio.sleep(self.delay)
        if not self.ok:
            return ExecutionResult(False, f"{operation.canonical} failed", "boom")
        return ExecutionResult(True, f"did {operation.canonical}", "all good")


@dataclass
class World:
    """One replica of the bot: a service over its own engine, with its own executor."""

    service: RemediationService
    store: SqlRemediationStore
    executor: RecordingExecutor
    clock: FakeClock
    telemetry: Telemetry

    async def count(self, model: Any, *where: Any) -> int:
        async with self.store.engine.connect() as conn:
            result = await conn.execute(select(func.count()).select_from(model).where(*where))
            return int(result.scalar_one())


def policy() -> Policy:
    return load_policy(POLICY)


def build_world(
    url: str,
    clock: FakeClock,
    executors: dict[str, ActionExecutor] | None = None,
    timeouts: DatabaseTimeouts | None = None,
) -> World:
    recording = RecordingExecutor()
    timeouts = timeouts or DatabaseTimeouts()
    engine = create_engine(url, timeouts=timeouts)
    store = SqlRemediationStore(engine, timeout=timeouts.timeout_seconds)
    chosen = executors or {"k8s": recording, "runbooks": recording}
    telemetry = Telemetry(CollectorRegistry())
    service = RemediationService(policy(), store, chosen, clock=clock, telemetry=telemetry)
    return World(service, store, recording, clock, telemetry)


async def refused(call: Any) -> Refusal:
    with pytest.raises(Refusal) as caught:
        await call
    return caught.value


class RemediationFlowContract:
    """Behaviour of the flow on a real database. Subclasses provide ``database_url``: a
    fresh, migrated database for each test."""

    concurrent_approvals = 1000

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    async def world(self, database_url: str, clock: FakeClock) -> AsyncIterator[World]:
        world = build_world(database_url, clock)
        yield world
        await world.store.engine.dispose()

    @pytest.fixture
    async def make_world(
        self, database_url: str, clock: FakeClock
    ) -> AsyncIterator[Callable[..., World]]:
        made: list[World] = []

        def make(
            executors: dict[str, ActionExecutor] | None = None,
            timeouts: DatabaseTimeouts | None = None,
        ) -> World:
            made.append(build_world(database_url, clock, executors, timeouts))
            return made[-1]

        yield make
        for world in made:
            await world.store.engine.dispose()

    # ------------------------------------------------------------------ the happy path

    async def test_request_is_dry_run_and_waits_for_approval(self, world: World) -> None:
        """A request is planned (dry run), stored as pending, and nothing executes."""
        outcome = await world.service.request(REQUESTER, "restart", "payments")
        assert outcome.request.status is RequestStatus.PENDING
        assert outcome.request.canonical == "restart payments"
        assert outcome.plan.summary == "would restart payments"
        assert outcome.execution is None
        assert [op.target for op in world.executor.plans] == ["payments"]
        assert world.executor.executions == []
        assert outcome.request.expires_at == T0 + timedelta(seconds=600)

    async def test_second_distinct_approver_executes_exactly_once(self, world: World) -> None:
        """With two approvals required, the second distinct approver triggers one execution."""
        request = (await world.service.request(REQUESTER, "scale", "payments", 5)).request
        first = await world.service.approve(APPROVER_1, request.id)
        assert first.execution is None
        assert first.request.status is RequestStatus.PENDING
        second = await world.service.approve(APPROVER_2, request.id)
        assert second.execution == ExecutionResult(True, "did scale payments to 5", "all good")
        assert second.request.status is RequestStatus.SUCCEEDED
        assert [(op.kind, op.target, op.replicas) for op in world.executor.executions] == [
            ("scale", "payments", 5)
        ]
        late = await refused(world.service.approve(ONCALL, request.id))
        assert late.reason is Reason.NOT_PENDING
        assert len(world.executor.executions) == 1
        assert await world.count(ExecutionRow) == 1

    async def test_same_approver_twice_counts_once(self, world: World) -> None:
        """Approving twice does not make a second approver."""
        request = (await world.service.request(REQUESTER, "scale", "payments", 5)).request
        await world.service.approve(APPROVER_1, request.id)
        again = await world.service.approve(APPROVER_1, request.id)
        assert again.tally.approvers == {"slack:U_APP1"}
        assert again.tally.added is False
        assert again.execution is None
        assert world.executor.executions == []
        approved = AuditQuery(kinds=(AuditKind.APPROVED,), scope=SCOPE)
        assert len(await world.service.history(approved)) == 1

    async def test_self_approval_is_refused_and_audited(self, world: World) -> None:
        """The requester's approval never counts, even though they hold the approver role."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        refusal = await refused(world.service.approve(REQUESTER, request.id))
        assert refusal.reason is Reason.SELF_APPROVAL
        assert world.executor.executions == []
        events = await world.service.history(AuditQuery(kinds=(AuditKind.REFUSED,), scope=SCOPE))
        assert [(e.actor, e.request_id) for e in events] == [("slack:U_REQ", request.id)]
        assert "self_approval" in events[0].detail

    async def test_unauthorised_approver_is_refused(self, world: World) -> None:
        """A principal without the approver role is refused, whatever their display name."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        refusal = await refused(world.service.approve(STRANGER, request.id))
        assert refusal.reason is Reason.NOT_ALLOWED
        assert "approvers role" in refusal.message
        assert world.executor.executions == []
        assert (await world.store.get(request.id, SCOPE)).status is RequestStatus.PENDING  # type: ignore[union-attr]

    async def test_a_granted_channel_makes_its_members_approvers(self, world: World) -> None:
        """Roles may be granted to a channel; its members then hold the role."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        outcome = await world.service.approve(ONCALL, request.id)
        assert outcome.execution is not None
        assert outcome.execution.ok

    async def test_requests_need_the_requester_role(self, world: World) -> None:
        """Anything not granted is denied: an approver cannot request."""
        refusal = await refused(world.service.request(APPROVER_2, "restart", "payments"))
        assert refusal.reason is Reason.NOT_ALLOWED
        assert world.executor.plans == []

    async def test_direct_messages_may_request_only_what_allows_it(self, world: World) -> None:
        """A DM can ask for flush-cache (allow_dm) but not for a restart."""
        dm = Actor(REQUESTER.principal, REQUESTER.name, "slack:D1", SCOPE, is_direct=True)
        refusal = await refused(world.service.request(dm, "restart", "payments"))
        assert refusal.reason is Reason.DIRECT_MESSAGE
        outcome = await world.service.request(dm, "flush-cache", "checkout-api")
        assert outcome.execution is not None

    async def test_no_approval_actions_run_at_once(self, world: World) -> None:
        """approvals: 0 runs the runbook right after the dry run, exactly once."""
        outcome = await world.service.request(REQUESTER, "flush-cache", "checkout-api")
        assert outcome.execution is not None
        assert outcome.request.status is RequestStatus.SUCCEEDED
        (operation,) = world.executor.executions
        assert operation.kind == "run"
        assert operation.command == ("/usr/local/bin/flush-cache", "--service", "{target}")

    # ------------------------------------------------------------------ refusals

    async def test_expired_request_is_refused(self, world: World) -> None:
        """After its time to live a request cannot be approved, now or later."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        world.clock.advance(601)
        refusal = await refused(world.service.approve(APPROVER_1, request.id))
        assert refusal.reason is Reason.EXPIRED
        assert "expired at 2026-03-02 09:10 UTC" in refusal.message
        assert (await world.store.get(request.id, SCOPE)).status is RequestStatus.EXPIRED  # type: ignore[union-attr]
        again = await refused(world.service.approve(APPROVER_2, request.id))
        assert again.reason is Reason.EXPIRED
        assert world.executor.executions == []

    async def test_scale_bounds_hold(self, world: World) -> None:
        """Replicas stay within min..max and change at most 50 % from the current count."""
        too_many = await refused(world.service.request(REQUESTER, "scale", "payments", 21))
        assert too_many.reason is Reason.OUT_OF_BOUNDS
        assert "(1..20)" in too_many.message
        zero = await refused(world.service.request(REQUESTER, "scale", "payments", 0))
        assert zero.reason is Reason.OUT_OF_BOUNDS
        jump = await refused(world.service.request(REQUESTER, "scale", "payments", 7))
        assert jump.reason is Reason.OUT_OF_BOUNDS
        assert "from 4 to 7" in jump.message
        missing = await refused(world.service.request(REQUESTER, "scale", "payments", None))
        assert missing.reason is Reason.MISSING_INPUT
        assert (await world.service.request(REQUESTER, "scale", "payments", 6)).request.id > 0
        assert await world.count(RequestRow) == 1

    async def test_cooldown_holds_until_it_ends(self, world: World) -> None:
        """After a restart, the same target cannot be restarted until the cooldown ends."""
        first = (await world.service.request(REQUESTER, "restart", "payments")).request
        await world.service.approve(APPROVER_1, first.id)
        world.clock.advance(300)
        refusal = await refused(world.service.request(REQUESTER, "restart", "payments"))
        assert refusal.reason is Reason.COOLDOWN
        assert "cooling down until 2026-03-02 09:10 UTC" in refusal.message
        other = await world.service.request(REQUESTER, "restart", "checkout-api")
        assert other.request.status is RequestStatus.PENDING
        world.clock.advance(301)
        assert (await world.service.request(REQUESTER, "restart", "payments")).request.id

    async def test_cooldown_is_checked_again_at_execution(self, world: World) -> None:
        """Two requests made before either ran cannot both run inside the cooldown."""
        first = (await world.service.request(REQUESTER, "restart", "payments")).request
        second = (await world.service.request(REQUESTER, "restart", "payments")).request
        await world.service.approve(APPROVER_1, first.id)
        refusal = await refused(world.service.approve(APPROVER_2, second.id))
        assert refusal.reason is Reason.COOLDOWN
        assert len(world.executor.executions) == 1

    async def test_rate_limit_holds_per_user(self, world: World) -> None:
        """At most two flush-cache requests per user per hour; others are unaffected."""
        await world.service.request(REQUESTER, "flush-cache", "checkout-api")
        world.clock.advance(60)
        await world.service.request(REQUESTER, "flush-cache", "payments")
        refusal = await refused(world.service.request(REQUESTER, "flush-cache", "payments"))
        assert refusal.reason is Reason.RATE_LIMITED
        assert "try again after 2026-03-02 10:00 UTC" in refusal.message
        assert (await world.service.request(APPROVER_1, "flush-cache", "payments")).execution
        world.clock.advance(3541)
        assert (await world.service.request(REQUESTER, "flush-cache", "payments")).execution
        assert len(world.executor.executions) == 4

    @pytest.mark.parametrize("target", INJECTIONS)
    async def test_injection_attempts_are_refused_before_any_executor(
        self, world: World, target: str
    ) -> None:
        """Shell, option and path syntax in a target is refused and never planned or run."""
        refusal = await refused(world.service.request(REQUESTER, "restart", target))
        assert refusal.reason is Reason.UNSAFE_TARGET
        assert "not a valid target name" in refusal.message
        assert world.executor.plans == []
        assert await world.count(RequestRow) == 0
        events = await world.service.history(AuditQuery(kinds=(AuditKind.REFUSED,), scope=SCOPE))
        assert [e.target for e in events] == [target.encode("unicode_escape").decode()]

    async def test_unknown_action_and_target_say_what_is_allowed(self, world: World) -> None:
        """Unknown actions list the actions; unknown targets list the allowed targets."""
        action = await refused(world.service.request(REQUESTER, "reboot", "payments"))
        assert action.reason is Reason.UNKNOWN_ACTION
        assert "flush-cache, restart, scale" in action.message
        target = await refused(world.service.request(REQUESTER, "restart", "db-primary"))
        assert target.reason is Reason.UNKNOWN_TARGET
        assert "payments, checkout-api, web-*" in target.message
        with pytest.raises(NotFoundError):
            await world.service.approve(APPROVER_1, 999)

    async def test_deny_closes_a_request(self, world: World) -> None:
        """An approver's denial closes the request; a later approval is refused."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        assert (await world.service.deny(APPROVER_2, request.id)).status is RequestStatus.DENIED
        refusal = await refused(world.service.approve(APPROVER_1, request.id))
        assert refusal.reason is Reason.NOT_PENDING
        assert world.executor.executions == []

    async def test_requester_may_withdraw_but_strangers_may_not_deny(self, world: World) -> None:
        """Denying needs the approver role, except for withdrawing one's own request."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        refusal = await refused(world.service.deny(STRANGER, request.id))
        assert refusal.reason is Reason.NOT_ALLOWED
        assert (await world.service.deny(REQUESTER, request.id)).status is RequestStatus.DENIED

    # ------------------------------------------------------------------ scopes

    async def test_a_request_number_finds_nothing_in_another_workspace(self, world: World) -> None:
        """`approve N` / `deny N` from another workspace or platform find no request N, even
        for someone who holds the approver role there: nothing is approved, denied or run."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        for elsewhere in (APPROVER_ELSEWHERE, ON_DISCORD):
            with pytest.raises(NotFoundError) as approving:
                await world.service.approve(elsewhere, request.id)
            assert approving.value.message == f"There is no request #{request.id} here."
            with pytest.raises(NotFoundError):
                await world.service.deny(elsewhere, request.id)
        assert await world.store.get(request.id, OTHER_SCOPE) is None
        assert (await world.store.get(request.id, SCOPE)).status is RequestStatus.PENDING  # type: ignore[union-attr]
        assert world.executor.executions == []
        outcome = await world.service.approve(APPROVER_1, request.id)
        assert outcome.execution is not None

    async def test_history_lists_only_the_askers_scope(self, world: World) -> None:
        """Each workspace reads its own audit log; only an unscoped query (the operator's
        digest) sees both."""
        here = (await world.service.request(REQUESTER, "restart", "payments")).request
        there = (await world.service.request(REQUESTER_ELSEWHERE, "restart", "web-1")).request
        await world.service.approve(APPROVER_ELSEWHERE, there.id)
        mine = await world.service.history(AuditQuery(scope=SCOPE))
        theirs = await world.service.history(AuditQuery(scope=OTHER_SCOPE))
        everything = await world.service.history(AuditQuery(scope=None))
        assert {(e.request_id, e.scope) for e in mine} == {(here.id, SCOPE)}
        assert {e.request_id for e in theirs} == {there.id}
        assert [e.kind for e in theirs][-2:] == [AuditKind.APPROVED, AuditKind.REQUESTED]
        assert len(everything) == len(mine) + len(theirs)
        assert here.scope == SCOPE
        assert there.scope == OTHER_SCOPE

    # ------------------------------------------------------------------ failure and audit

    async def test_nothing_runs_when_the_audit_row_cannot_be_written(self, world: World) -> None:
        """Fail closed: if the execution's audit row is refused, the executor is never called."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        await break_audit(world.store)
        with pytest.raises(DependencyError):
            await world.service.approve(APPROVER_1, request.id)
        assert world.executor.executions == []
        assert await world.count(ExecutionRow) == 0
        assert (await world.store.get(request.id, SCOPE)).status is RequestStatus.PENDING  # type: ignore[union-attr]

    async def test_a_result_that_cannot_be_recorded_is_still_reported(self, world: World) -> None:
        """Once it ran, the outcome reaches the requester even if its audit write fails."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        await break_audit(world.store, "executed")
        outcome = await world.service.approve(APPROVER_1, request.id)
        assert outcome.execution is not None
        assert outcome.execution.summary.endswith(
            "(it ran, but the result could not be written to the audit log)"
        )
        assert len(world.executor.executions) == 1
        assert outcome.request.status is RequestStatus.EXECUTING

    async def test_failed_execution_is_reported_and_audited(self, world: World) -> None:
        """A failing executor yields a failed result and a 'failed' audit event."""
        world.executor.ok = False
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        outcome = await world.service.approve(APPROVER_1, request.id)
        assert outcome.execution == ExecutionResult(False, "restart payments failed", "boom")
        assert outcome.request.status is RequestStatus.FAILED
        failed = await world.service.history(AuditQuery(kinds=(AuditKind.FAILED,), scope=SCOPE))
        assert [e.request_id for e in failed] == [request.id]

    async def test_history_answers_who_restarted_a_target(self, world: World) -> None:
        """The audit log records request, approval, start and result, newest first."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        world.clock.advance(30)
        await world.service.approve(APPROVER_1, request.id)
        await world.service.request(REQUESTER, "restart", "checkout-api")
        events = await world.service.history(
            AuditQuery(action="restart", target="payments", since=T0, scope=SCOPE)
        )
        assert [(e.kind, e.actor) for e in events] == [
            (AuditKind.EXECUTED, "slack:U_APP1"),
            (AuditKind.EXECUTION_STARTED, "slack:U_APP1"),
            (AuditKind.APPROVED, "slack:U_APP1"),
            (AuditKind.REQUESTED, "slack:U_REQ"),
        ]
        assert events[-1].at == T0
        assert events[0].at == T0 + timedelta(seconds=30)
        assert "requested by slack:U_REQ" in events[1].detail

    async def test_audit_rows_carry_the_correlation_id_of_their_turn(self, world: World) -> None:
        """Each audit row keeps the id of the turn that wrote it: the ``ref`` its reply
        showed and the id on that turn's log lines."""
        with correlated() as asked:
            request = (await world.service.request(REQUESTER, "restart", "payments")).request
        with correlated() as approved:
            await world.service.approve(APPROVER_1, request.id)
        with correlated() as refusal:
            await refused(world.service.request(STRANGER, "restart", "checkout-api"))
        events = await world.service.history(AuditQuery(scope=SCOPE))
        assert sorted((e.kind, e.correlation_id) for e in events) == sorted([
            (AuditKind.REQUESTED, asked),
            (AuditKind.APPROVED, approved),
            (AuditKind.EXECUTION_STARTED, approved),
            (AuditKind.EXECUTED, approved),
            (AuditKind.REFUSED, refusal),
        ])  # fmt: skip
        assert len({asked, approved, refusal}) == 3

    # ------------------------------------------------------------------ reasons

    async def test_a_reason_is_audited_as_its_author_for_its_request(self, world: World) -> None:
        """``reason 12 ...``: a REASON event with the author's immutable id, the request id
        and the turn's correlation id; approvers are shown every reason, oldest first."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        with correlated() as turn:
            outcome = await world.service.add_reason(REQUESTER, request.id, "the pods are stuck")
        await world.service.add_reason(APPROVER_1, request.id, "  confirmed:\n  OOM  loop ")
        (first, second) = await world.service.reasons(request)
        assert (first.kind, first.actor, first.request_id, first.correlation_id) == (
            AuditKind.REASON, "slack:U_REQ", request.id, turn,
        )  # fmt: skip
        assert (first.detail, first.target, first.scope) == (
            "the pods are stuck",
            "payments",
            SCOPE,
        )
        assert (second.actor, second.detail) == ("slack:U_APP1", "confirmed: OOM loop")
        assert [e.detail for e in outcome.reasons] == ["the pods are stuck"]
        assert world.executor.executions == []
        assert (await world.store.get(request.id, SCOPE)).status is RequestStatus.PENDING  # type: ignore[union-attr]

    async def test_a_reason_said_with_the_command_is_stored_with_the_request(
        self, world: World
    ) -> None:
        """ "restart payments because it is hung": the request and its reason are written
        together, under the request's id and the turn's correlation id."""
        with correlated() as turn:
            outcome = await world.service.request(
                REQUESTER, "restart", "payments", reason="it is <!here> hung"
            )
        query = AuditQuery(request_id=outcome.request.id, scope=SCOPE)
        events = await world.service.history(query)
        reasons = [(e.detail, e.correlation_id) for e in events if e.kind is AuditKind.REASON]
        assert reasons == [("it is !here hung", turn)]
        assert {e.kind for e in events} == {AuditKind.REQUESTED, AuditKind.REASON}

    async def test_a_reason_for_an_unknown_or_foreign_request_is_refused(
        self, world: World
    ) -> None:
        """Only a request of the author's own workspace, and only its requester or someone
        who may request or approve its action, can be explained; nothing is written else."""
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        for nobody_here, number in ((REQUESTER, 999), (REQUESTER_ELSEWHERE, request.id)):
            with pytest.raises(NotFoundError) as missing:
                await world.service.add_reason(nobody_here, number, "because")
            assert missing.value.message == f"There is no request #{number} here."
        stranger = await refused(world.service.add_reason(STRANGER, request.id, "I think so"))
        assert stranger.reason is Reason.NOT_ALLOWED
        assert await world.service.reasons(request) == ()

    async def test_an_empty_or_overlong_reason_is_refused_with_what_to_do(
        self, world: World
    ) -> None:
        request = (await world.service.request(REQUESTER, "restart", "payments")).request
        with pytest.raises(InvalidInput, match="What is the reason"):
            await world.service.add_reason(REQUESTER, request.id, " \n ")
        with pytest.raises(InvalidInput, match="at most 300 characters; this one has 301"):
            await world.service.add_reason(REQUESTER, request.id, "x" * 301)
        assert await world.service.reasons(request) == ()

    async def test_every_outcome_is_counted_as_the_audit_log_records_it(self, world: World) -> None:
        """Executed, failed, refused, denied and expired each move their counter on
        ``/metrics``; a late approval of an expired request is an expiry and a refusal."""
        before = await scrape(world.telemetry)
        assert before.value(OUTCOMES, {"outcome": "executed"}) == 0, "exposed from the start"
        done = (await world.service.request(REQUESTER, "restart", "payments")).request
        await world.service.approve(APPROVER_1, done.id)
        await refused(world.service.request(STRANGER, "restart", "checkout-api"))
        withdrawn = (await world.service.request(REQUESTER, "restart", "checkout-api")).request
        await world.service.deny(APPROVER_1, withdrawn.id)
        late = (await world.service.request(REQUESTER, "restart", "web-1")).request
        world.clock.advance(601)
        await refused(world.service.approve(APPROVER_1, late.id))
        world.executor.ok = False
        broken = (await world.service.request(REQUESTER, "restart", "web-2")).request
        await world.service.approve(APPROVER_1, broken.id)
        after = await scrape(world.telemetry)
        counted = {o: after.count(OUTCOMES, outcome=o) for o in REMEDIATION_OUTCOMES}
        assert counted == {"executed": 1, "failed": 1, "refused": 2, "denied": 1, "expired": 1}

    # ------------------------------------------------------------------ real executor, races

    async def test_dry_run_sends_no_mutating_kubernetes_call(
        self, make_world: Callable[..., World]
    ) -> None:
        """Planning reads only (GETs); the approved restart sends one PATCH."""
        async with FakeKubernetesApi() as api:
            api.add_deployment("payments", namespace="prod", replicas=3)
            async with ApiClient(Configuration(host=api.url)) as client:
                kubernetes = KubernetesExecutor(client, "prod")
                world = make_world({"k8s": kubernetes, "runbooks": RecordingExecutor()})
                outcome = await world.service.request(REQUESTER, "restart", "payments")
                assert "would restart deployment prod/payments (3 pod(s)" in outcome.plan.summary
                assert api.calls
                assert api.mutating_calls == []
                done = await world.service.approve(APPROVER_1, outcome.request.id)
        assert done.execution is not None
        assert done.execution.ok
        assert [(c.method, c.path) for c in api.mutating_calls] == [
            ("PATCH", "/apis/apps/v1/namespaces/prod/deployments/payments")
        ]

    async def test_two_replicas_approving_concurrently_execute_once(
        self, make_world: Callable[..., World]
    ) -> None:
        """Many concurrent approvals on two replicas (own engines) give one execution and
        one execution audit row. A thousand calls queue for 2 x 20 connections at once, far
        more than a bot ever sees, so the database bounds are generous here: this is about
        exactly once, not about latency."""
        one, two = make_world(timeouts=PATIENT), make_world(timeouts=PATIENT)
        one.executor.delay = two.executor.delay = 0.02
        request = (await one.service.request(REQUESTER, "scale", "payments", 5)).request
        calls = [
            (one if i % 2 else two).service.approve(CROWD[i % len(CROWD)], request.id)
            for i in range(self.concurrent_approvals)
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
        unexpected = [r for r in results if not isinstance(r, ApprovalOutcome | Refusal)]
        assert unexpected == []
        executed = [r for r in results if isinstance(r, ApprovalOutcome) and r.execution]
        assert len(executed) == 1
        assert len(one.executor.executions) + len(two.executor.executions) == 1
        assert await one.count(ExecutionRow) == 1
        for kind in (AuditKind.EXECUTION_STARTED, AuditKind.EXECUTED):
            assert await one.count(AuditRow, AuditRow.kind == kind.value) == 1
        assert (await one.store.get(request.id, SCOPE)).status is RequestStatus.SUCCEEDED  # type: ignore[union-attr]


async def break_audit(store: SqlRemediationStore, kind: str = "execution_started") -> None:
    """Make the database refuse audit rows of one kind (a full disk, a revoked grant and a
    failing trigger all look alike to the store)."""
    if store.engine.dialect.name == "sqlite":
        statements = [
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_events "
            f"WHEN NEW.kind = '{kind}' "
            "BEGIN SELECT RAISE(ABORT, 'audit storage unavailable'); END"
        ]
    else:
        statements = [
            "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.kind = '{kind}' THEN "
            "RAISE EXCEPTION 'audit storage unavailable'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_down()",
        ]
    async with store.engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_url(f"sqlite:///{path}")
    return path


class TestSqliteFlow(RemediationFlowContract):
    """The contract on the embedded SQLite store."""

    concurrent_approvals = 200

    @pytest.fixture
    def database_url(self, migrated_sqlite: Path, tmp_path: Path) -> str:
        path = tmp_path / "remediation.db"
        shutil.copy(migrated_sqlite, path)
        return f"sqlite+aiosqlite:///{path}"
