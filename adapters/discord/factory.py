"""Building the Discord side of the bot from its options: the chat translator, the gateway
supervisor (which holds the shard's lease while connected), the proactive poster, and the
hooks that run the gateway for as long as the aiohttp server runs.

Discord needs no HTTP route (the gateway is an outgoing websocket): the mount only hooks the
supervisor onto the app's lifecycle, so it starts with the server, on the server's event
loop, and stops (releasing the shard lease) on cleanup.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web

from adapters.discord.chat import DiscordChat
from adapters.discord.client import OpsClient, point_at
from adapters.discord.complete import Vocabulary
from adapters.discord.gateway import GatewaySupervisor
from adapters.discord.lease import Fence, Lease
from adapters.discord.options import DiscordOptions
from adapters.discord.poster import DiscordPoster
from bot.core.ports import DedupeStore
from bot.core.responder import Handle, Responder

SUPERVISOR_KEY = web.AppKey("discord_gateway", GatewaySupervisor)

Mount = Callable[[web.Application], None]


@dataclass(frozen=True, slots=True)
class DiscordParts:
    """The built adapter: ``mount`` runs the gateway with the server, ``poster`` posts
    proactively."""

    mount: Mount
    poster: DiscordPoster
    supervisor: GatewaySupervisor


def build_discord(
    options: DiscordOptions,
    *,
    handle: Handle,
    dedupe: DedupeStore,
    vocabulary: Vocabulary,
    lease: Lease,
    stack: contextlib.AsyncExitStack,
) -> DiscordParts:
    """The Discord adapter; the gateway and the poster are closed when ``stack`` unwinds."""
    point_at(options.api_base, options.gateway_url)
    fence = Fence()
    chat = DiscordChat(
        Responder(handle, dedupe, placeholder_after=options.placeholder_after),
        vocabulary,
        fence,
        prefix=options.prefix,
        dedupe_ttl_seconds=options.dedupe_ttl_seconds,
    )
    supervisor = GatewaySupervisor(
        lease,
        fence,
        lambda: OpsClient(chat, options),
        options.token,
        renew_every=options.lease_renew_every,
        standby_poll=options.standby_poll,
    )
    stack.push_async_callback(supervisor.stop)
    poster = DiscordPoster(options.token)
    stack.push_async_callback(poster.aclose)

    async def run_gateway(_: web.Application) -> AsyncIterator[None]:
        supervisor.start()
        yield
        await supervisor.stop()

    def mount(app: web.Application) -> None:
        app[SUPERVISOR_KEY] = supervisor
        app.cleanup_ctx.append(run_gateway)

    return DiscordParts(mount=mount, poster=poster, supervisor=supervisor)
