"""Proactive posts on Discord (alerts, findings, digests): :class:`bot.core.ports.ChannelPoster`.

Posting needs only Discord's REST API, not the gateway, so any replica can post whether or not
it holds the shard: the poster has a discord.py client of its own that logs in (REST only) on
first use and never opens a websocket. A thread is a channel on Discord, so a post into a
thread goes to the thread's id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord

from adapters.discord.inbound import PLATFORM
from adapters.discord.render import NO_MENTIONS, render
from bot.core.errors import AdapterError, NotFoundError
from bot.core.model import Reply
from bot.core.ports import ChannelRef, PostedRef


class DiscordPoster:
    """Posts and updates messages by channel id, with the same rendering as answers."""

    platform = PLATFORM

    def __init__(self, token: str) -> None:
        self._token = token
        self._client: discord.Client | None = None
        self._lock = asyncio.Lock()

    async def post(self, channel: ChannelRef, reply: Reply) -> PostedRef:
        target = int(channel.thread_id or channel.channel_id)
        async with self._translated(f"post to channel {target}"):
            client = await self._logged_in()
            sent = await client.get_partial_messageable(target).send(
                **render(reply).message_kwargs()
            )
        return PostedRef(PLATFORM, channel.channel_id, str(sent.id), channel.thread_id)

    async def update(self, posted: PostedRef, reply: Reply) -> None:
        target = int(posted.thread_id or posted.channel_id)
        rendered = render(reply)
        async with self._translated(f"update message {posted.message_id}"):
            client = await self._logged_in()
            message = client.get_partial_messageable(target).get_partial_message(
                int(posted.message_id)
            )
            await message.edit(
                embed=rendered.embed,
                attachments=rendered.files(),
                view=rendered.view(),
                allowed_mentions=NO_MENTIONS,
            )

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def _logged_in(self) -> discord.Client:
        async with self._lock:
            if self._client is None:
                client = discord.Client(
                    intents=discord.Intents.none(), allowed_mentions=NO_MENTIONS
                )
                try:
                    await client.login(self._token)
                except BaseException:
                    await client.close()
                    raise
                self._client = client
            return self._client

    @contextlib.asynccontextmanager
    async def _translated(self, action: str) -> AsyncIterator[None]:
        try:
            yield
        except (discord.NotFound, discord.Forbidden) as exc:
            raise NotFoundError(
                f"I cannot {action} on Discord: the channel or message is gone or I lack access."
            ) from exc
        except discord.HTTPException as exc:
            raise AdapterError(f"Discord refused to {action}: HTTP {exc.status}") from exc
        except discord.DiscordException as exc:
            raise AdapterError(f"Discord: cannot {action}: {type(exc).__name__}") from exc
