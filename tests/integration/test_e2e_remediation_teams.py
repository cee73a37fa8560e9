"""Guarded remediation end to end on Teams: the real bot (``open_services``: intent parser,
policy, SQLite audit log, the Kubernetes executor) behind the real Teams plugin (Bot
Framework SDK, development mode: no app id, so no request authentication), driven by
real-shaped activities POSTed to ``/api/messages`` from users keyed by their AAD object id,
with the fake Bot Connector recording (and schema-checking) every card the bot sends and
the fake Kubernetes API recording what the executor does.

Every click is a Universal Actions invoke (``adaptiveCard/action``) of an ``Action.Execute``
on the card as the connector last received it (the reply, or its latest update), so a card
that lost its buttons cannot be clicked again; the clicker's own card is the invoke's answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.factory import ENDPOINT_KEY, TeamsOptions
from bot.app.config import Settings
from bot.app.server import build_web_app
from bot.app.services import open_services
from tests.fakes.e2e_remediation import NAMESPACE, TARGET, remediation_settings, restart_patches
from tests.fakes.k8s_api import FakeKubernetesApi
from tests.fakes.teams_activities import mention, payload
from tests.fakes.teams_cards import card_texts
from tests.fakes.teams_connector import ConnectorCall, FakeBotConnector

pytestmark = pytest.mark.integration

Json = dict[str, Any]
Client = TestClient[web.Request, web.Application]


@dataclass(frozen=True)
class User:
    """A Teams user as activities carry them: channel-scoped id, name, AAD object id."""

    channel_id: str
    name: str
    aad: str

    @property
    def account(self) -> Json:
        return {"id": self.channel_id, "name": self.name, "aadObjectId": self.aad}


ALICE = User("29:1AliceQwErTyUiOp", "Alice Smith", "5a1ce000-1111-4a11-8a11-a11ce0000001")
BOB = User("29:1BobAsDfGhJkLzXc", "Bob Jones", "b0b00000-2222-4b22-8b22-b0b000000002")
MALLORY = User("29:1MalloryZxCvBnM", "Mallory", "3a110000-7777-4c77-8c77-3a1100000077")


@dataclass
class World:
    client: Client
    app: web.Application
    connector: FakeBotConnector
    k8s: FakeKubernetesApi
    _ids: itertools.count[int] = dataclasses.field(default_factory=lambda: itertools.count(1))

    async def post(self, body: Json) -> None:
        """POST an activity to the bot and wait until the turn it started has finished."""
        response = await self.client.post("/api/messages", json=body)
        assert response.status == 202
        await self.app[ENDPOINT_KEY].drain()

    async def ask(self, text: str, *, user: User) -> ConnectorCall:
        """``@SmartCloudOps text`` in the channel by ``user``; the bot's reply."""
        before = len(self.connector.of_kind("reply"))
        body = mention(text, service_url=self.connector.url, activity_id=self._next_id())
        await self.post({**body, "from": user.account})
        replies = self.connector.of_kind("reply")
        assert len(replies) == before + 1, "one message gets one reply"
        return replies[-1]

    def click(self, card_id: str, command: str, label: str, *, user: User) -> Json:
        """The invoke of ``user`` clicking the button ``command`` on card ``card_id``."""
        action = {"type": "Action.Execute", "verb": "command",
                  "data": {"command": command, "label": label}}  # fmt: skip
        body = payload(
            "card_action",
            service_url=self.connector.url,
            activity_id=self._next_id(),
            value={"action": action, "trigger": "manual"},
            reply_to_id=card_id,
        )
        return {**body, "from": user.account}

    async def invoke(self, body: Json) -> Json:
        """POST an invoke; the card its answer shows the invoking user."""
        response = await self.client.post("/api/messages", json=body)
        assert response.status == 200
        answer: Json = await response.json()
        assert answer["type"] == "application/vnd.microsoft.card.adaptive", answer
        card: Json = answer["value"]
        return card

    def card(self, card_id: str) -> Json:
        """Card ``card_id`` as Teams shows it now: the latest reply or update with that id."""
        updates = [c for c in self.connector.of_kind("update") if c.activity_id == card_id]
        if updates:
            return updates[-1].cards[0]
        [reply] = [c for c in self.connector.of_kind("reply") if _posted_id(self, c) == card_id]
        return reply.cards[0]

    def _next_id(self) -> str:
        return str(1715679000000 + next(self._ids))


def _posted_id(world: World, reply: ConnectorCall) -> str:
    """The id the fake connector gave ``reply`` (``bot-<n>``, n counting replies and sends)."""
    created = [c for c in world.connector.calls if c.kind != "update" and c.status < 300]
    return f"bot-{created.index(reply) + 1}"


async def _never(seconds: float) -> None:
    """The click deadline never passes here, so every click is answered with its result
    however loaded the machine is (the late path has its own tests, test_teams_interaction)."""
    await asyncio.Event().wait()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakeBotConnector() as connector, FakeKubernetesApi() as k8s:
        oncall = (f"teams:{ALICE.aad}", f"teams:{BOB.aad}")
        settings = remediation_settings(Settings(), k8s, tmp_path, oncall)
        settings = dataclasses.replace(
            settings, file=dataclasses.replace(settings.file, development_mode=True)
        )
        assert settings.teams_enabled
        assert not settings.teams_app_id
        async with open_services(
            settings, teams_options=TeamsOptions(invoke_timer=_never)
        ) as services:
            app = build_web_app(services.telemetry, services.checks, services.web_plugins)
            async with TestClient(TestServer(app)) as client:
                yield World(client, app, connector, k8s)
        assert connector.invalid_cards == []
        assert all(not call.authorized for call in connector.calls)


