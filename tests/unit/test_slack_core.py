"""Slack against the real core, built the way ``smartcloudops serve`` builds it: the
composition root sees the Slack settings, mounts the Slack plugin, and the embedded demo
metrics answer ``/ops`` questions with text and a chart."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack.factory import SLACK_ADAPTER_KEY
from bot.app.server import build_web_app
from bot.app.services import open_services
from bot.core.responder import WORKING_ON_IT
from tests.fakes.slack_api import BOT_USER_ID, Call, FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, SIGNING_SECRET, SlackBot, slack_settings
from tests.fakes.slack_requests import app_mention, event_callback, slash_command

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def served() -> AsyncIterator[tuple[SlackBot, FakeSlack]]:
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as fake,
        open_services(slack_settings(fake)) as services,
    ):
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        async with TestClient(TestServer(app)) as client:
            yield SlackBot(client, app[SLACK_ADAPTER_KEY], SIGNING_SECRET), fake


async def test_ops_metric_question_gets_the_demo_answer_and_its_chart(
    served: tuple[SlackBot, FakeSlack],
) -> None:
    """`/ops cpu of web-1` is answered from the demo metrics, with a PNG chart uploaded to
    the channel through the files upload v2 flow."""
    bot, fake = served
    status, _ = await bot.send(slash_command("cpu of web-1", response_url=fake.response_url("m")))
    assert status == 200
    await bot.settle()

    *placeholder, answer = fake.calls_to("response_url")
    assert all(WORKING_ON_IT in p.displayed() for p in placeholder)  # a slow machine
    shown = answer.displayed()
    assert "web-1" in shown
    assert "demo" in shown.lower()
    [upload] = fake.calls_to("upload")
    assert upload.raw.startswith(PNG_SIGNATURE)
    [complete] = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == "C2147483705"


async def test_follow_up_in_a_thread_uses_the_conversation(
    served: tuple[SlackBot, FakeSlack],
) -> None:
    """`and memory?` after `cpu of web-1` in the same thread is about web-1's memory."""
    bot, fake = served
    first = app_mention(f"<@{BOT_USER_ID}> cpu of web-1", user="U0CA5", channel="C0OPS",
                        ts="1700.000200", thread_ts="1700.000100")  # fmt: skip
    follow = app_mention(f"<@{BOT_USER_ID}> and memory?", user="U0CA5", channel="C0OPS",
                         ts="1700.000300", thread_ts="1700.000100")  # fmt: skip
    await bot.send(event_callback(first, event_id="Ev0CORE0001"))
    await bot.settle()
    await bot.send(event_callback(follow, event_id="Ev0CORE0002"))
    await bot.settle()

    posts = fake.calls_to("chat.postMessage")
    assert all(p.params["thread_ts"] == "1700.000100" for p in posts)
    shown = shown_last(fake).displayed().lower()
    assert "memory" in shown
    assert "web-1" in shown


def shown_last(fake: FakeSlack) -> Call:
    """The message the thread ends with: the last post, or the edit that turned a "Working
    on it…" placeholder into the answer (on a slow machine, answers take that path)."""
    return [c for c in fake.calls if c.method in ("chat.postMessage", "chat.update")][-1]
