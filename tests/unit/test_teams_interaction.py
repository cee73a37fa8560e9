"""Richer interaction on Teams, end to end through the real Bot Framework SDK: Universal
Actions clicks and per-viewer refreshes, menus, forms as task modules, and long answers as a
file in a personal chat; clicks whose answer outlasts the invoke. Activities and invokes
are POSTed to ``/api/messages``; the fake Bot Connector receives (and schema-checks) what the
bot sends and serves the file upload URL. The invoke deadline is a timer the test passes by
hand (never, unless a test says so), and a slow answer is one the core holds until the test
releases it: nothing races a clock."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import itertools
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.config import TeamsConfig
from adapters.teams.factory import ENDPOINT_KEY, TeamsOptions, build_teams
from adapters.teams.retry import RetryPolicy
from bot.app.logs import CorrelationFilter
from bot.core.model import (
    Choice,
    ChoiceStyle,
    Form,
    IncomingMessage,
    Menu,
    Reply,
    Table,
    Visibility,
)
from bot.core.responder import WORKING_ON_IT
from storage.dedupe import InMemoryDedupeStore
from storage.teams_references import InMemoryReferenceStore
from tests.fakes.teams_activities import ADELE_AAD, MEGAN_AAD, mention, payload
from tests.fakes.teams_cards import assert_valid_card, card_texts
from tests.fakes.teams_connector import ConnectorCall, FakeBotConnector

Json = dict[str, Any]
Client = TestClient[web.Request, web.Application]
FAST = TeamsOptions(placeholder_after=5.0, retry=RetryPolicy(base_delay=0.01, max_delay=0.05))
DEV = TeamsConfig.checked(app_id="", app_password="", tenant_id=None, development_mode=True)
APP_ID = "0b1c2d3e-aaaa-4bbb-8ccc-123456789abc"

MEGAN = {"id": "29:1Megan", "name": "Megan Bowen", "aadObjectId": MEGAN_AAD}
ADELE = {"id": "29:1Adele", "name": "Adele Vance", "aadObjectId": ADELE_AAD}
BOB = {"id": "29:1Bob", "name": "Bob Jones", "aadObjectId": "b0b00000-2222-4b22-8b22-b0b000000002"}

APPROVE = Choice("Approve", "approve 12", ChoiceStyle.PRIMARY)
DENY = Choice("Deny", "deny 12", ChoiceStyle.DANGER)
SILENCE = Menu(
    "Silence for…",
    (
        Choice("30 min", "silence HighLatency for 30m"),
        Choice("1 day", "silence HighLatency for 1d"),
        Choice("7 days", "silence HighLatency for 7d"),
    ),
)
REASON = Form("Add reason", "Why restart?", "Reason", "reason 12 {text}", max_length=40)
BIG = Table(("host", "detail"), tuple((f"web-{i}", "x" * 120) for i in range(600)))
#: Bounds a click's HTTP answer, so a bot that waits for a held answer fails instead of hanging.
GUARD_SECONDS = 10.0


class Deadline:
    """The invoke deadline as an injected timer: it passes only once the test says so."""

    def __init__(self) -> None:
        self.passed = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        await self.passed.wait()


class Core:
    """A scripted core: an approval needing two approvers other than its requester (Megan)."""

    def __init__(self) -> None:
        self.messages: list[IncomingMessage] = []
        self.approvers: set[str] = set()
        self.held: dict[str, asyncio.Event] = {}

    def hold(self, text: str) -> asyncio.Event:
        """Answer ``text`` only once the returned event is set."""
        return self.held.setdefault(text, asyncio.Event())

    async def handle(self, message: IncomingMessage) -> Reply:
        self.messages.append(message)
        text = message.text
        if text in self.held:
            await self.held[text].wait()
        if text == "boom":
            raise RuntimeError("the core broke")
        if text == "restart web-1":
            return Reply("Dry run: would restart web-1.", title="Request #12: restart web-1",
                         choices=(APPROVE, DENY), forms=(REASON,))  # fmt: skip
        if text == "approve 12":
            return self._approve(message.user_id)
        if text == "alert":
            return Reply("HighLatency is firing", menus=(SILENCE,))
        if text == "big":
            return Reply("Every host", title="Hosts: detail", table=BIG)
        return Reply(f"done: {text}")

    def _approve(self, user: str) -> Reply:
        if user == MEGAN_AAD:
            return Reply("Your own approval does not count.", choices=(APPROVE, DENY),
                         visibility=Visibility.PRIVATE)  # fmt: skip
        self.approvers.add(user)
        if len(self.approvers) >= 2:
            return Reply("Approved by both; restarted web-1.", title="Request #12 done")
        return Reply("Approval recorded. Waiting for 1 more.", choices=(APPROVE, DENY))

    def texts(self) -> list[tuple[str, str]]:
        return [(m.text, m.user_id) for m in self.messages]


@dataclasses.dataclass
class World:
    client: Client
    app: web.Application
    connector: FakeBotConnector
    core: Core
    deadline: Deadline
    _ids: itertools.count[int] = dataclasses.field(default_factory=lambda: itertools.count(1))

    async def post(self, body: Json, *, status: int = 200) -> Any:
        """POST an activity; the JSON answer of an invoke (None for a message)."""
        response = await self.client.post("/api/messages", json=body)
        await self.app[ENDPOINT_KEY].drain()
        assert response.status == status
        return await response.json() if status == 200 else None

    async def ask(self, text: str, *, user: Json = MEGAN) -> tuple[str, Json]:
        """``text`` mentioned in the channel by ``user``: (the reply's card id, its card)."""
        body = mention(text, service_url=self.connector.url, activity_id=self.next_id())
        await self.post({**body, "from": user}, status=202)
        reply = self.connector.of_kind("reply")[-1]
        return self.posted_id(reply), reply.cards[0]

    async def invoke(self, name: str, value: Json, *, user: Json, card_id: str | None) -> Any:
        body = payload(name, service_url=self.connector.url, activity_id=self.next_id())
        body["value"] = value
        body["from"] = user
        if card_id is None:
            body.pop("replyToId", None)
        else:
            body["replyToId"] = card_id
        return await self.post(body)

    async def execute(
        self, data: Json, *, user: Json, card_id: str | None, verb: str = "command",
        trigger: str = "manual",
    ) -> Json:  # fmt: skip
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}}
        answer: Json = await self.invoke(
            "card_action", {**value, "trigger": trigger}, user=user, card_id=card_id
        )
        return answer

    async def slow_click(
        self, data: Json, *, user: Json, card_id: str, activity_id: str | None = None
    ) -> Json:
        """A click answered after the invoke deadline passed: the invoke's answer, without
        waiting for the work it left running (:meth:`settle` does)."""
        body = payload("card_action", service_url=self.connector.url,
                       activity_id=activity_id or self.next_id())  # fmt: skip
        body["value"]["action"]["data"] = data
        body["from"] = user
        body["replyToId"] = card_id
        self.deadline.passed.set()
        try:
            async with asyncio.timeout(GUARD_SECONDS):
                response = await self.client.post("/api/messages", json=body)
        finally:
            self.deadline.passed.clear()
        assert response.status == 200
        answer: Json = await response.json()
        return answer

    async def settle(self) -> None:
        """Wait for every turn and late answer still running."""
        await self.app[ENDPOINT_KEY].drain()

    def personal(self) -> list[ConnectorCall]:
        """What the bot sent into 1:1 chats it opened."""
        return [c for c in self.connector.calls if c.conversation_id.startswith("a:personal-")]

    def base(self, card_id: str) -> Json:
        """Card ``card_id`` as everyone sees it: its latest update, else the reply."""
        updates = [c for c in self.connector.of_kind("update") if c.activity_id == card_id]
        if updates:
            return updates[-1].cards[0]
        [reply] = [c for c in self.connector.calls if self.posted_id(c) == card_id]
        return reply.cards[0]

    def posted_id(self, call: ConnectorCall) -> str:
        created = [c for c in self.connector.calls if c.kind != "update" and c.status < 300]
        return f"bot-{created.index(call) + 1}" if call in created else ""

    def next_id(self) -> str:
        return str(1715680000000 + next(self._ids))


