"""The Teams bot on botbuilder's TestAdapter: replies, placeholders, clicks, duplicates and
stored conversation references."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter

from adapters.teams.bot import TeamsBot
from adapters.teams.references import ReferenceBook
from bot.core.errors import DependencyError
from bot.core.model import Choice, IncomingMessage, Reply
from bot.core.responder import WORKING_ON_IT, Responder
from storage.dedupe import InMemoryDedupeStore
from storage.teams_references import InMemoryReferenceStore
from tests.fakes.teams_activities import (
    ADELE_AAD,
    CHANNEL,
    MEGAN_AAD,
    PERSONAL,
    TEAM,
    TENANT,
    activity,
    mention,
    payload,
)
from tests.fakes.teams_cards import assert_valid_card, card_texts


class RecordingCore:
    """Answers "you said X" (with an Approve button), after ``delay`` seconds."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[IncomingMessage] = []
        self.delay = delay

    async def handle(self, message: IncomingMessage) -> Reply:
        self.messages.append(message)
        await asyncio.sleep(self.delay)
        return Reply(text=f"you said {message.text}", choices=(Choice("Approve", "approve 12"),))


class BrokenDedupe:
    """A dedupe store whose backend is down."""

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        raise DependencyError("redis", "Redis is unreachable")


class Harness:
    def __init__(
        self, core: RecordingCore, dedupe: Any = None, tenant_id: str | None = None
    ) -> None:
        self.core = core
        self.store = InMemoryReferenceStore()
        responder = Responder(core.handle, dedupe or InMemoryDedupeStore(), placeholder_after=0.05)
        self.bot = TeamsBot(
            responder,
            ReferenceBook(self.store),
            documents=InMemoryReferenceStore(),
            tenant_id=tenant_id,
        )
        self.adapter = TestAdapter(self.bot.on_turn)

    async def receive(self, body: dict[str, Any]) -> None:
        await self.adapter.receive_activity(activity(body))

    @property
    def replies(self) -> list[Any]:
        return list(self.adapter.activity_buffer)

    @property
    def updates(self) -> list[Any]:
        return list(self.adapter.updated_activities)


def card(sent: Any) -> dict[str, Any]:
    """The one Adaptive Card of a sent activity, checked against the schema."""
    (attachment,) = sent.attachments
    assert attachment.content_type == "application/vnd.microsoft.card.adaptive"
    assert_valid_card(attachment.content)
    content: dict[str, Any] = attachment.content
    return content


async def test_channel_message_is_answered_in_its_thread_as_a_card() -> None:
    """The core gets the stripped text as the sender; the card replies to that activity."""
    harness = Harness(RecordingCore())
    await harness.receive(mention("cpu of web-1"))
    (message,) = harness.core.messages
    assert message.text == "cpu of web-1"
    assert (message.user_id, message.channel_id) == (MEGAN_AAD, CHANNEL)
    (reply,) = harness.replies
    assert reply.reply_to_id == "1715678477118"
    assert reply.conversation.id == f"{CHANNEL};messageid=1715678477118"
    assert reply.text == "you said cpu of web-1"
    assert reply.text_format == "plain"
    assert "you said cpu of web-1" in card_texts(card(reply))


async def test_bare_mention_asks_the_core_for_help() -> None:
    """ "@SmartCloudOps" alone is taken as "help"."""
    harness = Harness(RecordingCore())
    await harness.receive(mention(""))
    assert harness.core.messages[0].text == "help"


async def test_slow_answer_posts_working_on_it_then_replaces_it() -> None:
    """A placeholder card appears first and is updated in place with the answer."""
    harness = Harness(RecordingCore(delay=0.3))
    await harness.receive(payload("personal_message"))
    (placeholder,) = harness.replies
    assert card_texts(card(placeholder)) == [WORKING_ON_IT]
    (update,) = harness.updates
    assert update.id == "1"
    assert "you said what can you do?" in card_texts(card(update))


async def test_fast_answer_posts_no_placeholder() -> None:
    """Below the threshold there is one reply and no update."""
    harness = Harness(RecordingCore())
    await harness.receive(payload("personal_message"))
    assert len(harness.replies) == 1
    assert harness.updates == []


async def test_click_runs_the_command_as_the_clicker_and_updates_the_card() -> None:
    """The clicking user's AAD id reaches the core; the clicked card shows the outcome."""
    harness = Harness(RecordingCore())
    await harness.receive(payload("card_click"))
    (message,) = harness.core.messages
    assert (message.text, message.user_id, message.user_name) == ("help", ADELE_AAD, "Adele Vance")
    assert harness.replies == []
    (update,) = harness.updates
    assert update.id == "1715678479000"
    texts = card_texts(card(update))
    assert texts[:2] == ["Adele Vance chose “Show help”", "you said help"]


