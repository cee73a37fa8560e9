"""Teams end to end: real-shaped activities POSTed to the running bot server (the real
Bot Framework SDK, the real core) with a local fake Bot Connector receiving the replies."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.factory import ENDPOINT_KEY, TeamsOptions
from adapters.teams.poster import NEVER_ADDED
from adapters.teams.retry import RetryPolicy
from bot.app.config import FileSettings, Settings
from bot.app.logs import CorrelationFilter
from bot.app.server import build_web_app
from bot.app.services import Services, open_services
from bot.app.wiring.teams import plugin
from bot.core.errors import ConfigError, NotFoundError
from bot.core.model import Choice, Reply, Severity
from bot.core.ports import ChannelPoster, ChannelRef, PostedRef
from storage.dedupe import InMemoryDedupeStore
from tests.fakes.teams_activities import CHANNEL, GROUP_CHAT, PERSONAL, TEAM, mention, payload
from tests.fakes.teams_cards import card_texts
from tests.fakes.teams_connector import FakeBotConnector

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEV = Settings(file=FileSettings(development_mode=True))
APP_ID = "0b1c2d3e-aaaa-4bbb-8ccc-123456789abc"
FAST = TeamsOptions(placeholder_after=5.0, retry=RetryPolicy(base_delay=0.01, max_delay=0.05))
Client = TestClient[web.Request, web.Application]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def core() -> AsyncIterator[Services]:
    """The real core on the embedded defaults, built once for this module."""
    async with open_services(DEV) as services:
        yield services


@dataclasses.dataclass
class Bot:
    client: Client
    connector: FakeBotConnector
    services: Services
    app: web.Application

    async def post(self, body: dict[str, Any], **headers: str) -> Any:
        """POST an activity and wait until the turn it started has finished."""
        response = await self.client.post("/api/messages", json=body, headers=headers)
        await self.app[ENDPOINT_KEY].drain()
        return response

    @property
    def poster(self) -> ChannelPoster:
        return self.services.posters["teams"]


@contextlib.asynccontextmanager
async def running(
    core: Services, settings: Settings = DEV, options: TeamsOptions = FAST
) -> AsyncIterator[Bot]:
    """The bot server with the Teams plugin (fresh dedupe and stores) and a fake connector."""
    services = dataclasses.replace(
        core, settings=settings, dedupe=InMemoryDedupeStore(), posters={}
    )
    async with contextlib.AsyncExitStack() as stack:
        mount = await plugin(services, stack, options=options)
        app = build_web_app(services.telemetry, services.checks, [mount])
        connector = await stack.enter_async_context(FakeBotConnector())
        client = await stack.enter_async_context(TestClient(TestServer(app)))
        bot = Bot(client, connector, services, app)
        yield bot
        assert connector.invalid_cards == []


async def test_channel_mention_gets_a_card_reply_in_the_same_thread(core: Services) -> None:
    """ "@SmartCloudOps what can you do?" in a channel: the help card replies to the post."""
    async with running(core) as bot:
        response = await bot.post(mention("what can you do?", service_url=bot.connector.url))
        assert response.status == 202
        (reply,) = bot.connector.of_kind("reply")
        assert reply.conversation_id == f"{CHANNEL};messageid=1715678477118"
        assert reply.activity_id == "1715678477118"
        assert reply.body["replyToId"] == "1715678477118"
        assert reply.body["text"] == "What I can do"
        (card,) = reply.cards
        assert "What I can do" in card_texts(card)
        assert not reply.authorized


@pytest.mark.parametrize(
    ("name", "conversation"), [("personal_message", PERSONAL), ("group_chat_mention", GROUP_CHAT)]
)
async def test_personal_and_group_chats_are_answered(
    core: Services, name: str, conversation: str
) -> None:
    """Direct and group chats get their answer in their own conversation."""
    async with running(core) as bot:
        await bot.post(payload(name, service_url=bot.connector.url))
        (reply,) = bot.connector.of_kind("reply")
        assert reply.conversation_id == conversation
        assert "What I can do" in card_texts(reply.cards[0])


async def test_duplicate_activity_id_is_answered_once(core: Services) -> None:
    """A connector retry of the same activity does not produce a second answer."""
    async with running(core) as bot:
        body = mention("what can you do?", service_url=bot.connector.url)
        first, second = await bot.post(body), await bot.post(body)
        assert (first.status, second.status) == (202, 202)
        assert len(bot.connector.of_kind("reply")) == 1


async def test_click_updates_the_clicked_card_with_the_outcome(core: Services) -> None:
    """A button click is run as the clicker and the card at replyToId is replaced (PUT)."""
    async with running(core) as bot:
        await bot.post(payload("card_click", service_url=bot.connector.url))
        assert bot.connector.of_kind("reply") == []
        (update,) = bot.connector.of_kind("update")
        assert update.activity_id == "1715678479000"
        assert update.conversation_id == f"{CHANNEL};messageid=1715678477118"
        texts = card_texts(update.cards[0])
        assert texts[0] == "Adele Vance chose “Show help”"
        assert "What I can do" in texts


async def test_card_that_cannot_be_updated_gets_the_outcome_as_a_reply(core: Services) -> None:
    """When Teams refuses the update (404), the answer is posted rather than lost."""
    async with running(core) as bot:
        bot.connector.fail_next(404)
        await bot.post(payload("card_click", service_url=bot.connector.url))
        assert [c.status for c in bot.connector.calls] == [404, 200]
        (reply,) = bot.connector.of_kind("reply")
        assert "Adele Vance chose “Show help”" in card_texts(reply.cards[0])


async def test_throttled_and_failing_connector_calls_are_retried(core: Services) -> None:
    """429 (with Retry-After) and 503 are retried until the reply goes through."""
    async with running(core) as bot:
        bot.connector.fail_next(429, 503, retry_after="0")
        response = await bot.post(mention("what can you do?", service_url=bot.connector.url))
        assert response.status == 202
        assert [c.status for c in bot.connector.calls] == [429, 503, 200]


async def test_slow_answer_shows_working_on_it_then_the_answer_with_its_chart(
    core: Services,
) -> None:
    """The POST is acknowledged at once; a placeholder card is then replaced by the chart."""
    async with running(core, options=dataclasses.replace(FAST, placeholder_after=0.01)) as bot:
        body = mention("cpu of web-1 over the last 4h", service_url=bot.connector.url)
        response = await bot.client.post("/api/messages", json=body)
        assert response.status == 202
        assert bot.connector.of_kind("update") == []
        await bot.connector.wait_for(1, kind="update")
        (placeholder,) = bot.connector.of_kind("reply")
        assert card_texts(placeholder.cards[0]) == ["Working on it…"]
        (update,) = bot.connector.of_kind("update")
        assert update.activity_id == "bot-1"
        assert update.conversation_id == f"{CHANNEL};messageid=1715678477118"
        images = [e for e in update.cards[0]["body"] if e.get("type") == "Image"]
        assert images
        assert images[0]["url"].startswith("data:image/png;base64,iVBORw0KGgo")


async def test_invoke_activities_are_answered_inline(core: Services) -> None:
    """An invoke's answer is the HTTP response itself, so it is not deferred."""
    async with running(core) as bot:
        body = {**mention("x", service_url=bot.connector.url), "type": "invoke", "name": "x/y"}
        response = await bot.client.post("/api/messages", json=body)
        assert response.status == 501


