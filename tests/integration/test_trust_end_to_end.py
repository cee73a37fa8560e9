"""Questions never act, end to end: the adversarial corpus through the whole bot.

The bot is built by the composition root (``open_services``) exactly as ``smartcloudops chat``
builds it, on a policy that lets the console user do everything at zero approvals, with:

* a real Alertmanager (silences are created and expired through its API),
* a recording runbook service behind the real webhook executor (signed HTTP POSTs),
* the real SQL alert store (subscriptions, acknowledgements) and audit store.

Every ``never_act`` line of ``tests/unit/data/safety_corpus.yaml`` (questions, hypotheticals,
negations, reports, how-to, typos, chit-chat, injections) goes through the console adapter in
one conversation: the world must not change at all. Every explicit command must change exactly
one thing, of the kind it names. All of it runs twice: through the console adapter, and
through the Slack adapter (signed ``/ops`` slash commands, answers read back from the fake
Slack's response_url), where a channel can also be subscribed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.console import ConsoleChat, ConsoleRenderer, local_user
from adapters.slack.factory import SLACK_ADAPTER_KEY
from bot.app.config import FileSettings, Settings
from bot.app.server import build_web_app
from bot.app.services import Services, open_services
from bot.core.model import IncomingMessage
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, SIGNING_SECRET, SlackBot, slack_settings
from tests.fakes.slack_requests import slash_command
from tests.harness.alertmanager import TOKEN, AlertmanagerServer

CORPUS = yaml.safe_load(
    (Path(__file__).parents[1] / "unit" / "data" / "safety_corpus.yaml").read_text()
)
#: Questions about reasons, written with the ``reason`` intent (not blind, unlike the corpus).
REASON_QUESTIONS = [
    "reason 12?",
    "what is the reason for request 12?",
    "why was request 12 made?",
    "should I add a reason to 12?",
    "how do I give a reason for a request",
    "the reason for 12 was the disk",
    "don't add a reason to 12",
]
NEVER_ACT: list[str] = [*CORPUS["never_act"], *REASON_QUESTIONS]
COMMANDS: list[dict[str, Any]] = [
    *CORPUS["commands"],
    {"text": "reason 12 the pods are stuck", "intent": "reason",
     "slots": {"request_id": "12", "text": "the pods are stuck"}},
]  # fmt: skip
SECRET_ENV = "SMARTCLOUDOPS_TRUST_E2E_SECRET"
ME = local_user()
ALICE, BOB = "U0ALICE", "U0BOB"
CHANNEL = "C0CA5"


COLLEAGUE = "colleague"
#: Alerts firing in Alertmanager before the corpus runs, so that acknowledgements have
#: something to acknowledge (one group each: grouped by alert name and instance).
FIRING = ("HighErrorRate", "NodeDown", "DiskFull", "CpuSaturated")


def allow_everything(principal: str, colleague: str, runbooks_url: str) -> dict[str, Any]:
    """Every action on every target for ``principal``, at zero approvals, no cooldown, no
    rate limit, direct messages allowed: nothing stands between a parsed intent and the
    world except the parser. One extra action, ``drain``, needs one approval: it is how a
    colleague's pending request exists for ``approve N`` and ``deny N`` to decide."""
    every_target = {"patterns": ["*"]}
    action = {
        "executor": "runbooks",
        "targets": every_target,
        "role": "everyone",
        "approvals": 0,
        "allow_dm": True,
    }
    return {
        "roles": {"everyone": {"users": [principal, colleague]}},
        "alerts": {
            "silence": ["everyone"],
            "subscribe": ["everyone"],
            "acknowledge": ["everyone"],
            "allow_dm": True,
        },
        "executors": {
            "runbooks": {"type": "webhook", "url": runbooks_url, "secret_env": SECRET_ENV},
        },
        "actions": {
            "restart": {**action, "operation": "restart"},
            "scale": {**action, "operation": "scale", "replicas": {"min": 0, "max": 100}},
            "rollback": {**action, "operation": "rollback"},
            "flush-cache": {**action, "operation": "run"},
            "drain": {**action, "operation": "run", "approvals": 1},
        },
    }


