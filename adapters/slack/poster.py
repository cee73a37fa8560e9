"""Proactive posts to Slack (alerts, findings, digests): :class:`bot.ports.ChannelPoster`.

A post is ``chat.postMessage`` into the channel (or the thread, for a subscription made in a
thread) rendered exactly like an answer; an update is ``chat.update`` of that message. Charts
and the full text of a cut reply are uploaded next to the post when it is made (an edit
cannot change files). Slack's "cannot post there" errors become
:class:`~bot.core.errors.NotFoundError` with what to do; every other failure stays
:class:`~bot.core.errors.AdapterError`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from adapters.slack.inbound import PLATFORM
from adapters.slack.outbound import SlackWeb
from adapters.slack.render import render
from bot.core.errors import AdapterError, NotFoundError
from bot.core.model import Reply
from bot.core.ports import ChannelRef, PostedRef

log = logging.getLogger(__name__)

#: Slack error codes meaning the bot cannot post (or edit) there.
_UNREACHABLE = (
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "message_not_found",
    "cant_update_message",
    "restricted_action",
)
_HINT = "Invite the SmartCloudOps app to the channel (`/invite @SmartCloudOps`), or unsubscribe."


class SlackPoster:
    """Posts and edits messages by channel id through the adapter's Web API client."""

    platform = PLATFORM

    def __init__(self, web: SlackWeb) -> None:
        self._web = web

    async def post(self, channel: ChannelRef, reply: Reply) -> PostedRef:
        message = render(reply)
        with _translated(f"post in {channel.channel_id}"):
            ts = await self._web.post(channel.channel_id, channel.thread_id, message)
        if message.files:
            try:
                await self._web.upload(channel.channel_id, channel.thread_id or ts, message.files)
            except AdapterError as exc:
                log.warning("could not attach files to a post in %s: %s", channel.channel_id, exc)
        return PostedRef(PLATFORM, channel.channel_id, ts, channel.thread_id)

    async def update(self, posted: PostedRef, reply: Reply) -> None:
        with _translated(f"update message {posted.message_id}"):
            await self._web.update(posted.channel_id, posted.message_id, render(reply))


@contextlib.contextmanager
def _translated(action: str) -> Iterator[None]:
    """Re-raise Slack's "cannot post there" errors as :class:`NotFoundError`."""
    try:
        yield
    except AdapterError as exc:
        code = str(exc).rsplit(": ", 1)[-1]
        if code in _UNREACHABLE:
            raise NotFoundError(f"Slack will not let me {action} ({code}).", hint=_HINT) from exc
        raise