async def test_proactive_post_reaches_a_known_channel(core: Services) -> None:
    """After the bot was added to a team, an alert posts there as a new message."""
    async with running(core) as bot:
        await bot.post(payload("bot_added_to_team", service_url=bot.connector.url))
        alert = Reply(
            text="NodeDown on web-2", severity=Severity.CRITICAL,
            choices=(Choice("Silence 1h", "silence NodeDown for 1h"),),
        )  # fmt: skip
        posted = await bot.poster.post(ChannelRef("teams", TEAM, TEAM), alert)
        assert posted == PostedRef("teams", TEAM, "bot-1", None)
        (sent,) = bot.connector.of_kind("send")
        assert sent.conversation_id == TEAM
        assert "replyToId" not in sent.body
        assert "NodeDown on web-2" in card_texts(sent.cards[0])
        await bot.poster.update(posted, Reply(text="Resolved", severity=Severity.SUCCESS))
        (update,) = bot.connector.of_kind("update")
        assert (update.conversation_id, update.activity_id) == (TEAM, "bot-1")
        assert "Resolved" in card_texts(update.cards[0])


async def test_proactive_post_into_a_thread_replies_there(core: Services) -> None:
    """A ChannelRef with a thread posts into that channel thread."""
    async with running(core) as bot:
        await bot.post(mention("what can you do?", service_url=bot.connector.url))
        await bot.poster.post(ChannelRef("teams", TEAM, CHANNEL, "1715678477118"), Reply(text="x"))
        (sent,) = bot.connector.of_kind("send")
        assert sent.conversation_id == f"{CHANNEL};messageid=1715678477118"