@contextlib.asynccontextmanager
async def running(config: TeamsConfig = DEV) -> AsyncIterator[World]:
    core = Core()
    deadline = Deadline()
    async with FakeBotConnector() as connector:
        parts = build_teams(
            config,
            handle=core.handle,
            dedupe=InMemoryDedupeStore(),
            references=InMemoryReferenceStore(),
            documents=InMemoryReferenceStore(),
            options=dataclasses.replace(FAST, invoke_timer=deadline),
        )
        app = web.Application()
        parts.mount(app)
        async with TestClient(TestServer(app)) as client:
            yield World(client, app, connector, core, deadline)
        assert connector.invalid_cards == []


def buttons(card: Json) -> list[str]:
    """The commands of every ``Action.Execute`` button on ``card`` (refresh excluded)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and "command" in node.get("data", {}):
                found.append(node["data"]["command"])
            for key, value in node.items():
                if key != "refresh":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def shown(card: Json) -> str:
    return "\n".join(card_texts(card))


def card_of(answer: Json) -> Json:
    """The card of an ``adaptiveCard/action`` invoke answer, checked against the schema."""
    assert answer["statusCode"] == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    card: Json = answer["value"]
    assert_valid_card(card)
    return card


def data_of(choice: Choice) -> Json:
    return {"command": choice.command, "label": choice.label}


# --------------------------------------------------------------------------- Universal Actions


async def test_a_click_runs_as_the_clicker_and_refreshes_into_their_own_view() -> None:
    """Adele's Approve runs `approve 12` as her AAD id; her card (the invoke answer) has no
    Approve button left, while the card everyone sees keeps it and names her in ``refresh``."""
    async with running() as world:
        card_id, card = await world.ask("restart web-1")
        assert buttons(card) == ["approve 12", "deny 12"]
        assert "refresh" not in card

        answer = await world.execute(data_of(APPROVE), user=ADELE, card_id=card_id)
        assert world.core.texts()[-1] == ("approve 12", ADELE_AAD)
        mine = card_of(answer)
        assert "Adele Vance chose “Approve”" in shown(mine)
        assert "You chose “Approve”." in shown(mine)
        assert buttons(mine) == ["deny 12"]

        everyone = world.base(card_id)
        assert "Approval recorded" in shown(everyone)
        assert buttons(everyone) == ["approve 12", "deny 12"]
        assert "You chose" not in shown(everyone)
        refresh = everyone["refresh"]
        assert refresh["userIds"] == [ADELE["id"]]
        assert refresh["action"] == {
            "type": "Action.Execute",
            "title": "Refresh",
            "verb": "refresh",
            "data": {"card": card_id},
        }


async def test_a_refresh_shows_each_viewer_their_card_and_never_acts() -> None:
    """Refreshing (automatically or by hand) reads views only: Adele (approved) sees no
    Approve, Bob (did nothing) sees the shared card; the core hears nothing."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        await world.execute(data_of(APPROVE), user=ADELE, card_id=card_id)
        heard = len(world.core.messages)
        refresh = {"card": card_id}

        adele = card_of(await world.execute(refresh, user=ADELE, card_id=card_id,
                                            verb="refresh", trigger="automatic"))  # fmt: skip
        bob = card_of(await world.execute(refresh, user=BOB, card_id=card_id, verb="refresh"))
        assert buttons(adele) == ["deny 12"]
        assert buttons(bob) == ["approve 12", "deny 12"]
        assert "You chose" not in shown(bob)
        assert len(world.core.messages) == heard


