"""Private answers on Slack, on the wire: ephemeral through a ``response_url``,
``chat.postEphemeral`` for a mention in a channel, a Share button, and ``share`` (typed or
clicked) posting the answer to the channel. The real Bolt app and Slack SDK against the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.outbound import SlackWeb, ThreadOutbox, trusted_response_urls
from bot.core.model import Reply, Visibility
from tests.fakes.slack_api import BOT_USER_ID, FakeSlack
from tests.fakes.slack_bot import APP_TOKEN, BOT_TOKEN, RecordingCore, SlackBot, running_bot
from tests.fakes.slack_requests import (
    app_mention,
    block_actions,
    direct_message,
    event_callback,
    slash_command,
)

USER = "U2147483697"
CHANNEL = "C0LAN2Q65"
NOT_UNDERSTOOD = "I did not understand that."


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as server:
        yield server


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore(slow_seconds=0.6)


@pytest.fixture
async def bot(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[SlackBot]:
    async with running_bot(fake, core.handle, placeholder_after=0.3) as running:
        yield running


def _buttons(blocks: list[dict[str, object]]) -> list[tuple[str, str]]:
    return [
        (e["text"]["text"], e["value"])  # type: ignore[index]
        for b in blocks if b["type"] == "actions"
        for e in b["elements"]  # type: ignore[attr-defined]
    ]  # fmt: skip


async def test_a_private_slash_answer_is_ephemeral_with_a_share_button(
    fake: FakeSlack, bot: SlackBot
) -> None:
    await bot.send(slash_command("gibberish", response_url=fake.response_url("p1")))
    await bot.settle()

    [answer] = fake.calls_to("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert NOT_UNDERSTOOD in answer.displayed()
    assert ("Share", "share") in _buttons(answer.blocks)


async def test_a_public_slash_answer_stays_in_channel_without_a_share_button(
    fake: FakeSlack, bot: SlackBot
) -> None:
    await bot.send(slash_command("echo hi", response_url=fake.response_url("p2")))
    await bot.settle()

    [answer] = fake.calls_to("response_url")
    assert answer.params["response_type"] == "in_channel"
    assert ("Share", "share") not in _buttons(answer.blocks)


async def test_typing_share_posts_the_private_answer_to_the_channel(
    fake: FakeSlack, bot: SlackBot
) -> None:
    await bot.send(slash_command("gibberish", response_url=fake.response_url("s1")))
    await bot.settle()
    await bot.send(slash_command("share", response_url=fake.response_url("s2")))
    await bot.settle()

    _, shared = fake.calls_to("response_url")
    assert shared.params["response_type"] == "in_channel"
    assert NOT_UNDERSTOOD in shared.displayed()
    assert "Shared by" in shared.displayed()
    assert _buttons(shared.blocks) == []


async def test_a_private_answer_to_a_mention_is_posted_ephemerally_in_its_thread(
    fake: FakeSlack, bot: SlackBot
) -> None:
    event = app_mention(f"<@{BOT_USER_ID}> gibberish", user=USER, channel=CHANNEL,
                        ts="1700.000200", thread_ts="1700.000100")  # fmt: skip
    await bot.send(event_callback(event, event_id="Ev0PRIV001"))
    await bot.settle()

    assert fake.calls_to("chat.postMessage") == []
    [whisper] = fake.calls_to("chat.postEphemeral")
    assert (whisper.params["channel"], whisper.params["user"]) == (CHANNEL, USER)
    assert whisper.params["thread_ts"] == "1700.000100"
    assert NOT_UNDERSTOOD in whisper.displayed()
    assert ("Share", "share") in _buttons(whisper.blocks)


async def test_a_public_answer_to_a_mention_is_a_normal_message(
    fake: FakeSlack, bot: SlackBot
) -> None:
    event = app_mention(f"<@{BOT_USER_ID}> echo hi", user=USER, channel=CHANNEL, ts="1.000300")
    await bot.send(event_callback(event, event_id="Ev0PUB0001"))
    await bot.settle()

    assert len(fake.calls_to("chat.postMessage")) == 1
    assert fake.calls_to("chat.postEphemeral") == []


async def test_a_private_answer_in_a_direct_message_is_a_normal_message(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """A direct message is private already; an ephemeral there would vanish on reload."""
    event = direct_message("gibberish", user=USER, channel="D024BE91L", ts="1.000400")
    await bot.send(event_callback(event, event_id="Ev0PRIVDM1"))
    await bot.settle()

    [post] = fake.calls_to("chat.postMessage")
    assert NOT_UNDERSTOOD in post.displayed()
    assert fake.calls_to("chat.postEphemeral") == []


async def test_clicking_share_on_an_ephemeral_answer_posts_it_to_the_channel(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """The Share button's click comes from an ephemeral message: the answer is posted
    in_channel through the click's response_url, and the ephemeral copy deleted."""
    await bot.send(slash_command("gibberish", response_url=fake.response_url("c1"),
                                 user_id=USER, channel_id="C0CA5"))  # fmt: skip
    await bot.settle()
    [private] = fake.calls_to("response_url")
    share_first = [
        {**b, "elements": [e for e in b["elements"] if e["value"] == "share"]}
        if b["type"] == "actions" else b
        for b in private.blocks
    ]  # fmt: skip
    click = block_actions(user_id=USER, response_url=fake.response_url("c2"),
                          blocks=share_first, ephemeral=True)  # fmt: skip
    await bot.send(click)
    await bot.settle()

    _, posted, deleted = fake.calls_to("response_url")
    assert posted.params["response_type"] == "in_channel"
    assert posted.params["replace_original"] is False
    assert NOT_UNDERSTOOD in posted.displayed()
    assert deleted.params["delete_original"] is True


async def test_a_private_answer_to_a_click_on_a_public_message_goes_to_the_clicker_alone(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """A refusal after a click is for the clicker; the public message keeps its buttons."""
    click = block_actions(user_id="U0CA5", response_url=fake.response_url("r1"),
                          value="gibberish", label="Try")  # fmt: skip
    await bot.send(click)
    await bot.settle()

    [answer] = fake.calls_to("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["replace_original"] is False
    assert NOT_UNDERSTOOD in answer.displayed()


async def test_a_shown_placeholder_is_deleted_before_a_private_answer(fake: FakeSlack) -> None:
    """Slack cannot edit a public message into an ephemeral one: the public "Working on
    it…" is deleted (chat.delete) and the answer posted with chat.postEphemeral."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    web = SlackWeb(client, session=None, retry_handlers=[],
                   trusted=trusted_response_urls(fake.api_url))  # fmt: skip
    outbox = ThreadOutbox(web, CHANNEL, None, user_id=USER, is_direct=False)
    await outbox.placeholder()
    await outbox.replace(Reply(text="Refused.", visibility=Visibility.PRIVATE))

    assert fake.methods() == ["chat.postMessage", "chat.delete", "chat.postEphemeral"]
    [placeholder] = fake.calls_to("chat.postMessage")
    [deleted] = fake.calls_to("chat.delete")
    assert deleted.params["ts"].endswith(".000100")
    assert deleted.params["channel"] == CHANNEL
    assert placeholder.params["channel"] == CHANNEL