async def test_proactive_post_to_an_unknown_channel_is_a_clear_error(core: Services) -> None:
    """A channel the bot has never been in raises NotFoundError; nothing is sent."""
    async with running(core) as bot:
        with pytest.raises(NotFoundError, match=NEVER_ADDED):
            await bot.poster.post(
                ChannelRef("teams", TEAM, "19:never@thread.tacv2"), Reply(text="x")
            )
        await bot.post(payload("bot_added_to_team", service_url=bot.connector.url))
        await bot.post(payload("bot_removed_from_team", service_url=bot.connector.url))
        with pytest.raises(NotFoundError):
            await bot.poster.post(ChannelRef("teams", TEAM, TEAM), Reply(text="x"))
        assert bot.connector.calls == []


async def test_with_an_app_id_an_unauthenticated_post_is_401_and_runs_nothing(
    core: Services,
) -> None:
    """Production mode: no token or a forged one is refused before the bot sees anything."""
    settings = Settings(
        teams_app_id="0b1c2d3e-aaaa-4bbb-8ccc-123456789abc", teams_app_password="pw"
    )
    async with running(core, settings=settings) as bot:
        body = mention("what can you do?", service_url=bot.connector.url)
        for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic eA=="}):
            response = await bot.post(body, **headers)
            assert response.status == 401
        assert bot.connector.calls == []
        with pytest.raises(NotFoundError):
            await bot.poster.post(ChannelRef("teams", TEAM, CHANNEL), Reply(text="x"))


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [(b"{", "application/json", 400), (b"[]", "application/json", 400),
     (b"{}", "application/json", 400), (b'{"type": "message"}', "text/plain", 415),
     (b'{"type": "message", "from": "x"}', "application/json", 400)],
)  # fmt: skip
async def test_malformed_requests_are_client_errors(
    core: Services, body: bytes, content_type: str, status: int
) -> None:
    """Garbage is refused with 4xx, never a 500."""
    async with running(core) as bot:
        response = await bot.client.post(
            "/api/messages", data=body, headers={"Content-Type": content_type}
        )
        assert response.status == status


async def test_empty_app_id_outside_development_mode_fails_start_up(core: Services) -> None:
    """Without TEAMS_APP_ID and without development mode the plugin refuses to start."""
    services = dataclasses.replace(core, settings=Settings(), posters={})
    async with contextlib.AsyncExitStack() as stack:
        with pytest.raises(ConfigError, match="TEAMS_APP_ID"):
            await plugin(services, stack)


async def test_a_connector_that_keeps_failing_is_logged_not_crashing(
    core: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """After the last retry the answer is given up: logged with the status and a ref, the
    user gets a short apology quoting that ref, nothing crashes."""
    caplog.handler.addFilter(CorrelationFilter())
    async with running(core) as bot:
        bot.connector.fail_next(*[503] * FAST.retry.attempts)
        with caplog.at_level(logging.WARNING):
            response = await bot.post(mention("what can you do?", service_url=bot.connector.url))
        assert response.status == 202
        *failed, apology = bot.connector.calls
        assert [c.status for c in failed] == [503] * FAST.retry.attempts
        assert apology.kind == "reply"
        (ref,) = set(re.findall(r"quote ref (\w+)", json.dumps(apology.body)))
        assert "HTTP 503" in caplog.text
        logged = [r for r in caplog.records if getattr(r, "correlation_id", None) == ref]
        assert any("could not answer" in r.getMessage() for r in logged)
        assert "what can you do" not in caplog.text
        assert "Traceback" not in json.dumps(apology.body)


async def test_no_secret_reaches_the_log(core: Services, caplog: pytest.LogCaptureFixture) -> None:
    """Neither the client secret nor a caller's bearer token is logged, even at DEBUG."""
    settings = Settings(teams_app_id=APP_ID, teams_app_password="hunter2-client-secret")
    with caplog.at_level(logging.DEBUG):
        async with running(core, settings=settings) as bot:
            body = mention("status", service_url=bot.connector.url)
            await bot.post(body, Authorization="Bearer sekret-token-value")
    assert "hunter2-client-secret" not in caplog.text
    assert "sekret-token-value" not in caplog.text
    assert "refused an unauthenticated activity" in caplog.text