async def test_an_automatic_trigger_never_runs_a_command() -> None:
    """An Action.Execute with a command but no person behind it (trigger automatic) is
    refused; nothing reaches the core."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        heard = len(world.core.messages)
        answer = await world.execute(data_of(APPROVE), user=ADELE, card_id=card_id,
                                     trigger="automatic")  # fmt: skip
        assert answer["statusCode"] == 400
        assert answer["type"] == "application/vnd.microsoft.error"
        assert len(world.core.messages) == heard


async def test_a_refused_click_is_shown_to_the_clicker_alone() -> None:
    """Megan's own approval is refused in private: she sees the refusal and no Approve;
    the card everyone sees is not replaced with her refusal."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        answer = await world.execute(data_of(APPROVE), user=MEGAN, card_id=card_id)
        mine = card_of(answer)
        assert "Your own approval does not count." in shown(mine)
        assert buttons(mine) == ["deny 12"]
        assert world.connector.of_kind("update") == []
        assert buttons(world.base(card_id)) == ["approve 12", "deny 12"]


async def test_after_someone_else_approves_the_requester_still_sees_why_not() -> None:
    """Megan was refused, then Adele approved: the shared card moves on and Megan's
    refreshed view of it still has no Approve and says what happened to her click."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        await world.execute(data_of(APPROVE), user=MEGAN, card_id=card_id)
        await world.execute(data_of(APPROVE), user=ADELE, card_id=card_id)
        everyone = world.base(card_id)
        assert sorted(everyone["refresh"]["userIds"]) == sorted([MEGAN["id"], ADELE["id"]])
        megan = card_of(await world.execute({"card": card_id}, user=MEGAN, card_id=card_id,
                                            verb="refresh", trigger="automatic"))  # fmt: skip
        assert "Approval recorded" in shown(megan)
        assert "You chose “Approve”: Your own approval does not count." in shown(megan)
        assert buttons(megan) == ["deny 12"]


async def test_a_finished_card_is_the_same_for_everyone() -> None:
    """Once the request is done the card has no buttons and no refresh; a late refresh
    leaves it as it is."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        await world.execute(data_of(APPROVE), user=ADELE, card_id=card_id)
        answer = await world.execute(data_of(APPROVE), user=BOB, card_id=card_id)
        assert "restarted web-1" in shown(card_of(answer))
        everyone = world.base(card_id)
        assert buttons(everyone) == []
        assert "refresh" not in everyone
        late = await world.execute({"card": card_id}, user=ADELE, card_id=card_id,
                                   verb="refresh")  # fmt: skip
        assert late["type"] == "application/vnd.microsoft.activity.message"