@dataclasses.dataclass
class Runbooks:
    """The recording runbook service: every signed POST the webhook executor makes."""

    calls: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(await request.json())
        return web.json_response({"status": "accepted"})


@dataclasses.dataclass(frozen=True)
class World:
    """Everything a chat command could change, read from outside the bot: the runbook
    service's calls, Alertmanager's active silences, and the database's subscriptions,
    acknowledgements, denied requests and reasons given for a request after it was made."""

    executions: tuple[str, ...]
    silences: frozenset[str]
    subscriptions: frozenset[str]
    acknowledged: frozenset[str]
    denied: frozenset[int]
    reasons: frozenset[int]

    def changes_since(self, before: World) -> list[str]:
        out = [f"ran {call}" for call in self.executions[len(before.executions) :]]
        out += [f"silenced {s}" for s in sorted(self.silences - before.silences)]
        out += [f"unsilenced {s}" for s in sorted(before.silences - self.silences)]
        out += [f"subscribed {s}" for s in sorted(self.subscriptions - before.subscriptions)]
        out += [f"unsubscribed {s}" for s in sorted(before.subscriptions - self.subscriptions)]
        out += [f"acknowledged {s}" for s in sorted(self.acknowledged - before.acknowledged)]
        out += [f"denied #{n}" for n in sorted(self.denied - before.denied)]
        out += [f"reasoned #{n}" for n in sorted(self.reasons - before.reasons)]
        return out


#: The kind of change each explicit command must make (exactly one of it, nothing else).
EXPECTED = {
    "remediation": "ran",
    "approve": "ran",
    "deny": "denied",
    "alert_silence": "silenced",
    "unsilence": "unsilenced",
    "subscribe": "subscribed",
    "unsubscribe": "unsubscribed",
    "ack": "acknowledged",
    "reason": "reasoned",
}


@dataclasses.dataclass
class Rig:
    """The bot, the outside world it can change, and how a person talks to it."""

    platform: str
    alertmanager: AlertmanagerServer
    runbooks: Runbooks
    database: Path
    #: ``send(text)`` as the person the policy allows; ``as_colleague(text)`` as the other
    #: role member. Both return what the bot answered, as text.
    send: Callable[[str], Awaitable[str]]
    as_colleague: Callable[[str], Awaitable[str]]

    async def world(self) -> World:
        silences = await asyncio.to_thread(self.alertmanager.silences)
        rows = await asyncio.to_thread(_read, self.database)
        return World(
            executions=tuple(f"{c['action']} {c['target']}" for c in self.runbooks.calls),
            silences=frozenset(s["id"] for s in silences if s["status"]["state"] == "active"),
            **rows,
        )

    async def lift_every_silence(self) -> None:
        for silence in await asyncio.to_thread(self.alertmanager.silences):
            if silence["status"]["state"] == "active":
                path = f"/api/v2/silence/{silence['id']}"
                await asyncio.to_thread(self.alertmanager.request, "DELETE", path)


def _read(database: Path) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        subscriptions = db.execute(
            "SELECT platform, team_id, channel_id, severity, target FROM alert_subscriptions"
        ).fetchall()
        acked = db.execute("SELECT key_hash FROM alert_groups WHERE acked_by IS NOT NULL")
        denied = db.execute("SELECT id FROM remediation_requests WHERE status = 'denied'")
        reasons = db.execute(  # a reason said with a request is part of that request
            "SELECT id FROM audit_events WHERE kind = 'reason' AND correlation_id NOT IN "
            "(SELECT correlation_id FROM audit_events WHERE kind = 'requested'"
            " AND correlation_id IS NOT NULL)"
        )
        return {
            "reasons": frozenset(row[0] for row in reasons),
            "subscriptions": frozenset("/".join(map(str, row)) for row in subscriptions),
            "acknowledged": frozenset(row[0] for row in acked),
            "denied": frozenset(row[0] for row in denied),
        }


