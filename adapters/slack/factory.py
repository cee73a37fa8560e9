"""Building the Slack side of the bot from its credentials: the Web API clients, the Bolt
app, ``POST /slack/events`` on the bot's aiohttp server (HTTP mode, when a signing secret is
given) and Socket Mode (when an app token is given), and their cleanup.

``api_url`` is the Web API base (default ``https://slack.com/api``): a proxy, or the local
fake Slack in tests. Web API calls that get a 429 are retried after ``Retry-After``.

Bolt gets the bot's identity from :class:`~adapters.slack.authorize.SharedAuthorization` (one
``auth.test`` per process, however many requests arrive before it answers) and HTTP requests
through :class:`~adapters.slack.http.EventsEndpoint` (signature checked before parsing).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import PLACEHOLDER_AFTER_SECONDS, Handle, SlackAdapter
from adapters.slack.authorize import SharedAuthorization
from adapters.slack.http import EventsEndpoint, SignatureCheck
from adapters.slack.outbound import SlackWeb, trusted_response_urls
from adapters.slack.poster import SlackPoster
from adapters.slack.redact import redacting_logger
from bot.core.errors import ConfigError
from bot.core.ports import DedupeStore
from bot.core.responder import Responder

EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api"
HTTP_TIMEOUT_SECONDS = 30
RATE_LIMIT_RETRIES = 3
SHUTDOWN_DRAIN_SECONDS = 10.0

SLACK_ADAPTER_KEY = web.AppKey("slack_adapter", SlackAdapter)

Mount = Callable[[web.Application], None]


@dataclass(frozen=True, slots=True)
class SlackCredentials:
    """What Slack needs from the configuration; secrets never appear in ``repr``."""

    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str | None = None


@dataclass(frozen=True, slots=True)
class SlackParts:
    """The built adapter: ``mount`` adds its routes and lifecycle to the server, ``poster``
    posts proactively (alerts, findings)."""

    mount: Mount
    poster: SlackPoster
    adapter: SlackAdapter


def build_slack(
    credentials: SlackCredentials,
    *,
    handle: Handle,
    dedupe: DedupeStore,
    stack: contextlib.AsyncExitStack,
    placeholder_after: float = PLACEHOLDER_AFTER_SECONDS,
) -> SlackParts:
    """Build the Slack side of the bot; its HTTP session is closed when ``stack`` unwinds."""
    token = credentials.bot_token
    if not token:
        raise ConfigError("SLACK_BOT_TOKEN is required for Slack")
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_SECONDS))
    stack.push_async_callback(session.close)
    retry_handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
    api_url = credentials.api_url or DEFAULT_API_URL
    sdk_logger = redacting_logger("adapters.slack.sdk")

    def web_client(bot_token: str | None) -> AsyncWebClient:
        return AsyncWebClient(
            token=bot_token,
            base_url=api_url.rstrip("/") + "/",
            session=session,
            timeout=HTTP_TIMEOUT_SECONDS,
            retry_handlers=retry_handlers,
            logger=sdk_logger,
        )

    client = web_client(token)
    web_api = SlackWeb(
        client,
        session=session,
        retry_handlers=retry_handlers,
        trusted=trusted_response_urls(credentials.api_url),
        logger=sdk_logger,
    )
    responder = Responder(handle, dedupe, placeholder_after=placeholder_after)
    adapter = SlackAdapter(responder, web_api)
    bolt = AsyncApp(
        name="smartcloudops",
        client=web_client(None),  # each request's client gets the token from authorize
        authorize=SharedAuthorization(client),
        signing_secret=credentials.signing_secret or "",
        logger=redacting_logger("adapters.slack.bolt"),
    )
    adapter.register(bolt)
    mount = _mount(
        bolt, adapter, signing_secret=credentials.signing_secret, app_token=credentials.app_token
    )
    return SlackParts(mount=mount, poster=SlackPoster(web_api), adapter=adapter)


def _mount(
    bolt: AsyncApp, adapter: SlackAdapter, *, signing_secret: str | None, app_token: str | None
) -> Mount:
    async def drain(_: web.Application) -> None:
        await adapter.drain(SHUTDOWN_DRAIN_SECONDS)

    def mount(app: web.Application) -> None:
        app[SLACK_ADAPTER_KEY] = adapter
        if signing_secret:
            endpoint = EventsEndpoint(bolt, SignatureCheck(signing_secret))
            app.router.add_post(EVENTS_PATH, endpoint.handle)
        if app_token:
            app.cleanup_ctx.append(_socket_mode(bolt, app_token))
        app.on_shutdown.append(drain)

    return mount


def _socket_mode(
    bolt: AsyncApp, app_token: str
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """Socket Mode for as long as the server runs: the same listeners, with events coming
    over a WebSocket the bot opens to Slack (no public URL needed).

    The SDK connects, and reconnects, in the background, retrying until Slack answers; the
    server starts meanwhile, so a Slack outage never keeps health checks or other
    platforms down.
    """

    @contextlib.asynccontextmanager
    async def run(_: web.Application) -> AsyncIterator[None]:
        handler = AsyncSocketModeHandler(bolt, app_token, logger=bolt.logger)
        connecting = asyncio.create_task(handler.connect_async())  # type: ignore[no-untyped-call]
        try:
            yield
        finally:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            await handler.close_async()  # type: ignore[no-untyped-call]

    return run
