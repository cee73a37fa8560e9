"""Sending and updating cards in the conversation of a turn, with retries.

A :class:`Conversation` wraps one turn's context: replies go to the incoming activity (so
they land in the same chat, channel and thread), updates replace an earlier card in place.
Every call goes through :func:`adapters.teams.retry.call_with_retries`.

The two outboxes (:class:`bot.core.responder.Outbox`) are how an answer goes out on Teams:
:class:`ReplyOutbox` answers a message with a card (a "Working on it…" card first if the
answer is slow, then updated into it), :class:`CardOutbox` answers a button click by updating
the clicked card to show who chose what and the outcome. Where Teams refuses an update, the
card is posted as a new reply instead of being lost.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters.teams.render import CARD_CONTENT_TYPE, RenderedReply, render_notice, render_reply
from adapters.teams.retry import OutboundError, RetryPolicy, call_with_retries
from bot.core.model import Reply
from bot.core.responder import WORKING_ON_IT

log = logging.getLogger(__name__)


def card_activity(rendered: RenderedReply, *, activity_id: str | None = None) -> Activity:
    """A message activity holding ``rendered``'s card and its plain-text line.

    ``text_format`` is ``plain`` so Teams reads no markdown or XML in the text line.
    """
    return Activity(
        type=ActivityTypes.message,
        id=activity_id,
        text=rendered.text,
        text_format="plain",
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=rendered.card)],
    )


class Conversation:
    """The conversation (and thread) of one turn, as seen by the bot's replies."""

    def __init__(self, turn_context: Any, retry: RetryPolicy) -> None:
        self._context = turn_context
        self._retry = retry

    async def reply(self, rendered: RenderedReply) -> str | None:
        """Post ``rendered`` as a reply to the incoming activity; the new activity's id."""
        activity = card_activity(rendered)

        async def send() -> Any:
            return await self._context.send_activity(activity)

        response = await call_with_retries("reply", send, self._retry)
        activity_id = getattr(response, "id", None)
        return activity_id if isinstance(activity_id, str) and activity_id else None

    async def update(self, activity_id: str, rendered: RenderedReply) -> None:
        """Replace the card of activity ``activity_id`` (a card the bot posted here)."""
        activity = card_activity(rendered, activity_id=activity_id)

        async def update() -> Any:
            return await self._context.update_activity(activity)

        await call_with_retries("card update", update, self._retry)


class ReplyOutbox:
    """An answer to a message: a card in reply to it; a placeholder card updated into it."""

    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation
        self._placeholder_id: str | None = None

    async def acknowledge(self) -> None:
        """Nothing: the connector's HTTP request is answered before the turn runs."""

    async def placeholder(self) -> None:
        self._placeholder_id = await self._conversation.reply(render_notice())

    async def deliver(self, reply: Reply) -> None:
        await self._conversation.reply(render_reply(reply))

    async def replace(self, reply: Reply) -> None:
        await self._update_or_reply(render_reply(reply))

    async def apologise(self, text: str) -> None:
        await self._update_or_reply(render_notice(text))

    async def _update_or_reply(self, rendered: RenderedReply) -> None:
        shown = self._placeholder_id
        if shown and await updated(self._conversation, shown, rendered):
            return
        await self._conversation.reply(rendered)


class CardOutbox:
    """A click's answer: the clicked card (``card_id``; None when Teams did not say which)
    updated to head with ``outcome`` ("Ann chose Approve"), first as "Working on it…" if the
    answer is slow."""

    def __init__(self, conversation: Conversation, card_id: str | None, outcome: str) -> None:
        self._conversation = conversation
        self._card_id = card_id
        self._outcome = outcome

    async def acknowledge(self) -> None:
        """Nothing: the connector's HTTP request is answered before the turn runs."""

    async def placeholder(self) -> None:
        if self._card_id:
            notice = render_notice(f"{self._outcome}. {WORKING_ON_IT}")
            await self._conversation.update(self._card_id, notice)

    async def deliver(self, reply: Reply) -> None:
        await self._update_or_reply(render_reply(reply, outcome=self._outcome))

    async def replace(self, reply: Reply) -> None:
        await self.deliver(reply)

    async def apologise(self, text: str) -> None:
        await self._update_or_reply(render_notice(f"{self._outcome}. {text}"))

    async def _update_or_reply(self, rendered: RenderedReply) -> None:
        if self._card_id and await updated(self._conversation, self._card_id, rendered):
            return
        await self._conversation.reply(rendered)


async def updated(conversation: Conversation, card_id: str, rendered: RenderedReply) -> bool:
    """Replace card ``card_id``; False (logged) when Teams refuses, so the caller can post
    the card as a new reply instead of losing it."""
    try:
        await conversation.update(card_id, rendered)
    except OutboundError as exc:
        log.warning("teams: card update failed: %s", exc)
        return False
    return True
