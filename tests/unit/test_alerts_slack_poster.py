"""Alert posts on Slack through the real SDK against the local fake Slack: ``chat.postMessage``
rendered like an answer, edits with ``chat.update`` of the same message, "cannot post there"
as NotFoundError, and an Acknowledge click on a post editing that post in place."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.factory import SLACK_ADAPTER_KEY
from adapters.slack.outbound import SlackWeb, trusted_response_urls
from adapters.slack.poster import OneWorkspace, SlackPoster
from bot.app.server import WebPlugin, build_web_app
from bot.app.wiring.slack import build_plugin
from bot.core.errors import AdapterError, NotFoundError
from bot.core.model import Chart, Reply, Severity
from bot.core.ports import ChannelPoster, ChannelRef, PostedRef
from bot.core.telemetry import Telemetry
from bot.features.alerts.group import key_hash
from bot.features.alerts.model import Subscription
from bot.features.alerts.payload import parse_notification
from storage.dedupe import InMemoryDedupeStore
from storage.sql.alert_store import open_alert_store_at
from tests.fakes.alerts import alert_dispatcher, alerting_over, on_call, recorded
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, SIGNING_SECRET, SlackBot, slack_settings, tiny_png
from tests.fakes.slack_requests import block_actions
from tests.unit.test_alerts_store import NOW

ALERT = Reply(
    title="Firing: HighLatency on checkout-api-1",
    text="p95 latency 2.3 s <!channel>",
    severity=Severity.CRITICAL,
)
OPS = ChannelRef("slack", "T0001", "C0CA5")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
def poster(fake: FakeSlack) -> SlackPoster:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url + "/")
    web = SlackWeb(
        client, session=None, retry_handlers=[], trusted=trusted_response_urls(fake.api_url)
    )
    return SlackPoster(OneWorkspace(web))


async def test_a_post_is_the_rendered_reply_and_an_update_edits_that_message(
    fake: FakeSlack, poster: SlackPoster
) -> None:
    posted = await poster.post(OPS, ALERT)
    (call,) = fake.calls_to("chat.postMessage")
    assert call.params["channel"] == "C0CA5"
    assert call.blocks[0]["text"]["text"].endswith(ALERT.title)
    assert "<!channel>" not in call.displayed(), "no broadcast from alert text"
    assert (posted.platform, posted.channel_id, posted.thread_id) == ("slack", "C0CA5", None)
    assert posted.message_id.endswith(".000100")

    await poster.update(posted, Reply(title="Resolved: HighLatency", severity=Severity.SUCCESS,
                                      text="ok"))  # fmt: skip
    (edit,) = fake.calls_to("chat.update")
    assert (edit.params["channel"], edit.params["ts"]) == ("C0CA5", posted.message_id)
    assert "Resolved: HighLatency" in edit.displayed()


async def test_a_post_for_a_thread_subscription_goes_into_the_thread(
    fake: FakeSlack, poster: SlackPoster
) -> None:
    posted = await poster.post(ChannelRef("slack", "T0001", "C0CA5", "1700.000100"), ALERT)
    (call,) = fake.calls_to("chat.postMessage")
    assert call.params["thread_ts"] == "1700.000100"
    assert posted.thread_id == "1700.000100"


async def test_a_chart_is_uploaded_into_the_posts_thread(
    fake: FakeSlack, poster: SlackPoster
) -> None:
    chart = Chart("Latency", tiny_png(), "latency.png", "p95 latency")
    posted = await poster.post(OPS, Reply(text="with a chart", charts=(chart,)))
    (complete,) = await fake.wait_for("files.completeUploadExternal")
    assert complete.params["thread_ts"] == posted.message_id


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
async def test_a_channel_the_bot_cannot_post_in_is_not_found_with_what_to_do(
    fake: FakeSlack, poster: SlackPoster, error: str
) -> None:
    fake.fail("chat.postMessage", error)
    with pytest.raises(NotFoundError) as failure:
        await poster.post(OPS, ALERT)
    assert error in failure.value.message
    assert failure.value.hint is not None
    assert "/invite" in failure.value.hint


async def test_any_other_slack_failure_stays_an_adapter_error(
    fake: FakeSlack, poster: SlackPoster
) -> None:
    fake.fail("chat.update", "fatal_error")
    with pytest.raises(AdapterError) as failure:
        await poster.update(PostedRef("slack", "C0CA5", "1.000100"), ALERT)
    assert not isinstance(failure.value, NotFoundError)


async def test_the_slack_plugin_registers_its_poster_and_an_ack_click_edits_the_alert_post(
    fake: FakeSlack, tmp_path: Path
) -> None:
    posters: dict[str, ChannelPoster] = {}
    async with contextlib.AsyncExitStack() as stack:
        store = await stack.enter_async_context(
            open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}")
        )
        alerting = alerting_over(store, posters)
        bot_handle = alert_dispatcher(alerting, policy=on_call("slack:U0CA5")).handle
        plugin = await build_plugin(
            slack_settings(fake), handle=bot_handle,
            dedupe=InMemoryDedupeStore(), stack=stack, posters=posters,
        )  # fmt: skip
        assert isinstance(posters["slack"], SlackPoster)
        await store.add_subscription(Subscription(OPS), NOW)
        notification = parse_notification(recorded("firing.json"))
        assert await alerting.notifier.notify(notification) == 1
        (post,) = fake.calls_to("chat.postMessage")
        (stored,) = await store.posts(f"alertmanager:{key_hash(notification.group_key)}:0")

        bot = await stack.enter_async_context(_serving(plugin))
        click = block_actions(
            user_id="U0CA5", response_url=fake.response_url("ack"),
            blocks=_ack_first(post.blocks),
        )  # fmt: skip
        status, _ = await bot.send(click)
        assert status == 200
        await bot.settle()

    (edit,) = fake.calls_to("chat.update")
    assert (edit.params["channel"], edit.params["ts"]) == ("C0CA5", stored.posted.message_id)
    assert "by user-u0ca5 at" in edit.displayed()
    assert "Acknowledge" not in [
        e.get("text", {}).get("text")
        for b in edit.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    (answer,) = fake.calls_to("response_url")
    assert "Acknowledged HighLatency" in answer.displayed()


def _ack_first(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The post's blocks with Acknowledge as the first button (the fake clicks the first)."""
    out = [dict(b) for b in blocks]
    actions = next(
        b for b in out if b["type"] == "actions" and b["elements"][0]["type"] == "button"
    )
    elements = actions["elements"]
    actions["elements"] = [elements[-1], *elements[:-1]]
    return out


@contextlib.asynccontextmanager
async def _serving(plugin: WebPlugin) -> AsyncIterator[SlackBot]:
    """The bot's server with ``plugin`` mounted, as a signed-request Slack client."""
    app = build_web_app(Telemetry(), [], [plugin])
    async with TestClient(TestServer(app)) as client:
        yield SlackBot(client, app[SLACK_ADAPTER_KEY], SIGNING_SECRET)