async def test_a_repeated_invoke_is_answered_once() -> None:
    """The same invoke delivered twice runs its command once."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        body = payload("card_action", service_url=world.connector.url, activity_id="f:dup")
        body["from"] = ADELE
        body["replyToId"] = card_id
        body["value"]["action"]["data"] = data_of(APPROVE)
        first = await world.post(copy.deepcopy(body))
        second = await world.post(body)
        assert [t for t in world.core.texts() if t[0] == "approve 12"] == [
            ("approve 12", ADELE_AAD)
        ]
        card_of(first)
        assert second["type"] == "application/vnd.microsoft.activity.message"


async def test_an_invoke_without_a_valid_token_is_rejected() -> None:
    """With an app id, an adaptiveCard/action invoke without a Bot Framework token is 401
    and runs nothing, like any other activity."""
    config = TeamsConfig.checked(app_id=APP_ID, app_password="secret", tenant_id=None,
                                 development_mode=False)  # fmt: skip
    async with running(config) as world:
        body = payload("card_action", service_url=world.connector.url)
        body["value"]["action"]["data"] = data_of(APPROVE)
        await world.post(body, status=401)
        assert world.core.messages == []


# --------------------------------------------------------------------------- slow clicks


async def test_a_slow_click_is_answered_working_on_it_then_its_answer_follows() -> None:
    """Past the deadline Adele's invoke is answered at once ("… chose “Approve”. Working on
    it…", no buttons) while `approve 12` still runs; when it is done the shared card is
    updated with a refresh naming her, and her refresh shows her answer."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        release = world.core.hold("approve 12")

        working = card_of(await world.slow_click(data_of(APPROVE), user=ADELE, card_id=card_id))
        assert shown(working) == f"Adele Vance chose “Approve”. {WORKING_ON_IT}"
        assert buttons(working) == []
        assert world.connector.of_kind("update") == []

        release.set()
        await world.settle()
        everyone = world.base(card_id)
        assert "Approval recorded" in shown(everyone)
        assert everyone["refresh"]["userIds"] == [ADELE["id"]]
        adele = card_of(await world.execute({"card": card_id}, user=ADELE, card_id=card_id,
                                            verb="refresh", trigger="automatic"))  # fmt: skip
        assert "You chose “Approve”." in shown(adele)
        assert "Approval recorded" in shown(adele)
        assert buttons(adele) == ["deny 12"]
        assert world.core.texts().count(("approve 12", ADELE_AAD)) == 1


