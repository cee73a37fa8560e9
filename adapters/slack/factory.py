"""Building the Slack side of the bot from its credentials: the Web API clients, the Bolt
app, ``POST /slack/events`` on the bot's aiohttp server (HTTP mode, when a signing secret is
given) and Socket Mode (when an app token is given), and their cleanup.

Two ways to be in Slack:

* **single-token mode** (``bot_token``): one workspace. Bolt gets the bot's identity from
  :class:`~adapters.slack.authorize.SharedAuthorization` (one ``auth.test`` per process,
  however many requests arrive before it answers);
* **OAuth mode** (``client_id`` + ``client_secret``, and the stores of
  :class:`SlackInstallations`): any number of workspaces install the app through
  ``GET /slack/install`` -> Slack -> ``GET /slack/oauth_redirect`` (Bolt's OAuth flow; see
  :class:`~adapters.slack.http.InstallEndpoint`), each request is authorized with its own
  workspace's installation (:class:`~adapters.slack.authorize.InstallationAuthorization`), every
  answer and post goes out with that workspace's token, and ``app_uninstalled`` /
  ``tokens_revoked`` delete the installation (:mod:`adapters.slack.uninstall`).

``api_url`` is the Web API base (default ``https://slack.com/api``): a proxy, or the local
fake Slack in tests. Web API calls that get a 429 are retried after ``Retry-After``.

Bolt gets HTTP requests through :class:`~adapters.slack.http.EventsEndpoint` (signature
checked before parsing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import BOT_SCOPES, PLACEHOLDER_AFTER_SECONDS, SlackAdapter
from adapters.slack.authorize import NOT_INSTALLED, InstallationAuthorization, SharedAuthorization
from adapters.slack.http import EventsEndpoint, InstallEndpoint, SignatureCheck
from adapters.slack.outbound import SlackWeb, trusted_response_urls
from adapters.slack.poster import InstalledWorkspaces, OneWorkspace, SlackPoster, Workspaces
from adapters.slack.redact import redacting_logger
from adapters.slack.uninstall import Revocations
from bot.core.errors import ConfigError
from bot.core.ports import DedupeStore
from bot.core.responder import Handle, Responder

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: The events OAuth mode subscribes to on top of the adapter's (:data:`BOT_EVENTS`).
OAUTH_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})
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
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)

    @property
    def oauth(self) -> bool:
        """OAuth mode (many workspaces) rather than single-token mode."""
        return bool(self.client_id or self.client_secret)


@dataclass(frozen=True, slots=True)
class SlackInstallations:
    """OAuth mode's storage: the installations (bot tokens, encrypted at rest by the store)
    and the single-use OAuth ``state`` of installs in progress."""

    installations: AsyncInstallationStore
    states: AsyncOAuthStateStore


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
    installations: SlackInstallations | None = None,
) -> SlackParts:
    """Build the Slack side of the bot; its HTTP session is closed when ``stack`` unwinds.
    OAuth mode (``credentials.oauth``) needs ``installations``."""
    _check(credentials, installations)
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

    client = web_client(credentials.bot_token)  # no token in OAuth mode: one per workspace
    web_api = SlackWeb(
        client,
        session=session,
        retry_handlers=retry_handlers,
        trusted=trusted_response_urls(credentials.api_url),
        logger=sdk_logger,
    )
    responder = Responder(handle, dedupe, placeholder_after=placeholder_after)
    adapter = SlackAdapter(responder, web_api)
    bolt_logger = redacting_logger("adapters.slack.bolt")
    workspaces: Workspaces
    if installations is None:
        authorize: AsyncAuthorize = SharedAuthorization(client)
        workspaces = OneWorkspace(web_api)
        oauth = None
    else:
        authorize = InstallationAuthorization(installations.installations)
        workspaces = InstalledWorkspaces(web_api, installations.installations)
        oauth = _oauth_settings(credentials, installations, bolt_logger)
    bolt = AsyncApp(
        name="smartcloudops",
        client=web_client(None),  # each request's client gets the token from authorize
        # Bolt's annotation says AuthorizeResult; its middleware takes None as "refused".
        authorize=authorize,  # type: ignore[arg-type]
        oauth_settings=oauth,
        user_facing_authorize_error_message=NOT_INSTALLED,
        signing_secret=credentials.signing_secret or "",
        # EventsEndpoint checks every HTTP request's signature before Bolt sees it (and
        # Socket Mode has none): Bolt's own check would only compute the same HMAC again.
        request_verification_enabled=False,
        logger=bolt_logger,
    )
    if installations is not None:
        Revocations(installations.installations).register(bolt)
    adapter.register(bolt)
    mount = _mount(
        bolt, adapter, signing_secret=credentials.signing_secret, app_token=credentials.app_token
    )
    return SlackParts(mount=mount, poster=SlackPoster(workspaces), adapter=adapter)


def _check(credentials: SlackCredentials, installations: SlackInstallations | None) -> None:
    if not credentials.oauth:
        if not credentials.bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is required for Slack")
        return
    if not (credentials.client_id and credentials.client_secret):
        missing = "SLACK_CLIENT_SECRET" if credentials.client_id else "SLACK_CLIENT_ID"
        raise ConfigError(f"{missing} is required for Slack's OAuth mode")
    if installations is None:
        raise ConfigError("Slack's OAuth mode needs the installation store (DATABASE_URL)")


def _oauth_settings(
    credentials: SlackCredentials,
    installations: SlackInstallations,
    logger: logging.Logger,
) -> AsyncOAuthSettings:
    """Bolt's OAuth flow: ``/slack/install`` sends the browser straight on to Slack (no page
    of our own) with a single-use state, kept in the database and in a cookie."""
    return AsyncOAuthSettings(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        scopes=sorted(BOT_SCOPES),
        install_path=INSTALL_PATH,
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations.installations,
        installation_store_bot_only=True,
        state_store=installations.states,
        logger=logger,
    )


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
        if bolt.oauth_flow is not None:
            install = InstallEndpoint(bolt.oauth_flow)
            app.router.add_get(INSTALL_PATH, install.install)
            app.router.add_get(REDIRECT_PATH, install.redirect)
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
