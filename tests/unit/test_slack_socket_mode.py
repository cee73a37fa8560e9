"""Socket Mode: with ``SLACK_APP_TOKEN`` the bot opens a WebSocket to Slack (here the fake)
and gets the same events, commands and clicks over it, answered by the same listeners."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from tests.fakes.slack_api import BOT_USER_ID, FakeSlack
from tests.fakes.slack_bot import APP_TOKEN, BOT_TOKEN, RecordingCore, SlackBot, running_bot
from tests.fakes.slack_requests import app_mention, event_callback, payload, url_verification


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as server:
        yield server


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def bot(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[SlackBot]:
    async with running_bot(fake, core.handle, app_token=APP_TOKEN, signing_secret=None) as bot:
        await fake.wait_for_socket()
        yield bot


async def test_socket_mode_connects_with_the_app_token(fake: FakeSlack, bot: SlackBot) -> None:
    """The WebSocket URL comes from apps.connections.open, called with the app-level token."""
    [opened] = fake.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN


async def test_event_over_socket_mode_is_acknowledged_and_answered(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """An events_api envelope is acknowledged by envelope id and the mention answered."""
    event = app_mention(f"<@{BOT_USER_ID}> echo over the socket", user="U0CA5",
                        channel="C0SOCKET1", ts="1.000100")  # fmt: skip
    body = json.loads(event_callback(event, event_id="Ev0SOCK001").body)
    await fake.send_envelope({"envelope_id": "env-1", "type": "events_api",
                              "accepts_response_payload": False, "payload": body})  # fmt: skip
    await fake.wait_for_ack("env-1")
    [post] = await fake.wait_for("chat.postMessage")
    await bot.settle()

    assert post.params["channel"] == "C0SOCKET1"
    assert [(m.text, m.user_id) for m in core.messages] == [("echo over the socket", "U0CA5")]


async def test_slash_command_over_socket_mode_is_answered(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    command = payload("slash_command") | {"text": "chart", "response_url": fake.response_url("s")}
    await fake.send_envelope({"envelope_id": "env-2", "type": "slash_commands",
                              "accepts_response_payload": True, "payload": command})  # fmt: skip
    await fake.wait_for_ack("env-2")
    [answer] = await fake.wait_for("response_url")
    await fake.wait_for("files.completeUploadExternal")
    await bot.settle()
    assert "42 %" in answer.displayed()


async def test_without_a_signing_secret_there_is_no_http_endpoint(bot: SlackBot) -> None:
    """Socket Mode alone: nothing listens on /slack/events, so nothing unverified gets in."""
    status, _ = await bot.send(url_verification())
    assert status in (404, 405)
