"""Wiring the Teams adapter into the server: ``plugin(services, stack)`` for the composition
root (:mod:`bot.app`), called when ``TEAMS_APP_ID`` is set or development mode is on.

It checks the credentials (a :class:`~bot.errors.ConfigError` names what to set), builds the
Bot Framework ``CloudAdapter`` (whose token checks take their signing keys from an async,
bounded, cached :class:`~adapters.teams.signing_keys.SigningKeys`), the bot and the reference
store (Redis when ``REDIS_URL`` is set, so every replica can post; in memory otherwise),
registers the proactive poster as ``services.posters["teams"]`` and returns the route
``POST /api/messages``.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter
from redis.asyncio import Redis

from adapters.teams.authentication import KeyedAuthentication
from adapters.teams.bot import PLACEHOLDER_AFTER_SECONDS, TeamsBot
from adapters.teams.config import TeamsConfig
from adapters.teams.endpoint import MessagesEndpoint
from adapters.teams.poster import TeamsPoster
from adapters.teams.references import ReferenceBook, ReferenceStore
from adapters.teams.retry import RetryPolicy
from adapters.teams.signing_keys import (
    FETCH_TIMEOUT_SECONDS,
    MIN_REFRESH_INTERVAL_SECONDS,
    SigningKeys,
)
from bot.server import WebPlugin

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
#: The mounted endpoint, e.g. to wait for turns in flight (``await app[ENDPOINT_KEY].drain()``).
ENDPOINT_KEY = web.AppKey("teams_endpoint", MessagesEndpoint)


@dataclass(frozen=True, slots=True)
class TeamsOptions:
    """Timing knobs; the defaults are for production, tests shorten them."""

    placeholder_after: float = PLACEHOLDER_AFTER_SECONDS
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Bound on one refresh of the Bot Framework's signing keys (metadata + key set).
    key_fetch_timeout: float = FETCH_TIMEOUT_SECONDS
    #: Least time between two refreshes of those keys, whatever the tokens ask for.
    key_refresh_interval: float = MIN_REFRESH_INTERVAL_SECONDS


async def plugin(
    services: Services,
    stack: contextlib.AsyncExitStack,
    *,
    options: TeamsOptions | None = None,
) -> WebPlugin:
    """Build the Teams adapter from ``services`` and return the route that mounts it."""
    options = options or TeamsOptions()
    config = TeamsConfig.from_settings(services.settings)
    references = ReferenceBook(_reference_store(services.redis))
    keys = SigningKeys(timeout=options.key_fetch_timeout, min_interval=options.key_refresh_interval)
    adapter = CloudAdapter(KeyedAuthentication(config.sdk_configuration(), keys))
    adapter.on_turn_error = _log_turn_error
    bot = TeamsBot(
        services.dispatcher.handle,
        services.dedupe,
        references,
        retry=options.retry,
        placeholder_after=options.placeholder_after,
        tenant_id=config.tenant_id,
    )
    services.posters["teams"] = TeamsPoster(
        adapter, references, app_id=config.app_id, retry=options.retry
    )
    endpoint = MessagesEndpoint(adapter, bot)

    def mount(app: web.Application) -> None:
        app[ENDPOINT_KEY] = endpoint
        app.router.add_post(ROUTE, endpoint.handle)
        app.on_shutdown.append(endpoint.drain)

    return mount


def _reference_store(redis: Redis | None) -> ReferenceStore:
    if redis is None:
        from storage.teams_references import InMemoryReferenceStore

        return InMemoryReferenceStore()
    from storage.teams_references import RedisReferenceStore

    return RedisReferenceStore(redis)


async def _log_turn_error(turn_context: Any, error: Exception) -> None:
    """Log a failed turn without its content (no text, no tokens) and carry on: the
    connector has nothing useful to do with a 500 for a message activity."""
    activity = turn_context.activity
    log.error(
        "teams: turn for activity %s (%s) failed: %s",
        activity.id, activity.type, type(error).__name__,
        exc_info=(type(error), error, error.__traceback__),
    )  # fmt: skip
