"""Sending and updating cards in the conversation of a turn, with retries.

A :class:`Conversation` wraps one turn's context: replies go to the incoming activity (so
they land in the same chat, channel and thread), updates replace an earlier card in place.
Every call goes through :func:`adapters.teams.retry.call_with_retries`.
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters.teams.render import CARD_CONTENT_TYPE, RenderedReply
from adapters.teams.retry import RetryPolicy, call_with_retries


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
