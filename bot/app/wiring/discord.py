"""Discord in the composition root, called when ``DISCORD_TOKEN`` is set: the options from
:class:`Settings`, the shard lease (in Redis with ``REDIS_URL``, so several replicas can run
and exactly one holds the gateway; local otherwise), the adapter built by
:func:`adapters.discord.factory.build_discord` and its poster registered for proactive posts.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from typing import TYPE_CHECKING

from adapters.discord.complete import Vocabulary
from adapters.discord.factory import build_discord
from adapters.discord.inbound import PLATFORM
from adapters.discord.lease import Lease, shard_name
from adapters.discord.options import DiscordOptions
from bot.app.config import Settings
from bot.app.plugins import WebPlugin
from bot.core.errors import ConfigError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.app.services import Services


async def plugin(services: Services, stack: contextlib.AsyncExitStack) -> WebPlugin:
    """The Discord adapter for ``services``."""
    return build_plugin(services, stack, discord_options(services.settings))


def discord_options(settings: Settings) -> DiscordOptions:
    """Options for ``settings``; ``discord_prefix`` is read from the YAML file when the
    settings schema has it (absent: mentions and DMs only)."""
    if not settings.discord_token:
        raise ConfigError("DISCORD_TOKEN is not set")
    prefix = getattr(settings.file, "discord_prefix", None)
    return DiscordOptions(
        token=settings.discord_token,
        prefix=prefix if isinstance(prefix, str) and prefix else None,
    )


def build_plugin(
    services: Services, stack: contextlib.AsyncExitStack, options: DiscordOptions
) -> WebPlugin:
    """The plugin with explicit ``options`` (timings, prefix, endpoints)."""
    parts = build_discord(
        options,
        handle=services.dispatcher.handle,
        dedupe=services.dedupe,
        vocabulary=Vocabulary(services.directory),
        lease=_lease(services.redis, options),
        stack=stack,
    )
    services.posters[PLATFORM] = parts.poster
    return parts.mount


def _lease(redis: Redis | None, options: DiscordOptions) -> Lease:
    shard = shard_name(options.shard_id, options.shard_count)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if redis is None:
        from storage.lease import InMemoryLeases

        return InMemoryLeases().lease(shard, owner, options.lease_ttl)
    from storage.lease import RedisLease

    return RedisLease(
        redis,
        name=shard,
        owner=owner,
        ttl_seconds=options.lease_ttl,
        namespace=options.lease_namespace,
    )
