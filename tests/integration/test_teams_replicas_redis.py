"""Two bot replicas sharing a real Redis: a Teams activity delivered to both is answered once,
a team the bot was added to through one replica can be posted to from the other, and a card
view or an offered file kept by one replica is served by the other."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.factory import ENDPOINT_KEY, TeamsOptions
from adapters.teams.retry import RetryPolicy
from bot.app.config import FileSettings, Settings
from bot.app.server import build_web_app
from bot.app.services import Services, open_services
from bot.app.wiring.teams import plugin
from bot.core.model import Choice, IncomingMessage, Reply, Table
from bot.core.ports import ChannelRef
from storage.dedupe import RedisDedupeStore
from storage.redis_client import connect
from tests.fakes.teams_activities import TEAM, mention, payload
from tests.fakes.teams_cards import card_texts
from tests.fakes.teams_connector import FakeBotConnector
from tests.harness.redis import RedisServer

pytestmark = pytest.mark.integration

FAST = TeamsOptions(retry=RetryPolicy(base_delay=0.01, max_delay=0.05))
Client = TestClient[web.Request, web.Application]


@contextlib.asynccontextmanager
async def replica(
    services: Services, url: str, stack: contextlib.AsyncExitStack
) -> AsyncIterator[tuple[Client, Services]]:
    """One replica: its own Redis clients, adapter and HTTP server, the same Redis."""
    client = connect(url)
    stack.push_async_callback(client.aclose)
    own = dataclasses.replace(services, dedupe=RedisDedupeStore(client), redis=client, posters={})
    mount = await plugin(own, stack, options=FAST)
    app = build_web_app(own.telemetry, own.checks, [mount])
    http = await stack.enter_async_context(TestClient(TestServer(app)))
    yield http, own


async def deliver(http: Client, body: dict[str, Any]) -> None:
    """POST an activity to a replica and wait for the turn it started."""
    response = await http.post("/api/messages", json=body)
    assert response.status == 202
    await http.app[ENDPOINT_KEY].drain()


async def test_two_replicas_share_dedupe_and_references(redis_server: RedisServer) -> None:
    """Same activity to both replicas -> one answer; install on one -> post from the other."""
    settings = Settings(redis_url=redis_server.url, file=FileSettings(development_mode=True))
    async with open_services(settings) as services, contextlib.AsyncExitStack() as stack:
        connector = await stack.enter_async_context(FakeBotConnector())
        first, _ = await stack.enter_async_context(replica(services, redis_server.url, stack))
        second, other = await stack.enter_async_context(replica(services, redis_server.url, stack))

        body = mention("what can you do?", service_url=connector.url, activity_id=uuid.uuid4().hex)
        for http in (first, second):
            await deliver(http, body)
        assert len(connector.of_kind("reply")) == 1

        added = payload("bot_added_to_team", service_url=connector.url)
        await deliver(first, added)
        await other.posters["teams"].post(ChannelRef("teams", TEAM, TEAM), Reply(text="NodeDown"))
        (sent,) = connector.of_kind("send")
        assert "NodeDown" in card_texts(sent.cards[0])
        assert connector.invalid_cards == []


@dataclasses.dataclass
class ScriptedDispatcher:
    """The core, scripted: an approval card, a refused own approval, a long table."""

    async def handle(self, message: IncomingMessage) -> Reply:
        buttons = (Choice("Approve", "approve 12"), Choice("Deny", "deny 12"))
        if message.text == "approve 12":
            return Reply("Approval recorded.", choices=buttons)
        if message.text == "big":
            rows = tuple((f"web-{i}", "x" * 120) for i in range(600))
            return Reply("Every host", title="Hosts", table=Table(("host", "detail"), rows))
        return Reply("Request #12", choices=buttons)


async def invoke(http: Client, body: dict[str, Any]) -> Any:
    response = await http.post("/api/messages", json=body)
    assert response.status == 200
    return await response.json()


async def test_a_view_or_file_kept_by_one_replica_is_served_by_the_other(
    redis_server: RedisServer,
) -> None:
    """Adele's click lands on one replica, her refresh on the other: she still sees her own
    view (no Approve). A file offered by one replica is uploaded when the accept reaches the
    other."""
    settings = Settings(redis_url=redis_server.url, file=FileSettings(development_mode=True))
    async with open_services(settings) as services, contextlib.AsyncExitStack() as stack:
        services = dataclasses.replace(services, dispatcher=ScriptedDispatcher())
        connector = await stack.enter_async_context(FakeBotConnector())
        first, _ = await stack.enter_async_context(replica(services, redis_server.url, stack))
        second, _ = await stack.enter_async_context(replica(services, redis_server.url, stack))

        await deliver(first, mention("restart web-1", service_url=connector.url,
                                     activity_id=uuid.uuid4().hex))  # fmt: skip
        card_id = "bot-1"
        click = payload("card_action", service_url=connector.url, activity_id=uuid.uuid4().hex,
                        reply_to_id=card_id)  # fmt: skip
        click["value"]["action"]["data"] = {"command": "approve 12", "label": "Approve"}
        await invoke(first, click)
        refresh = payload("card_action", service_url=connector.url, activity_id=uuid.uuid4().hex,
                          reply_to_id=card_id)  # fmt: skip
        refresh["value"] = {
            "action": {"type": "Action.Execute", "verb": "refresh", "data": {"card": card_id}},
            "trigger": "automatic",
        }
        mine = (await invoke(second, refresh))["value"]
        titles = [a["title"] for a in mine.get("actions", [])]
        assert titles == ["Deny"]
        assert "You chose “Approve”." in card_texts(mine)

        await deliver(first, payload("personal_message", service_url=connector.url, text="big",
                                     activity_id=uuid.uuid4().hex))  # fmt: skip
        [attachment] = connector.of_kind("reply")[-1].body["attachments"]
        accept = payload("file_consent", service_url=connector.url, activity_id=uuid.uuid4().hex)
        accept["value"]["context"] = attachment["content"]["acceptContext"]
        accept["value"]["uploadInfo"]["uploadUrl"] = connector.upload_url(attachment["name"])
        await invoke(second, accept)
        [upload] = connector.uploads
        assert len(upload.data) == attachment["content"]["sizeInBytes"]
        assert connector.invalid_cards == []