async def test_a_slow_private_answer_reaches_the_clicker_in_their_personal_chat() -> None:
    """Megan's own approval, refused in private after the deadline: the shared card stays
    as it was (nobody else sees the refusal) and the refusal is posted to Megan in her 1:1
    chat with the bot; her refresh of the card shows it too."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        release = world.core.hold("approve 12")
        working = card_of(await world.slow_click(data_of(APPROVE), user=MEGAN, card_id=card_id))
        assert WORKING_ON_IT in shown(working)

        release.set()
        await world.settle()
        assert world.connector.of_kind("update") == []
        [create] = world.connector.of_kind("create")
        assert [m["id"] for m in create.body["members"]] == [MEGAN["id"]]
        [sent] = world.personal()
        assert "Your own approval does not count." in shown(sent.cards[0])
        megan = card_of(await world.execute({"card": card_id}, user=MEGAN, card_id=card_id,
                                            verb="refresh", trigger="automatic"))  # fmt: skip
        assert "Your own approval does not count." in shown(megan)
        assert buttons(megan) == ["deny 12"]


async def test_a_slow_private_answer_on_a_shared_card_refreshes_for_the_clicker() -> None:
    """Adele approved first, so the card has a shared state; Megan's refusal after the
    deadline updates that card with a refresh naming her, which shows her the refusal
    (and Adele still her own view), with no message in a personal chat."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        await world.execute(data_of(APPROVE), user=ADELE, card_id=card_id)
        updates = len(world.connector.of_kind("update"))
        release = world.core.hold("approve 12")
        await world.slow_click(data_of(APPROVE), user=MEGAN, card_id=card_id)

        release.set()
        await world.settle()
        assert len(world.connector.of_kind("update")) == updates + 1
        everyone = world.base(card_id)
        assert "Approval recorded" in shown(everyone)
        assert "does not count" not in shown(everyone)
        assert MEGAN["id"] in everyone["refresh"]["userIds"]
        assert world.personal() == []
        megan = card_of(await world.execute({"card": card_id}, user=MEGAN, card_id=card_id,
                                            verb="refresh", trigger="automatic"))  # fmt: skip
        assert "Your own approval does not count." in shown(megan)


async def test_a_retried_slow_click_runs_once() -> None:
    """Teams retrying the same invoke (same activity id) while its answer runs gets the
    same "Working on it…" card and runs nothing; a retry after it finished is skipped."""
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        release = world.core.hold("approve 12")
        first = await world.slow_click(data_of(APPROVE), user=ADELE, card_id=card_id,
                                       activity_id="f:slow")  # fmt: skip
        again = await world.slow_click(data_of(APPROVE), user=ADELE, card_id=card_id,
                                       activity_id="f:slow")  # fmt: skip
        assert card_of(again) == card_of(first)
        assert WORKING_ON_IT in shown(card_of(again))

        release.set()
        await world.settle()
        late = await world.slow_click(data_of(APPROVE), user=ADELE, card_id=card_id,
                                      activity_id="f:slow")  # fmt: skip
        assert late["type"] == "application/vnd.microsoft.activity.message"
        assert world.core.texts().count(("approve 12", ADELE_AAD)) == 1
        assert "Approval recorded" in shown(world.base(card_id))


