"""Guarded remediation end to end from the console: the bot's own parser and dispatcher, text
approvals, a second person approving, refusals in plain words, and the audit history."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console import ConsoleChat, ConsoleRenderer, local_user
from bot.core.dispatcher import Dispatcher
from bot.core.model import Choice, Form, IncomingMessage, Menu, Reply, Severity
from bot.core.ports import IntentParserPort
from bot.core.registry import Registry
from bot.core.telemetry import Telemetry
from bot.features.help.handlers import help_specs
from bot.features.remediation.handlers import remediation_specs
from bot.features.remediation.policy import load_policy
from bot.features.remediation.service import RemediationService
from bot.features.remediation.unknown import guard_unknown
from storage.memory import InMemoryContextStore
from storage.sql import open_store_at
from tests.unit.test_remediation_flow import RecordingExecutor

ME = local_user()


@pytest.fixture(scope="module")
def parser() -> IntentParserPort:
    """The bot's parser, knowing the policy's custom actions."""
    from ml.intent_classifier import build_parser

    return build_parser(actions=("flush-cache",))


@dataclasses.dataclass
class Console:
    chat: ConsoleChat
    dispatcher: Dispatcher
    executor: RecordingExecutor
    out: io.StringIO

    async def as_user(self, user: str, text: str, tenant: str = "local") -> Reply:
        """A message from another console user (a second person at the same bot), or from
        the same id in another ``tenant``."""
        message = IncomingMessage(
            platform="console", team_id=tenant, channel_id="console",
            user_id=user, user_name=user, text=text, is_direct=True, tenant_id=tenant,
        )  # fmt: skip
        return await self.dispatcher.handle(message)


@pytest.fixture
async def console(parser: IntentParserPort, tmp_path: Path) -> AsyncIterator[Console]:
    policy = load_policy({
        "roles": {"operators": {"users": [f"console:{ME}"]},
                  "approvers": {"users": [f"console:{ME}", "console:bob"]}},
        "executors": {"k8s": {"type": "kubernetes"}, "runbooks": {"type": "command"}},
        "actions": {
            "restart": {
                "executor": "k8s", "targets": {"names": ["payments"]}, "role": "operators",
                "approver_role": "approvers", "approvals": 1, "allow_dm": True},
            "flush-cache": {
                "executor": "runbooks", "command": ["/usr/local/bin/flush", "{target}"],
                "targets": {"names": ["payments"]}, "role": "operators", "approvals": 0,
                "allow_dm": True},
        },
    })  # fmt: skip
    executor = RecordingExecutor()
    async with open_store_at(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}") as store:
        service = RemediationService(policy, store, {"k8s": executor, "runbooks": executor})
        registry = Registry(remediation_specs(service))

        async def the_service() -> RemediationService:
            return service

        for spec in help_specs(registry):
            unknown = spec.intent == "unknown"
            registry.register(guard_unknown(spec, the_service) if unknown else spec)
        context = InMemoryContextStore(ttl_seconds=3600, max_turns=10)
        dispatcher = Dispatcher(parser, context, registry, Telemetry())
        out = io.StringIO()
        chat = ConsoleChat(dispatcher.handle, ConsoleRenderer(tmp_path / "charts"), out)
        yield Console(chat, dispatcher, executor, out)


async def test_console_request_then_text_approval_by_someone_else(console: Console) -> None:
    """restart -> dry run with approve/deny options -> own approval refused -> bob approves
    -> executed once, result in the reply."""
    request = await console.chat.send("restart payments")
    assert request.title == "Request #1: restart payments"
    assert "Dry run (nothing has changed yet): would restart payments" in request.text
    assert [(c.label, c.command) for c in request.choices] == [
        ("Approve", "approve 1"), ("Deny", "deny 1"),
    ]  # fmt: skip
    assert 'options: "approve 1" | "deny 1"' in console.out.getvalue()
    own = await console.chat.send("approve 1")
    assert own.severity is Severity.WARNING
    assert "your approval does not count" in own.text
    assert console.executor.executions == []
    done = await console.as_user("bob", "approve 1")
    assert done.severity is Severity.SUCCESS
    assert done.title == "Request #1: restart payments done"
    assert "did restart payments" in done.text
    again = await console.as_user("bob", "approve #1")
    assert "was already executed" in again.text
    assert len(console.executor.executions) == 1


async def test_console_history_answers_who_restarted(console: Console) -> None:
    """`history` and "who restarted payments today?" are answered from the audit log."""
    await console.chat.send("restart payments")
    await console.as_user("bob", "approve 1")
    history = await console.chat.send("history")
    assert history.table is not None
    kinds = [row[1] for row in history.table.rows]
    assert kinds == ["executed", "execution_started", "approved", "requested"]
    assert history.table.rows[0][2] == "bob (console:bob)"
    who = await console.chat.send("who restarted payments today?")
    assert who.title is not None
    assert who.title.startswith("Audit log: restart payments")
    assert who.table is not None
    assert who.table.rows[0][1:3] == ("executed", "bob (console:bob)")
    assert console.executor.plans[-1].target == "payments"
    assert len(console.executor.plans) == 1
    nothing = await console.chat.send("history web-1")
    assert nothing.text.startswith("No audit events for web-1")


async def test_console_a_request_number_from_another_tenant_finds_nothing(
    console: Console,
) -> None:
    """`approve 1` from another tenant, by a holder of the approver role, finds no request 1
    and runs nothing; that tenant's history is empty. Here, it is approved as usual."""
    await console.chat.send("restart payments")
    elsewhere = await console.as_user("bob", "approve 1", tenant="elsewhere")
    assert elsewhere.text == (
        "There is no request #1 here.\n"
        "Requests are answered in the workspace, server or tenant they were made in."
    )
    assert (await console.as_user("bob", "deny 1", tenant="elsewhere")).text.startswith(
        "There is no request #1 here."
    )
    history = await console.as_user("bob", "history", tenant="elsewhere")
    assert history.text == "No audit events for all actions (last 7 days)."
    assert console.executor.executions == []
    done = await console.as_user("bob", "approve 1")
    assert done.title == "Request #1: restart payments done"


