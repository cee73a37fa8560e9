"""Slack in the composition root: the credentials from :class:`Settings`, the adapter built
by :func:`adapters.slack.factory.build_slack`, its poster registered for proactive posts.

In OAuth mode the installations live in the project's database (``DATABASE_URL``, else the
embedded SQLite file), migrated on the way up, their tokens encrypted with
``SLACK_TOKEN_ENCRYPTION_KEY`` (:mod:`storage.sql.slack_store`)."""

from __future__ import annotations

import contextlib
from collections.abc import MutableMapping
from typing import TYPE_CHECKING

from adapters.slack.adapter import PLACEHOLDER_AFTER_SECONDS
from adapters.slack.factory import SlackCredentials, SlackInstallations, build_slack
from adapters.slack.inbound import PLATFORM
from bot.app.config import Settings
from bot.app.plugins import WebPlugin
from bot.core.errors import ConfigError
from bot.core.ports import ChannelPoster, DedupeStore
from bot.core.responder import Handle

if TYPE_CHECKING:
    from bot.app.services import Services


async def plugin(services: Services, stack: contextlib.AsyncExitStack) -> WebPlugin:
    """The composition root's entry point (see :func:`bot.app.services._platform_plugins`)."""
    return await build_plugin(
        services.settings,
        handle=services.dispatcher.handle,
        dedupe=services.dedupe,
        stack=stack,
        posters=services.posters,
    )


def credentials(settings: Settings) -> SlackCredentials:
    return SlackCredentials(
        bot_token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        app_token=settings.slack_app_token,
        api_url=settings.slack_api_url,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
    )


async def build_plugin(
    settings: Settings,
    *,
    handle: Handle,
    dedupe: DedupeStore,
    stack: contextlib.AsyncExitStack,
    placeholder_after: float = PLACEHOLDER_AFTER_SECONDS,
    posters: MutableMapping[str, ChannelPoster] | None = None,
) -> WebPlugin:
    """Build the Slack side of the bot; with ``posters``, its proactive poster is registered
    there as ``slack``."""
    installations = await open_installations(settings, stack) if settings.slack_oauth else None
    parts = build_slack(
        credentials(settings),
        handle=handle,
        dedupe=dedupe,
        stack=stack,
        placeholder_after=placeholder_after,
        installations=installations,
    )
    if posters is not None:
        posters[PLATFORM] = parts.poster
    return parts.mount


async def open_installations(
    settings: Settings, stack: contextlib.AsyncExitStack
) -> SlackInstallations:
    """OAuth mode's stores on the database, closed when ``stack`` unwinds. Without
    ``SLACK_TOKEN_ENCRYPTION_KEY`` (or with one that is not a Fernet key) start-up stops."""
    from storage.sql.engine import database_url
    from storage.sql.slack_store import KEY_NAME, TokenCipher, open_slack_oauth_stores

    key, client_id = settings.slack_token_encryption_key, settings.slack_client_id
    if not key:
        raise ConfigError(f"{KEY_NAME} is required for Slack's OAuth mode (SLACK_CLIENT_ID)")
    if not client_id:
        raise ConfigError("SLACK_CLIENT_ID is required for Slack's OAuth mode")
    stores = await stack.enter_async_context(
        open_slack_oauth_stores(
            database_url(settings.database_url),
            client_id=client_id,
            cipher=TokenCipher(key),
            timeouts=settings.file.database,
        )
    )
    return SlackInstallations(stores.installations, stores.states)