async def test_a_slow_click_that_fails_is_apologised_for_and_logged_with_its_ref(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A late failure is not lost: the clicker gets an apology quoting a ref in their 1:1
    chat, and the log line with the traceback carries that same correlation id."""
    caplog.handler.addFilter(CorrelationFilter())
    async with running() as world:
        card_id, _ = await world.ask("restart web-1")
        release = world.core.hold("boom")
        await world.slow_click({"command": "boom", "label": "Boom"}, user=ADELE, card_id=card_id)
        with caplog.at_level(logging.ERROR):
            release.set()
            await world.settle()
        [sent] = world.personal()
        apology = shown(sent.cards[0])
        assert "Sorry, something went wrong on my side" in apology
        match = re.search(r"ref ([0-9a-f]{12})", apology)
        assert match is not None
        [failure] = [r for r in caplog.records if r.exc_info]
        assert getattr(failure, "correlation_id", None) == match.group(1)
        assert world.connector.of_kind("update") == []


# --------------------------------------------------------------------------- menus


async def test_a_menu_pick_sends_the_picked_command_as_the_picker() -> None:
    """Picking "1 day" sends `silence HighLatency for 1d` as Adele."""
    async with running() as world:
        card_id, card = await world.ask("alert")
        [choose] = [e["actions"][0] for e in card["body"] if e["type"] == "ActionSet"]
        answer = await world.execute({**choose["data"], "menu0": "1"}, user=ADELE,
                                     card_id=card_id)  # fmt: skip
        assert world.core.texts()[-1] == ("silence HighLatency for 1d", ADELE_AAD)
        assert "Adele Vance chose “1 day”" in shown(card_of(answer))


async def test_a_pick_outside_the_listed_options_sends_nothing() -> None:
    """An index that is not one of the menu's options (or none at all) is refused."""
    async with running() as world:
        card_id, card = await world.ask("alert")
        [choose] = [e["actions"][0] for e in card["body"] if e["type"] == "ActionSet"]
        heard = len(world.core.messages)
        for pick in ({"menu0": "7"}, {"menu0": "-1"}, {}):
            answer = await world.execute({**choose["data"], **pick}, user=ADELE, card_id=card_id)
            assert answer["statusCode"] == 400
        assert len(world.core.messages) == heard


# --------------------------------------------------------------------------- forms


async def test_a_form_opens_a_task_module_with_one_bounded_field() -> None:
    """task/fetch answers with a task module: an Adaptive Card with one required
    Input.Text of the form's length and a Send button carrying the form."""
    async with running() as world:
        card_id, card = await world.ask("restart web-1")
        [form] = [a for a in card["actions"] if a["type"] == "Action.Submit"]
        answer = await world.invoke("task_fetch", {"data": form["data"]}, user=ADELE,
                                    card_id=card_id)  # fmt: skip
        task = answer["task"]
        assert task["type"] == "continue"
        assert task["value"]["title"] == "Why restart?"
        dialog = task["value"]["card"]
        assert dialog["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert_valid_card(dialog["content"])
        [field] = dialog["content"]["body"]
        assert (field["type"], field["id"], field["maxLength"]) == ("Input.Text", "text", 40)
        assert field["label"] == "Reason"
        [send] = dialog["content"]["actions"]
        assert send["data"] == {"form": form["data"]["form"]}
        assert world.core.messages[-1].text == "restart web-1"


async def test_a_submitted_form_sends_its_command_as_the_submitter_in_that_conversation() -> None:
    """task/submit closes the dialog and runs `reason 12 <text>` (one line, cut to the
    form's length) as Adele; the answer is posted in the channel thread."""
    async with running() as world:
        _, card = await world.ask("restart web-1")
        [form] = [a for a in card["actions"] if a["type"] == "Action.Submit"]
        typed = "pods stuck\n  in   CrashLoopBackOff since the 09:00 deploy of checkout"
        data = {"form": form["data"]["form"], "text": typed}
        replies = len(world.connector.of_kind("reply"))
        answer = await world.invoke("task_submit", {"data": data}, user=ADELE, card_id=None)
        assert answer is None
        expected = "reason 12 " + " ".join(typed.split())[:40]
        assert world.core.texts()[-1] == (expected, ADELE_AAD)
        reply = world.connector.of_kind("reply")[-1]
        assert len(world.connector.of_kind("reply")) == replies + 1
        assert reply.conversation_id.startswith("19:0b8e3a5f9c1d4e2f8a7b6c5d4e3f2a1b@thread.tacv2")
        assert f"done: {expected}" in shown(reply.cards[0])


async def test_an_empty_or_malformed_form_sends_nothing() -> None:
    """Blank text, a command without a place for it, or an oversized length ask are not
    run (the length is capped at 1000 whatever the invoke says)."""
    async with running() as world:
        form = {"title": "Why?", "prompt": "Reason", "command": "reason 12 {text}", "max": 99999}
        empty = await world.invoke("task_submit", {"data": {"form": form, "text": "  \n "}},
                                   user=ADELE, card_id=None)  # fmt: skip
        assert empty == {
            "task": {"type": "message", "value": "Nothing was sent: the text was empty."}
        }
        broken = {**form, "command": "restart web-1"}
        answer = await world.invoke("task_submit", {"data": {"form": broken, "text": "x"}},
                                    user=ADELE, card_id=None)  # fmt: skip
        assert answer["task"]["type"] == "message"
        assert world.core.messages == []
        await world.invoke("task_submit", {"data": {"form": form, "text": "y" * 5000}},
                           user=ADELE, card_id=None)  # fmt: skip
        assert world.core.messages[-1].text == "reason 12 " + "y" * 1000


# --------------------------------------------------------------------------- files


async def offered(world: World) -> tuple[ConnectorCall, Json]:
    """Ask for the big answer in Megan's personal chat: (the consent activity, its card)."""
    body = payload("personal_message", service_url=world.connector.url, text="big",
                   activity_id=world.next_id())  # fmt: skip
    await world.post(body, status=202)
    card_reply, consent = world.connector.of_kind("reply")[-2:]
    assert "Cut to fit a Teams message" in shown(card_reply.cards[0])
    [attachment] = consent.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
    return consent, attachment


def consent_value(world: World, attachment: Json, action: str) -> Json:
    content = attachment["content"]
    context = content["acceptContext" if action == "accept" else "declineContext"]
    upload = {
        "contentUrl": "https://contoso-my.sharepoint.com/personal/megan/Hosts-detail.txt",
        "name": attachment["name"],
        "uploadUrl": world.connector.upload_url(attachment["name"]),
        "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
        "fileType": "txt",
    }
    value = {"type": "fileUpload", "action": action, "context": context}
    return {**value, "uploadInfo": upload} if action == "accept" else value


async def test_a_long_answer_in_a_personal_chat_is_offered_then_uploaded_as_a_file() -> None:
    """The cut card is followed by a FileConsentCard; on accept the whole answer is PUT to
    the upload URL (one Content-Range) and a FileInfoCard is posted."""
    async with running() as world:
        _, attachment = await offered(world)
        assert attachment["name"] == "Hosts-detail.txt"
        content = attachment["content"]
        assert content["sizeInBytes"] > 60_000
        value = consent_value(world, attachment, "accept")
        await world.invoke("file_consent", value, user=MEGAN, card_id="bot-2")
        [upload] = world.connector.uploads
        text = upload.data.decode("utf-8")
        assert "web-599 | " + "x" * 120 in text
        assert len(upload.data) == content["sizeInBytes"]
        assert upload.content_range == f"bytes 0-{len(upload.data) - 1}/{len(upload.data)}"
        info = world.connector.of_kind("reply")[-1].body["attachments"][0]
        assert info["contentType"] == "application/vnd.microsoft.teams.card.file.info"
        assert info["contentUrl"] == value["uploadInfo"]["contentUrl"]
        assert info["content"] == {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
                                   "fileType": "txt"}  # fmt: skip


async def test_a_declined_file_is_not_uploaded_and_the_user_is_told() -> None:
    """Decline: no upload, a short note saying how to see the rest; a later accept of the
    same offer finds nothing."""
    async with running() as world:
        _, attachment = await offered(world)
        await world.invoke("file_consent", consent_value(world, attachment, "decline"),
                           user=MEGAN, card_id="bot-2")  # fmt: skip
        assert "OK, no file." in shown(world.connector.of_kind("reply")[-1].cards[0])
        await world.invoke("file_consent", consent_value(world, attachment, "accept"),
                           user=MEGAN, card_id="bot-2")  # fmt: skip
        assert world.connector.uploads == []
        assert "no longer available" in shown(world.connector.of_kind("reply")[-1].cards[0])


async def test_only_the_person_offered_the_file_can_accept_it() -> None:
    """An accept from another user uploads nothing."""
    async with running() as world:
        _, attachment = await offered(world)
        await world.invoke("file_consent", consent_value(world, attachment, "accept"),
                           user=ADELE, card_id="bot-2")  # fmt: skip
        assert world.connector.uploads == []
        assert "offered to someone else" in shown(world.connector.of_kind("reply")[-1].cards[0])


async def test_a_long_answer_in_a_channel_is_cut_and_offers_no_file() -> None:
    """Files are a personal-scope feature: in a channel the card is cut and says how to
    narrow the question, and nothing else is sent."""
    async with running() as world:
        _, card = await world.ask("big")
        assert "Cut to fit a Teams message; ask a narrower question to see everything." in shown(
            card
        )
        assert len(world.connector.of_kind("reply")) == 1
