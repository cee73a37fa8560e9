"""The Discord adapter in the composition root: ``plugin(services, stack)``.

Discord needs no HTTP route (the gateway is an outgoing websocket), so the plugin only hooks
the gateway supervisor onto the aiohttp app's lifecycle: it starts with the server, on the
server's event loop, and stops (releasing the shard lease) on cleanup. With ``REDIS_URL`` the
shard lease lives in Redis and several replicas can run; without it this replica is the only
one and always holds the shard.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from adapters.discord.chat import DiscordChat
from adapters.discord.client import OpsClient, point_at
from adapters.discord.complete import Vocabulary
from adapters.discord.gateway import GatewaySupervisor
from adapters.discord.inbound import PLATFORM
from adapters.discord.lease import Fence, LocalShardLease, RedisShardLease, ShardLease, shard_name
from adapters.discord.options import DiscordOptions
from adapters.discord.poster import DiscordPoster
from bot.app import Services
from bot.server import WebPlugin

SUPERVISOR_KEY = web.AppKey("discord_gateway", GatewaySupervisor)


async def plugin(services: Services, stack: contextlib.AsyncExitStack) -> WebPlugin:
    """The Discord adapter for ``services`` (called when ``DISCORD_TOKEN`` is set)."""
    return build_plugin(services, stack, DiscordOptions.from_settings(services.settings))


def build_plugin(
    services: Services, stack: contextlib.AsyncExitStack, options: DiscordOptions
) -> WebPlugin:
    """The plugin with explicit ``options`` (timings, prefix, endpoints). Also registers the
    Discord :class:`DiscordPoster` for proactive posts."""
    supervisor = build_supervisor(services, stack, options)
    stack.push_async_callback(supervisor.stop)
    poster = DiscordPoster(options.token)
    stack.push_async_callback(poster.aclose)
    services.posters[PLATFORM] = poster

    async def run_gateway(_: web.Application) -> AsyncIterator[None]:
        supervisor.start()
        yield
        await supervisor.stop()

    def mount(app: web.Application) -> None:
        app[SUPERVISOR_KEY] = supervisor
        app.cleanup_ctx.append(run_gateway)

    return mount


def build_supervisor(
    services: Services, stack: contextlib.AsyncExitStack, options: DiscordOptions
) -> GatewaySupervisor:
    point_at(options.api_base, options.gateway_url)
    fence = Fence()
    chat = DiscordChat(
        services.dispatcher.handle,
        services.dedupe,
        Vocabulary(services.directory),
        fence,
        prefix=options.prefix,
        placeholder_after=options.placeholder_after,
        dedupe_ttl_seconds=options.dedupe_ttl_seconds,
    )
    return GatewaySupervisor(
        _lease(services, stack, options),
        fence,
        lambda: OpsClient(chat, options),
        options.token,
        renew_every=options.lease_renew_every,
        standby_poll=options.standby_poll,
    )


def _lease(
    services: Services, stack: contextlib.AsyncExitStack, options: DiscordOptions
) -> ShardLease:
    shard = shard_name(options.shard_id, options.shard_count)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if services.redis is None:
        return LocalShardLease(shard=shard, owner=owner, ttl_seconds=options.lease_ttl)
    return RedisShardLease(
        services.redis,
        shard=shard,
        owner=owner,
        ttl_seconds=options.lease_ttl,
        namespace=options.lease_namespace,
    )