async def _firing_groups(database: Path) -> dict[str, str]:
    """Alert name -> group id of the groups the bot recorded from Alertmanager's webhook."""

    def read() -> dict[str, str]:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT key_hash, group_key FROM alert_groups").fetchall()
        return {
            name: key_hash
            for key_hash, key in rows
            for name in FIRING
            if f'alertname="{name}"' in key
        }

    async with asyncio.timeout(30):
        while len(found := await asyncio.to_thread(read)) < len(FIRING):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    return found


@pytest.fixture(params=["console", "slack"])
async def rig(
    request: pytest.FixtureRequest,
    alertmanager: AlertmanagerServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Rig]:
    """The whole bot as ``smartcloudops`` builds it (``open_services``), its web routes on
    the port the real Alertmanager notifies, the alerts of :data:`FIRING` recorded, and a
    person at the console or in a Slack channel."""
    platform: str = request.param
    monkeypatch.setenv(SECRET_ENV, "trust-e2e-secret")
    runbooks = Runbooks()
    runbook_app = web.Application()
    runbook_app.router.add_post("/run", runbooks.handle)
    database = tmp_path / "bot.db"
    async with contextlib.AsyncExitStack() as stack:
        runbook_server = await stack.enter_async_context(TestServer(runbook_app, host="127.0.0.1"))
        runbooks_url = str(runbook_server.make_url("/run"))
        if platform == "slack":
            slack = await stack.enter_async_context(FakeSlack(bot_token=BOT_TOKEN))
            base, me, colleague = slack_settings(slack), f"slack:{ALICE}", f"slack:{BOB}"
        else:
            base, me, colleague = Settings(), f"console:{ME}", f"console:{COLLEAGUE}"
        settings = dataclasses.replace(
            base,
            alertmanager_url=alertmanager.url,
            alertmanager_webhook_token=TOKEN,
            database_url=f"sqlite:///{database}",
            file=FileSettings(policy=allow_everything(me, colleague, runbooks_url)),
        )
        services = await stack.enter_async_context(open_services(settings))
        web_app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        server = TestServer(web_app, host="127.0.0.1", port=alertmanager.receiver_port)
        client = await stack.enter_async_context(TestClient(server))
        for name in FIRING:
            await asyncio.to_thread(alertmanager.fire, name, instance=f"{name.lower()}-1:9100")
        await _firing_groups(database)
        if platform == "slack":
            bot = SlackBot(client, web_app[SLACK_ADAPTER_KEY], SIGNING_SECRET)
            send, as_colleague = _slack_person(bot, slack, ALICE), _slack_person(bot, slack, BOB)
        else:
            renderer = ConsoleRenderer(tmp_path)
            chat = ConsoleChat(services.dispatcher.handle, renderer, io.StringIO())
            send = _console_person(chat, renderer)
            as_colleague = _console_colleague(services)
        yield Rig(platform, alertmanager, runbooks, database, send, as_colleague)


def _console_person(
    chat: ConsoleChat, renderer: ConsoleRenderer
) -> Callable[[str], Awaitable[str]]:
    """What the person reads: the console's rendering of the answer."""

    async def send(text: str) -> str:
        reply = await chat.send(text)
        assert reply is not None
        return renderer.render(reply)

    return send


def _console_colleague(services: Services) -> Callable[[str], Awaitable[str]]:
    async def send(text: str) -> str:
        # The same tenant as the console's own messages: the colleague sees its requests.
        message = IncomingMessage(
            platform="console", team_id="local", channel_id="console",
            user_id=COLLEAGUE, user_name=COLLEAGUE, text=text, is_direct=True, tenant_id="local",
        )  # fmt: skip
        return (await services.dispatcher.handle(message)).plain_text()

    return send


def _slack_person(bot: SlackBot, slack: FakeSlack, user: str) -> Callable[[str], Awaitable[str]]:
    async def send(text: str) -> str:
        hook = slack.response_url(f"ops-{len(slack.calls)}")
        command = slash_command(
            text, response_url=hook, user_id=user, user_name=user.lower(), channel_id=CHANNEL
        )
        status, _ = await bot.send(command)
        assert status == 200
        await bot.settle()
        path = hook.removeprefix(slack.url)
        answers = [c for c in slack.calls_to("response_url") if c.path == path]
        return json.dumps([c.params for c in answers], ensure_ascii=False)

    return send