@pytest.mark.parametrize(
    "text",
    ["restart payments; rm -rf /", "restart $(id)", "restart `id`",
     "restart --kubeconfig=/tmp/evil payments", "restart payments && reboot",
     "rollback payments because GET /login returns 500"],
)  # fmt: skip
async def test_console_injection_attempts_get_a_clear_refusal(console: Console, text: str) -> None:
    """Shell and option syntax is refused with the reason, and audited; nothing is planned."""
    reply = await console.chat.send(text)
    assert reply.severity is Severity.WARNING
    assert "carries shell, option or path syntax" in reply.text
    assert console.executor.plans == []
    history = await console.chat.send("history")
    assert history.table is not None
    assert [row[1] for row in history.table.rows] == ["refused"]


async def test_console_deny_by_text(console: Console) -> None:
    """`deny N` closes the request; a later approval says so."""
    await console.chat.send("restart payments")
    denied = await console.as_user("bob", "deny 1")
    assert denied.title == "Request #1 denied"
    late = await console.as_user("bob", "approve 1")
    assert "was denied" in late.text
    assert console.executor.executions == []


async def test_console_custom_runbook_by_its_policy_name(console: Console) -> None:
    """A runbook named only in the policy runs from its terse form, whatever the parser made
    of the unfamiliar word; approvals: 0 runs it at once."""
    reply = await console.chat.send("flush-cache payments")
    assert reply.severity is Severity.SUCCESS
    assert reply.title == "Request #1: flush-cache payments done"
    (operation,) = console.executor.executions
    assert (operation.kind, operation.target) == ("run", "payments")
    refused = await console.chat.send("flush-cache payments; reboot")
    assert "carries shell, option or path syntax" in refused.text
    assert len(console.executor.executions) == 1


@pytest.mark.parametrize(
    ("text", "ignored"),
    [("restart payments and web-1", "'and web-1'"), ("restart payments, web-1", "', web-1'"),
     ("restart payments web-1", "'web-1'"), ("restart payments and then web-1", "'and then web-1'"),
     ("restart payments in prod", "'in prod'")],
)  # fmt: skip
async def test_console_a_second_target_refuses_the_whole_request(
    console: Console, text: str, ignored: str
) -> None:
    """A request naming more than its target ("restart payments and web-1") is refused whole,
    saying what would have been ignored, and audited; nothing is planned or stored."""
    reply = await console.chat.send(text)
    assert reply.severity is Severity.WARNING
    assert "so I run nothing" in reply.text
    assert f"only `restart payments` and ignore {ignored}" in reply.text
    assert console.executor.plans == []
    history = await console.chat.send("history")
    assert history.table is not None
    assert [row[1] for row in history.table.rows] == ["refused"]
    assert "one_target" in history.table.rows[0][5]