async def test_click_on_a_card_without_id_is_answered_with_a_reply() -> None:
    """Without ``replyToId`` there is no card to update, so the outcome is posted."""
    body = payload("card_click")
    del body["replyToId"]
    harness = Harness(RecordingCore())
    await harness.receive(body)
    assert harness.updates == []
    assert "Adele Vance chose “Show help”" in card_texts(card(harness.replies[0]))


async def test_slow_click_marks_the_card_as_working_first() -> None:
    """A slow click updates the card twice: working on it, then the outcome."""
    harness = Harness(RecordingCore(delay=0.3))
    await harness.receive(payload("card_click"))
    first, final = harness.updates
    assert card_texts(card(first)) == [f"Adele Vance chose “Show help”. {WORKING_ON_IT}"]
    assert "you said help" in card_texts(card(final))


async def test_duplicate_delivery_is_answered_once() -> None:
    """The same activity id delivered twice reaches the core once."""
    harness = Harness(RecordingCore())
    await harness.receive(mention("status", activity_id="dup-1"))
    await harness.receive(mention("status", activity_id="dup-1"))
    await harness.receive(mention("status", activity_id="dup-2"))
    assert len(harness.core.messages) == 2
    assert len(harness.replies) == 2


async def test_dedupe_outage_still_answers() -> None:
    """With the dedupe store down, a message is answered rather than dropped."""
    harness = Harness(RecordingCore(), dedupe=BrokenDedupe())
    await harness.receive(mention("status"))
    assert len(harness.replies) == 1


async def test_message_stores_a_reference_to_the_channel_itself() -> None:
    """The stored reference addresses the channel, not the thread or the sender."""
    harness = Harness(RecordingCore())
    await harness.receive(mention("status"))
    document = await harness.store.load(CHANNEL)
    assert document is not None
    assert document["conversation"]["id"] == CHANNEL
    assert document["serviceUrl"] == "https://smba.trafficmanager.net/emea/"
    assert "activityId" not in document
    assert "user" not in document


@pytest.mark.parametrize(
    ("name", "key"),
    [("bot_added_to_team", TEAM), ("installation_update_add", PERSONAL)],
)
async def test_installing_the_bot_stores_a_reference(name: str, key: str) -> None:
    """Being added to a team or installed personally is enough to post there later."""
    harness = Harness(RecordingCore())
    await harness.receive(payload(name))
    assert await harness.store.load(key) is not None
    assert harness.replies == []


async def test_removing_the_bot_forgets_the_reference() -> None:
    """After removal the team is unknown again."""
    harness = Harness(RecordingCore())
    await harness.receive(payload("bot_added_to_team"))
    await harness.receive(payload("bot_removed_from_team"))
    assert await harness.store.load(TEAM) is None


OTHER_TENANT = "0a1b2c3d-0000-4000-8000-00000000beef"


def from_tenant(body: dict[str, Any], tenant: str | None) -> dict[str, Any]:
    """``body`` as sent from ``tenant`` (``None``: naming no tenant at all)."""
    body["channelData"].pop("tenant", None)
    body["conversation"].pop("tenantId", None)
    if tenant is not None:
        body["channelData"]["tenant"] = {"id": tenant}
        body["conversation"]["tenantId"] = tenant
    return body


@pytest.mark.parametrize("tenant", [OTHER_TENANT, None], ids=["other-tenant", "no-tenant"])
async def test_a_foreign_tenant_is_dropped_unanswered(
    tenant: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """With TEAMS_TENANT_ID set, another tenant's (or no tenant's) messages and installs
    reach nothing: no core call, no reply, no stored reference; the drop is logged."""
    harness = Harness(RecordingCore(), tenant_id=TENANT)
    with caplog.at_level(logging.WARNING, logger="adapters.teams"):
        await harness.receive(from_tenant(mention("restart web-1"), tenant))
        await harness.receive(from_tenant(payload("personal_message"), tenant))
        await harness.receive(from_tenant(payload("bot_added_to_team"), tenant))
    assert harness.core.messages == []
    assert harness.replies == []
    assert await harness.store.load(CHANNEL) is None
    assert await harness.store.load(TEAM) is None
    assert caplog.text.count("teams: dropped a") == 3
    assert "restart web-1" not in caplog.text


async def test_the_configured_tenant_is_answered_whatever_its_case() -> None:
    """The configured tenant (compared case-insensitively, as GUIDs are) is served."""
    harness = Harness(RecordingCore(), tenant_id=TENANT.upper())
    await harness.receive(mention("status"))
    await harness.receive(from_tenant(payload("bot_added_to_team"), TENANT))
    assert [m.text for m in harness.core.messages] == ["status"]
    assert len(harness.replies) == 1
    assert await harness.store.load(TEAM) is not None


async def test_without_a_tenant_id_every_tenant_is_answered() -> None:
    """Multi-tenant (no TEAMS_TENANT_ID): another tenant's message is answered."""
    harness = Harness(RecordingCore())
    await harness.receive(from_tenant(mention("status"), OTHER_TENANT))
    assert len(harness.replies) == 1
