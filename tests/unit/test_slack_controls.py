"""Slack menus and dialogs against the fake Slack, on the bot built by the composition root:
a menu is a ``static_select`` whose pick is its command sent as the picker; a form is a
button that opens a modal (``views.open``), and the modal's submission is the form's command
with the typed text, sent as the submitter and answered in the channel and thread of the
button. The reason typed there lands in the audit log."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.slack.factory import SLACK_ADAPTER_KEY
from adapters.slack.render import render
from bot.app.config import FileSettings
from bot.app.server import build_web_app
from bot.app.services import Services, open_services
from bot.core.model import Choice, Form, Menu, Reply
from bot.features.remediation.model import AuditKind, AuditQuery
from tests.fakes.slack_api import Call, FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, SIGNING_SECRET, SlackBot, slack_settings
from tests.fakes.slack_requests import FORM, SlackRequest, payload, slash_command

ANA, BOB = "U0ANA", "U0BOB"
TEAM, CHANNEL = "T0001", "C2147483705"
POLICY: dict[str, Any] = {
    "roles": {"operators": {"users": [f"slack:{ANA}"]}, "approvers": {"users": [f"slack:{BOB}"]}},
    "executors": {"runbooks": {"type": "command"}},
    "actions": {
        "restart": {
            "executor": "runbooks", "command": ["/bin/true", "{target}"],
            "targets": {"names": ["payments", "web-1", "web-2"]},
            "role": "operators", "approver_role": "approvers", "approvals": 1,
        },
    },
}  # fmt: skip


@dataclass
class Rig:
    bot: SlackBot
    fake: FakeSlack
    services: Services

    async def ask(self, text: str, user: str = ANA, name: str = "m") -> Call:
        url = self.fake.response_url(name)
        await self.bot.send(slash_command(text, response_url=url, user_id=user))
        await self.bot.settle()
        return [c for c in self.fake.calls_to("response_url") if c.path.endswith(name)][-1]

    async def interact(self, body: dict[str, Any]) -> int:
        status, _ = await self.bot.send(
            SlackRequest(urlencode({"payload": json.dumps(body)}), FORM)
        )
        await self.bot.settle()
        return status


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with FakeSlack(bot_token=BOT_TOKEN) as fake:
        settings = dataclasses.replace(slack_settings(fake), file=FileSettings(policy=POLICY))
        async with open_services(settings) as services:
            app = build_web_app(services.telemetry, services.checks, services.web_plugins)
            async with TestClient(TestServer(app)) as client:
                yield Rig(SlackBot(client, app[SLACK_ADAPTER_KEY], SIGNING_SECRET), fake, services)


def clicked(blocks: list[dict[str, Any]], element: dict[str, Any], user: str, url: str,
            message_ts: str = "1700000001.000100", **action: Any) -> dict[str, Any]:  # fmt: skip
    """A ``block_actions`` payload for ``element`` of the bot's message ``blocks``."""
    body = payload("block_actions")
    body["user"] |= {"id": user, "username": user.lower()}
    body["channel"]["id"] = body["container"]["channel_id"] = CHANNEL
    body["message"] |= {"blocks": blocks, "ts": message_ts}
    body["container"]["message_ts"] = message_ts
    body["response_url"] = url
    block = next(b for b in blocks if element in b.get("elements", []))
    ids = {"action_id": element["action_id"], "block_id": block["block_id"]}
    body["actions"] = [ids | {"type": element["type"], "action_ts": "1.000001", **action}]
    return body