@pytest.mark.parametrize(
    "text",
    ["restart payments please", "please restart payments now", "restart payments, thanks!",
     "restart the payments deployment", "can you restart payments?"],
)  # fmt: skip
async def test_console_polite_words_around_the_target_are_fine(console: Console, text: str) -> None:
    """Filler after the target changes nothing: the request is made as usual."""
    reply = await console.chat.send(text)
    assert reply.title == "Request #1: restart payments", reply.text
    assert len(console.executor.plans) == 1


async def test_console_reason_with_the_command_and_afterwards_reaches_the_approver(
    console: Console,
) -> None:
    """A reason said with the request and one added with `reason 1 ...` (what the "Add
    reason" dialog sends) are shown to the approver and listed in the audit log."""
    request = await console.chat.send("restart payments because it is hung")
    assert ("Reason (" + ME + ")", "it is hung") in [(f.label, f.value) for f in request.fields]
    (form,) = request.forms
    assert (form.label, form.command) == ("Add reason", "reason 1 {text}")
    assert 'Add reason: say "reason 1 <text>"' in console.out.getvalue()
    added = await console.chat.send(form.filled("the pods  are\nstuck"))
    assert added.echo == "reason 1 the pods are stuck"
    assert [f.value for f in added.fields if f.label.startswith("Reason")] == [
        "it is hung", "the pods are stuck",
    ]  # fmt: skip
    assert [c.command for c in added.choices] == ["approve 1", "deny 1"]
    approval = await console.as_user("carol", "reason 1 I agree")
    assert "not allowed to give a reason for restart" in approval.text
    unknown = await console.chat.send("reason 7 typo")
    assert unknown.text.startswith("There is no request #7 here.")
    history = await console.chat.send("history")
    assert history.table is not None
    assert [(row[1], row[5]) for row in history.table.rows if row[1] == "reason"] == [
        ("reason", "the pods are stuck"), ("reason", "it is hung"),
    ]  # fmt: skip
    assert console.executor.executions == []


def test_console_menus_and_forms_are_say_lines(tmp_path: Path) -> None:
    """The console has no select lists or dialogs: it lists what to say instead."""
    reply = Reply(
        "I don't know a target called 'web'.",
        menus=(Menu("Which target?", (Choice("web-1", "restart web-1"),
                                      Choice("web-2", "restart web-2"))),),
        forms=(Form("Add reason", "Reason for #3", "Why?", "reason 3 {text}"),),
    )  # fmt: skip
    shown = ConsoleRenderer(tmp_path).render(reply).splitlines()
    assert shown[-2:] == [
        '  Which target? say "restart web-1" | "restart web-2"',
        '  Add reason: say "reason 3 <text>"',
    ]


async def test_console_no_to_a_did_you_mean_is_final(console: Console) -> None:
    """ "restrat payments" -> "no" -> "yes": the "no" closed the question, so the later
    "yes" requests nothing (it used to run the restart)."""
    asked = await console.chat.send("restrat payments")
    assert "Did you mean `restart payments`?" in asked.text
    declined = await console.chat.send("no")
    assert "I will not" in declined.text
    late_yes = await console.chat.send("yes")
    assert "nothing waiting for a yes" in late_yes.text
    assert console.executor.plans == []
    history = await console.chat.send("history")
    assert history.table is None


async def test_console_a_decision_told_in_the_past_decides_nothing(console: Console) -> None:
    """bob saying "I approved 1" or quoting "approve 1" decides nothing; "approve 1" does."""
    request = await console.chat.send("restart payments")
    assert request.title == "Request #1: restart payments"
    for told in ("I approved 1", "we approved 1 already", '"approve 1" is what you type'):
        reply = await console.as_user("bob", told)
        assert "Request #1" not in (reply.title or ""), told
    assert console.executor.executions == []
    done = await console.as_user("bob", "approve 1")
    assert done.title == "Request #1: restart payments done"
    assert len(console.executor.executions) == 1


async def test_console_a_change_of_the_replica_count_is_refused(console: Console) -> None:
    """ "scale payments by 2" is refused with what to say instead, and nothing is planned."""
    reply = await console.chat.send("scale payments by 2")
    assert reply.severity is Severity.WARNING
    assert "not by a change" in reply.text
    assert "scale payments to N" in reply.text
    assert console.executor.plans == []