#: How every renderer begins a state-changing answer (``Reply.echo_line``).
ECHO = "Understood: "


def _starts_with_echo(platform: str, said: str) -> bool:
    """Whether the first thing the person reads is the command understood."""
    if platform == "console":
        return said.startswith(ECHO)
    answers = json.loads(said)
    blocks = answers[0]["blocks"] if answers else []
    return bool(blocks) and blocks[0]["elements"][0]["text"].startswith(ECHO)


async def test_no_question_hypothetical_negation_report_or_typo_changes_anything(
    rig: Rig,
) -> None:
    """Every never_act line, one after another in one conversation: nothing is run,
    silenced, unsilenced, subscribed, unsubscribed, acknowledged or decided."""
    violations: list[str] = []
    for text in NEVER_ACT:
        before = await rig.world()
        said = await rig.send(text)
        changes = (await rig.world()).changes_since(before)
        if changes:
            violations.append(f"{text!r} -> {changes} ({said[:100]!r})")
        elif ECHO in said:
            violations.append(f"{text!r} was answered as a command understood: {said[:100]!r}")
    assert violations == [], "\n".join(violations)
    assert len(NEVER_ACT) >= 150


async def _prepare(rig: Rig, command: dict[str, Any]) -> str:
    """Make the state the command acts on (one silence to lift, a subscription to drop, a
    colleague's pending request to decide) through the bot itself, and return the command's
    text with any id it names replaced by the real one."""
    text: str = command["text"]
    slots = command.get("slots") or {}
    intent = command["intent"]
    if intent == "unsilence":
        await rig.lift_every_silence()
        subject = slots.get("alertname") or slots.get("target") or "NodeDown"
        before = await rig.world()
        await rig.send(f"silence {subject} for 1h")
        (made,) = (await rig.world()).silences - before.silences
        if "silence_id" in slots:
            text = text.replace(str(slots["silence_id"]), made)
    elif intent == "unsubscribe":
        await rig.send(f"subscribe {slots.get('severity') or slots.get('target')}")
    elif intent in ("approve", "deny", "reason"):
        pending = await rig.as_colleague("run drain on payments")
        number = re.search(r"#(\d+)", pending)
        assert number is not None, pending
        text = text.replace(str(slots["request_id"]), number.group(1))
    elif intent == "ack" and re.fullmatch(r"[0-9a-f]{8,}", str(slots.get("alert_id", ""))):
        group = (await _firing_groups(rig.database))["CpuSaturated"]
        text = text.replace(str(slots["alert_id"]), group[:12])
    return text


async def test_each_explicit_command_changes_exactly_one_thing(rig: Rig) -> None:
    """Every explicit command of the corpus, in one conversation: exactly one change, of the
    kind it names. The console cannot receive alert posts, so there a subscription is
    refused with the reason and changes nothing (Slack shows it changing exactly one)."""
    wrong: list[str] = []
    for command in COMMANDS:
        text = await _prepare(rig, command)
        before = await rig.world()
        said = await rig.send(text)
        changes = (await rig.world()).changes_since(before)
        kind = EXPECTED[command["intent"]]
        if rig.platform == "console" and command["intent"] in ("subscribe", "unsubscribe"):
            refused = command["intent"] == "unsubscribe" or "cannot post alerts" in said
            if changes or not refused:
                wrong.append(f"{text!r}: the console must refuse and change nothing: {changes}")
        elif len(changes) != 1 or not changes[0].startswith(kind):
            wrong.append(f"{text!r}: wanted one {kind!r}, got {changes} ({said[:120]!r})")
        if not _starts_with_echo(rig.platform, said):
            wrong.append(
                f"{text!r}: the answer does not start with the command understood: {said[:120]!r}"
            )
    assert wrong == [], "\n".join(wrong)
