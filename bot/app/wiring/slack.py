"""Slack in the composition root: the credentials from :class:`Settings`, the adapter built
by :func:`adapters.slack.factory.build_slack`, its poster registered for proactive posts."""

from __future__ import annotations

import contextlib
from collections.abc import MutableMapping
from typing import TYPE_CHECKING

from adapters.slack.adapter import PLACEHOLDER_AFTER_SECONDS, Handle
from adapters.slack.factory import SlackCredentials, build_slack
from adapters.slack.inbound import PLATFORM
from bot.app.config import Settings
from bot.app.plugins import WebPlugin
from bot.core.ports import ChannelPoster, DedupeStore

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
    parts = build_slack(
        credentials(settings),
        handle=handle,
        dedupe=dedupe,
        stack=stack,
        placeholder_after=placeholder_after,
    )
    if posters is not None:
        posters[PLATFORM] = parts.poster
    return parts.mount
