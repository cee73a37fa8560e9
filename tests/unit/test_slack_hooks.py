"""POSTs to a ``response_url`` (``adapters.slack.hooks``): the same request the SDK's webhook
client sends, on the bot's one session, retried as the SDK's handlers say (a 429 after its
``Retry-After``, a dropped connection once), a refusal returned as Slack gave it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.hooks import HookPoster
from adapters.slack.outbound import SlackWeb
from adapters.slack.render import SlackMessage
from bot.core.errors import AdapterError

LOG = logging.getLogger("tests.hooks")
BODY = {
    "text": "Nothing is down.",
    "blocks": ({"type": "section", "text": {"type": "mrkdwn", "text": "*Status* ✓"}},),
    "response_type": "in_channel",
    "replace_original": False,
    "delete_original": None,
}


@dataclass
class Hook:
    """A ``response_url`` that records each POST and answers from a script of failures."""

    server: TestServer
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    script: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/commands/T1/1/secret"))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.posts.append((dict(request.headers), await request.read()))
        step = self.script.pop(0) if self.script else "ok"
        if step == "429":
            return web.Response(status=429, text="rate_limited", headers={"Retry-After": "0"})
        if step == "drop":
            assert request.transport is not None
            request.transport.close()
        if step == "404":
            return web.Response(status=404, text="no_service")
        return web.Response(text="ok")


@contextlib.asynccontextmanager
async def hook() -> AsyncIterator[Hook]:
    app = web.Application()
    server = TestServer(app)
    recorder = Hook(server)
    app.router.add_post("/commands/{team}/{id}/{name}", recorder.handle)
    await server.start_server()
    try:
        yield recorder
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def poster(*handlers: object) -> AsyncIterator[tuple[HookPoster, aiohttp.ClientSession]]:
    async with aiohttp.ClientSession() as session:
        yield HookPoster(session, retry_handlers=list(handlers), logger=LOG), session  # type: ignore[arg-type]


async def test_the_post_is_the_one_the_sdk_sends() -> None:
    """Body bytes, Content-Type and User-Agent as ``AsyncWebhookClient.send_dict``'s."""
    async with hook() as slack, poster() as (ours, _):
        answer = await ours.send(slack.url, BODY)
        await AsyncWebhookClient(slack.url).send_dict(dict(BODY))
    (our_headers, our_body), (sdk_headers, sdk_body) = slack.posts
    assert (answer.status_code, answer.body) == (200, "ok")
    assert our_body == sdk_body
    for name in ("Content-Type", "User-Agent"):
        assert our_headers[name] == sdk_headers[name]


async def test_a_rate_limited_post_is_sent_again_after_retry_after() -> None:
    async with hook() as slack, poster(AsyncRateLimitErrorRetryHandler()) as (ours, _):
        slack.script = ["429"]
        answer = await ours.send(slack.url, BODY)
    assert answer.status_code == 200
    assert len(slack.posts) == 2


async def test_a_dropped_connection_is_tried_once_more() -> None:
    async with hook() as slack, poster(AsyncConnectionErrorRetryHandler()) as (ours, _):
        slack.script = ["drop"]
        assert (await ours.send(slack.url, BODY)).status_code == 200
        slack.script = ["drop", "drop"]
        with pytest.raises(aiohttp.ClientError):
            await ours.send(slack.url, BODY)
    assert len(slack.posts) == 4


async def test_a_refusal_is_returned_as_slack_gave_it() -> None:
    """No handler takes a 404: one POST, and the answer says 404 (the caller decides)."""
    handlers = (AsyncRateLimitErrorRetryHandler(), AsyncConnectionErrorRetryHandler())
    async with hook() as slack, poster(*handlers) as (ours, _):
        slack.script = ["404"]
        answer = await ours.send(slack.url, BODY)
    assert (answer.status_code, answer.body, len(slack.posts)) == (404, "no_service", 1)


@pytest.mark.parametrize("shared_session", [True, False])
async def test_slack_web_says_which_status_refused_the_answer(shared_session: bool) -> None:
    """Through :class:`SlackWeb` (with the bot's session, or none: the SDK's client), a
    refused POST is an :class:`AdapterError` naming the status, never a traceback."""
    async with hook() as slack, aiohttp.ClientSession() as session:
        web_api = SlackWeb(
            None,  # type: ignore[arg-type]  # the Web API is not used here
            session=session if shared_session else None,
            retry_handlers=[],
            trusted=lambda url: True,
        )
        slack.script = ["404"]
        with pytest.raises(AdapterError, match="answered 404"):
            await web_api.respond(slack.url, SlackMessage(text="hi"), replace=False)
        await web_api.respond(slack.url, SlackMessage(text="hi"), replace=True)
    assert [body for _, body in slack.posts][-1] == (
        b'{"text": "hi", "blocks": [], "response_type": "in_channel", "replace_original": true}'
    )