def submitted(view: dict[str, Any], user: str, text: str) -> dict[str, Any]:
    """A ``view_submission`` of the modal ``view`` as Slack sends it."""
    typed = {"type": "plain_text_input", "value": text}
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "example"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0MDYCDME",
        "trigger_id": "12466734323.1395872398.abc",
        "view": view | {"state": {"values": {"sco:text": {"text": typed}}}},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def opened_view(call: Call) -> dict[str, Any]:
    view = call.params["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


def elements(blocks: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == kind]


def test_menus_and_forms_are_valid_block_kit_and_a_modal() -> None:
    """Every block and the modal pass ``slack_sdk``'s own models unchanged."""
    reply = Reply(
        "Firing: HighLatency",
        menus=(Menu("Silence for...", (Choice("30 min", "silence X for 30m"),
                                       Choice("7 days", "silence X for 7d"))),),
        forms=(Form("Add reason", "Reason for request #12", "Why?", "reason 12 {text}"),),
    )  # fmt: skip
    message = render(reply)
    for block in message.blocks:
        assert Block.parse(block).to_dict() == block  # type: ignore[union-attr]
    (select,) = elements(list(message.blocks), "static_select")
    assert select["placeholder"]["text"] == "Silence for..."
    assert [o["value"] for o in select["options"]] == ["silence X for 30m", "silence X for 7d"]


async def test_a_pick_from_a_menu_is_its_command_sent_as_the_picker(rig: Rig) -> None:
    """ "cpu of web" offers "Which target?"; Bob's pick of web-2 is answered about web-2."""
    asked = await rig.ask("cpu of web", name="which")
    (select,) = elements(asked.blocks, "static_select")
    assert [o["value"] for o in select["options"]] == ["metric cpu web-1", "metric cpu web-2"]
    url = rig.fake.response_url("pick")
    body = clicked(asked.blocks, select, BOB, url, selected_option=select["options"][1])
    assert await rig.interact(body) == 200
    answer = [c for c in rig.fake.calls_to("response_url") if c.path.endswith("pick")][-1]
    assert "web-2" in answer.displayed()
    assert f"by <@{BOB}>" in answer.all_text()


async def test_the_reason_dialog_writes_the_reason_as_its_submitter(rig: Rig) -> None:
    """Add reason -> views.open with the click's trigger -> the submission runs `reason N
    <text>` as the submitter, in the request's channel and thread; the audit log keeps it."""
    asked = await rig.ask("restart payments because it is hung", name="req")
    assert "it is hung" in asked.displayed()
    (button,) = [
        e for e in elements(asked.blocks, "button") if e["action_id"].startswith("sco:form:")
    ]
    body = clicked(asked.blocks, button, ANA, rig.fake.response_url("form"), value=button["value"])
    assert await rig.interact(body) == 200
    (opened,) = rig.fake.calls_to("views.open")
    assert opened.params["trigger_id"] == body["trigger_id"]
    view = opened_view(opened)
    assert View(**view).to_dict() == view
    assert view["title"]["text"].startswith("Reason for #")
    view |= {"id": "V0001", "hash": "h1"}

    typed = "pods stuck in CrashLoop <!channel>\n see <https://grafana/x|graph>"
    assert await rig.interact(submitted(view, ANA, typed)) == 200
    (post,) = rig.fake.calls_to("chat.postMessage")
    assert (post.params["channel"], post.params["thread_ts"]) == (CHANNEL, "1700000001.000100")
    assert "Reason added to the audit log" in post.displayed()
    assert "<!channel>" not in post.all_text()
    assert rig.services.remediation is not None
    query = AuditQuery(kinds=(AuditKind.REASON,), scope=f"slack:{TEAM}")
    reasons = await (await rig.services.remediation.get()).history(query)
    assert [(e.actor, e.detail) for e in reversed(reasons)] == [
        (f"slack:{ANA}", "it is hung"),
        (f"slack:{ANA}", "pods stuck in CrashLoop channel see graph"),
    ]
    assert all(e.correlation_id for e in reasons)


async def test_a_submission_whose_metadata_is_not_sane_runs_nothing(rig: Rig) -> None:
    asked = await rig.ask("restart payments", name="req")
    (button,) = [
        e for e in elements(asked.blocks, "button") if e["action_id"].startswith("sco:form:")
    ]
    body = clicked(asked.blocks, button, ANA, rig.fake.response_url("form"), value=button["value"])
    await rig.interact(body)
    view = opened_view(rig.fake.calls_to("views.open")[0])
    for bad in ({"ch": "C1; rm -rf /"}, {"th": "../x"}, {"c": "restart payments"}, {"m": 10**6}):
        meta = json.loads(view["private_metadata"]) | bad
        tampered = view | {"id": "V0002", "hash": str(bad), "private_metadata": json.dumps(meta)}
        assert await rig.interact(submitted(tampered, ANA, "pods stuck")) == 200
    assert rig.fake.calls_to("chat.postMessage") == []
    assert rig.services.remediation is not None
    query = AuditQuery(kinds=(AuditKind.REASON,), scope=f"slack:{TEAM}")
    assert await (await rig.services.remediation.get()).history(query) == []


async def test_a_dialog_answer_the_channel_refuses_reaches_the_submitter_directly(rig: Rig) -> None:
    """A request made with /ops in a channel the app is not in: its Add reason answer cannot
    be posted there, so it goes to the submitter's direct messages, saying why."""
    asked = await rig.ask("restart payments", name="req")
    (button,) = [
        e for e in elements(asked.blocks, "button") if e["action_id"].startswith("sco:form:")
    ]
    body = clicked(asked.blocks, button, ANA, rig.fake.response_url("form"), value=button["value"])
    await rig.interact(body)
    view = opened_view(rig.fake.calls_to("views.open")[0]) | {"id": "V0003", "hash": "h3"}
    rig.fake.fail("chat.postMessage", "not_in_channel")
    assert await rig.interact(submitted(view, ANA, "pods stuck")) == 200
    posts = rig.fake.calls_to("chat.postMessage")
    assert [p.params["channel"] for p in posts] == [CHANNEL, ANA, ANA]
    assert "Invite me there" in posts[1].displayed()
    assert "Reason added to the audit log" in posts[2].displayed()
