"""Building the Teams side of the bot from its checked credentials: the Bot Framework
``CloudAdapter`` (whose token checks take their signing keys from an async, bounded, cached
:class:`~adapters.teams.signing_keys.SigningKeys`), the bot, the proactive poster and the
route ``POST /api/messages``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter

from adapters.teams.authentication import KeyedAuthentication
from adapters.teams.bot import PLACEHOLDER_AFTER_SECONDS, TeamsBot
from adapters.teams.config import TeamsConfig
from adapters.teams.endpoint import MessagesEndpoint
from adapters.teams.late import INVOKE_DEADLINE_SECONDS, TEAMS_INVOKE_LIMIT_SECONDS
from adapters.teams.poster import TeamsPoster
from adapters.teams.references import ReferenceBook, ReferenceStore
from adapters.teams.retry import RetryPolicy
from adapters.teams.signing_keys import (
    FETCH_TIMEOUT_SECONDS,
    MIN_REFRESH_INTERVAL_SECONDS,
    SigningKeys,
)
from bot.core.errors import ConfigError
from bot.core.ports import DedupeStore
from bot.core.responder import Handle, Responder, Timer

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
#: The mounted endpoint, e.g. to wait for turns in flight (``await app[ENDPOINT_KEY].drain()``).
ENDPOINT_KEY = web.AppKey("teams_endpoint", MessagesEndpoint)

Mount = Callable[[web.Application], None]


@dataclass(frozen=True, slots=True)
class TeamsOptions:
    """Timing knobs; the defaults are for production, tests shorten them.

    ``invoke_deadline`` is how long a click's answer may take before its invoke is answered
    with "Working on it…" (kept under Teams' 5 s limit); ``invoke_timer`` waits it (tests
    pass one they control).
    """

    placeholder_after: float = PLACEHOLDER_AFTER_SECONDS
    invoke_deadline: float = INVOKE_DEADLINE_SECONDS
    invoke_timer: Timer = asyncio.sleep
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Bound on one refresh of the Bot Framework's signing keys (metadata + key set).
    key_fetch_timeout: float = FETCH_TIMEOUT_SECONDS
    #: Least time between two refreshes of those keys, whatever the tokens ask for.
    key_refresh_interval: float = MIN_REFRESH_INTERVAL_SECONDS

    def __post_init__(self) -> None:
        if not 0 < self.invoke_deadline < TEAMS_INVOKE_LIMIT_SECONDS:
            raise ConfigError(
                f"invoke_deadline must be between 0 and Teams' {TEAMS_INVOKE_LIMIT_SECONDS:g} s "
                f"invoke limit, not {self.invoke_deadline:g}"
            )


@dataclass(frozen=True, slots=True)
class TeamsParts:
    """The built adapter: ``mount`` adds the route, ``poster`` posts proactively."""

    mount: Mount
    poster: TeamsPoster


def build_teams(
    config: TeamsConfig,
    *,
    handle: Handle,
    dedupe: DedupeStore,
    references: ReferenceStore,
    documents: ReferenceStore,
    options: TeamsOptions | None = None,
) -> TeamsParts:
    """The Teams adapter for ``config``; conversation references (needed to post outside
    a turn) are kept in ``references``, per-viewer card views and files offered in
    ``documents``: both shared by every replica when they are Redis."""
    options = options or TeamsOptions()
    book = ReferenceBook(references)
    keys = SigningKeys(timeout=options.key_fetch_timeout, min_interval=options.key_refresh_interval)
    adapter = CloudAdapter(KeyedAuthentication(config.sdk_configuration(), keys))
    adapter.on_turn_error = _log_turn_error
    responder = Responder(handle, dedupe, placeholder_after=options.placeholder_after)
    bot = TeamsBot(
        responder,
        book,
        documents=documents,
        retry=options.retry,
        tenant_id=config.tenant_id,
        app_id=config.app_id,
        allow_http_uploads=not config.authenticated,
        invoke_deadline=options.invoke_deadline,
        timer=options.invoke_timer,
    )
    poster = TeamsPoster(adapter, book, app_id=config.app_id, retry=options.retry)
    endpoint = MessagesEndpoint(adapter, bot)

    def mount(app: web.Application) -> None:
        app[ENDPOINT_KEY] = endpoint
        app.router.add_post(ROUTE, endpoint.handle)
        app.on_shutdown.append(endpoint.drain)

    return TeamsParts(mount=mount, poster=poster)


async def _log_turn_error(turn_context: Any, error: Exception) -> None:
    """Log a failed turn without its content (no text, no tokens) and carry on: the
    connector has nothing useful to do with a 500 for a message activity."""
    activity = turn_context.activity
    log.error(
        "teams: turn for activity %s (%s) failed: %s",
        activity.id, activity.type, type(error).__name__,
        exc_info=(type(error), error, error.__traceback__),
    )  # fmt: skip