def buttons(card: Json) -> list[tuple[str, str]]:
    """(label, command) of every command button (``Action.Execute``) on ``card``."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and "command" in node.get("data", {}):
                found.append((node["title"], node["data"]["command"]))
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


def table_rows(card: Json) -> list[str]:
    """Each ``TableRow`` of ``card``'s tables as one line, its cells' texts joined by " | "."""
    return [
        " | ".join(" ".join(card_texts(cell)) for cell in row["cells"])
        for element in card["body"]
        if element.get("type") == "Table"
        for row in element["rows"]
    ]


async def test_restart_needs_another_oncall_approval_and_runs_exactly_once(world: World) -> None:
    """Alice's `restart checkout-api` shows a read-only dry run with Approve/Deny buttons;
    her own and an outsider's clicks are refused without touching the cluster, each shown to
    the clicker alone (their card says why and offers no Approve) while the shared card keeps
    its buttons; Bob's click restarts the Deployment once and the shared card (updated in
    place) says who approved and what happened; a redelivered invoke or repeated approval
    changes nothing."""
    reply = await world.ask(f"restart {TARGET}", user=ALICE)
    card_id = _posted_id(world, reply)
    card = reply.cards[0]
    assert "Dry run" in shown(card)
    assert f"would restart deployment {NAMESPACE}/{TARGET} (3 pod(s), rolling)" in shown(card)
    [(approve_label, approve), (deny_label, deny)] = buttons(card)
    assert (approve_label, deny_label) == ("Approve", "Deny")
    assert approve.startswith("approve ")
    assert deny == approve.replace("approve", "deny")
    request_id = approve.removeprefix("approve ")
    assert world.k8s.calls
    assert all(c.method == "GET" for c in world.k8s.calls)

    alices = await world.invoke(world.click(card_id, approve, approve_label, user=ALICE))
    assert "your approval does not count" in shown(alices)
    assert "Alice Smith chose “Approve”" in shown(alices)
    assert buttons(alices) == [(deny_label, deny)], "Alice is not offered Approve again"
    assert world.k8s.mutating_calls == []
    assert buttons(world.card(card_id)) == [(approve_label, approve), (deny_label, deny)], (
        "a refused approval must leave the buttons for everyone else"
    )
    assert "your approval does not count" not in shown(world.card(card_id))

    mallorys = await world.invoke(world.click(card_id, approve, approve_label, user=MALLORY))
    assert "not allowed to approve restart" in shown(mallorys)
    assert world.k8s.mutating_calls == []
    assert buttons(world.card(card_id)) == [(approve_label, approve), (deny_label, deny)]

    bobs_click = world.click(card_id, approve, approve_label, user=BOB)
    bobs = await world.invoke(bobs_click)
    [patch] = restart_patches(world.k8s)
    assert patch.content_type == "application/strategic-merge-patch+json"
    assert len(world.k8s.mutating_calls) == 1
    updates = world.connector.of_kind("update")
    assert [u.activity_id for u in updates] == [card_id]
    assert updates[-1].conversation_id == reply.conversation_id
    card = world.card(card_id)
    for seen in (card, bobs):
        assert "Bob Jones chose “Approve”" in shown(seen)
        assert f"Approved by teams:{BOB.aad}" in shown(seen)
        assert f"restarted deployment {NAMESPACE}/{TARGET}" in shown(seen)
        assert buttons(seen) == []
    assert "refresh" not in card

    calls_before = len(world.connector.calls)
    response = await world.client.post("/api/messages", json=bobs_click)  # delivered again
    assert (await response.json())["type"] == "application/vnd.microsoft.activity.message"
    assert len(world.connector.calls) == calls_before, "a redelivered invoke is answered once"
    again = await world.ask(f"approve {request_id}", user=BOB)
    assert "already executed" in shown(again.cards[0])
    assert len(restart_patches(world.k8s)) == 1
    assert len(world.k8s.mutating_calls) == 1


async def test_history_shows_the_restart_requested_by_alice_and_approved_by_bob(
    world: World,
) -> None:
    """After the approved restart, `history` lists who requested, approved and ran it."""
    reply = await world.ask(f"restart {TARGET}", user=ALICE)
    [(label, approve), _] = buttons(reply.cards[0])
    await world.invoke(world.click(_posted_id(world, reply), approve, label, user=BOB))
    assert len(restart_patches(world.k8s)) == 1

    lines = table_rows((await world.ask("history", user=BOB)).cards[0])
    assert _line(lines, "requested", f"Alice Smith (teams:{ALICE.aad})", f"restart {TARGET}")
    assert _line(lines, "approved", f"Bob Jones (teams:{BOB.aad})", f"restart {TARGET}")
    assert _line(lines, "execution_started", "#1", f"requested by teams:{ALICE.aad}")
    assert _line(
        lines,
        "executed",
        f"Bob Jones (teams:{BOB.aad})",
        f"restarted deployment {NAMESPACE}/{TARGET}",
    )


def _line(lines: list[str], *parts: str) -> str | None:
    """The first line holding every one of ``parts``."""
    return next((line for line in lines if all(p in line for p in parts)), None)
