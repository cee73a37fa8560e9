"""Proactive posts to Slack (alerts, findings, digests): :class:`bot.core.ports.ChannelPoster`.

A post is ``chat.postMessage`` into the channel (or the thread, for a subscription made in a
thread) rendered exactly like an answer; an update is ``chat.update`` of that message. Charts
and the full text of a cut reply are uploaded next to the post when it is made (an edit
cannot change files). Slack's "cannot post there" errors become
:class:`~bot.core.errors.NotFoundError` with what to do; every other failure stays
:class:`~bot.core.errors.AdapterError`.

Each post goes out as the workspace of its channel (:class:`Workspaces`): the one bot token in
single-token mode, the workspace's installed token in OAuth mode (a workspace that uninstalled
the app is a :class:`~bot.core.errors.NotFoundError`, so its subscriptions say so).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Protocol

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from adapters.slack.inbound import PLATFORM
from adapters.slack.outbound import SlackWeb, cannot_post_there
from adapters.slack.render import render
from bot.core.errors import AdapterError, NotFoundError
from bot.core.model import Reply
from bot.core.ports import ChannelRef, PostedRef

log = logging.getLogger(__name__)

_HINT = "Invite the SmartCloudOps app to the channel (`/invite @SmartCloudOps`), or unsubscribe."
_NOT_INSTALLED_HINT = "Install SmartCloudOps in that workspace again, or unsubscribe."


class Workspaces(Protocol):
    """The Web API as the workspace ``team_id`` (its own bot token)."""

    async def web_for(self, team_id: str) -> SlackWeb:
        """Raises :class:`NotFoundError` for a workspace the app is not installed in."""
        ...


class OneWorkspace:
    """Single-token mode: every channel is in the token's workspace."""

    def __init__(self, web: SlackWeb) -> None:
        self._web = web

    async def web_for(self, team_id: str) -> SlackWeb:
        return self._web


class InstalledWorkspaces:
    """OAuth mode: the workspace's bot token from the installation store, at each post."""

    def __init__(self, web: SlackWeb, installations: AsyncInstallationStore) -> None:
        self._web = web
        self._installations = installations

    async def web_for(self, team_id: str) -> SlackWeb:
        bot = await self._installations.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise NotFoundError(
                f"SmartCloudOps is not installed in Slack workspace {team_id or '(unknown)'} "
                "any more.",
                hint=_NOT_INSTALLED_HINT,
            )
        return self._web.with_token(bot.bot_token)


class SlackPoster:
    """Posts and edits messages by channel id, as the channel's workspace."""

    platform = PLATFORM

    def __init__(self, workspaces: Workspaces) -> None:
        self._workspaces = workspaces

    async def post(self, channel: ChannelRef, reply: Reply) -> PostedRef:
        message = render(reply)
        web = await self._workspaces.web_for(channel.team_id)
        with _translated(f"post in {channel.channel_id}"):
            ts = await web.post(channel.channel_id, channel.thread_id, message)
        if message.files:
            try:
                await web.upload(channel.channel_id, channel.thread_id or ts, message.files)
            except AdapterError as exc:
                log.warning("could not attach files to a post in %s: %s", channel.channel_id, exc)
        return PostedRef(PLATFORM, channel.channel_id, ts, channel.thread_id, channel.team_id)

    async def update(self, posted: PostedRef, reply: Reply) -> None:
        web = await self._workspaces.web_for(posted.team_id)
        with _translated(f"update message {posted.message_id}"):
            await web.update(posted.channel_id, posted.message_id, render(reply))


@contextlib.contextmanager
def _translated(action: str) -> Iterator[None]:
    """Re-raise Slack's "cannot post there" errors as :class:`NotFoundError`."""
    try:
        yield
    except AdapterError as exc:
        code = cannot_post_there(exc)
        if code is not None:
            raise NotFoundError(f"Slack will not let me {action} ({code}).", hint=_HINT) from exc
        raise
