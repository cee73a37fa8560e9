"""Sending and updating cards in the conversation of a turn, with retries.

A :class:`Conversation` wraps one turn's context: replies go to the incoming activity (so
they land in the same chat, channel and thread), updates replace an earlier card in place.
Every call goes through :func:`adapters.teams.retry.call_with_retries`.

The two outboxes (:class:`bot.core.responder.Outbox`) are how an answer goes out on Teams:
:class:`ReplyOutbox` answers a message with a card (a "Working on it…" card first if the
answer is slow, then updated into it), :class:`CardOutbox` answers a button click by updating
the clicked card to show who chose what and the outcome. Where Teams refuses an update, the
card is posted as a new reply instead of being lost.

:class:`ActionOutbox` answers a Universal Actions click (an ``adaptiveCard/action`` invoke):
the clicker's card comes back in the invoke response, and a public answer also becomes the
card everyone sees (:mod:`adapters.teams.views` keeps each viewer's own view). A private
answer (a refused approval) is shown to the clicker alone; the others keep the card as it was.
When the answer outlasts the invoke (:mod:`adapters.teams.late`), the invoke is answered with
"<name> chose X. Working on it…" and the answer reaches the clicker later: through the
shared card, updated with a ``refresh`` naming them so their client fetches their own view,
or, when the shared card does not change (a private answer on a card nobody has answered
publicly yet), posted to them in their 1:1 chat.

In a personal chat, an answer too long for one card is also offered as a file
(:mod:`adapters.teams.files`); elsewhere it is cut and says how to narrow it.

A private answer (:attr:`~bot.core.model.Reply.private`) to a message in a channel or group
chat goes to the asker's personal (1:1) chat with the bot, created through the connector
(``POST /v3/conversations``); a "Working on it…" card already shown in the channel is turned
into a one-line pointer there. Teams lets a bot open that chat only when the app is installed
for the user; where it refuses, the answer is posted in the channel as before. A click's
answer stays on its card.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationParameters

from adapters.teams.files import FileOffers
from adapters.teams.inbound import Click
from adapters.teams.render import (
    CARD_CONTENT_TYPE,
    Element,
    RenderedReply,
    headline,
    render_notice,
    render_reply,
)
from adapters.teams.retry import OutboundError, RetryPolicy, call_with_retries
from adapters.teams.views import CardViews, Viewer
from bot.core.errors import AdapterError
from bot.core.model import Reply
from bot.core.responder import WORKING_ON_IT

log = logging.getLogger(__name__)

#: What a "Working on it…" card in a channel becomes when the answer went to a 1:1 chat.
POINTER = "I answered you in our personal chat."


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

    def __init__(self, turn_context: Any, retry: RetryPolicy, *, app_id: str = "") -> None:
        self._context = turn_context
        self._retry = retry
        self._app_id = app_id

    @property
    def is_personal(self) -> bool:
        """Whether this is the user's 1:1 chat with the bot (private already)."""
        conversation = getattr(self._context.activity, "conversation", None)
        return getattr(conversation, "conversation_type", None) in (None, "personal")

    async def reply_in_person(self, rendered: RenderedReply) -> bool:
        """Post ``rendered`` in the sender's 1:1 chat with the bot; False (logged) when
        Teams refuses to open it."""
        activity = self._context.activity
        tenant = getattr(getattr(activity, "conversation", None), "tenant_id", None)
        parameters = ConversationParameters(
            is_group=False,
            bot=activity.recipient,
            members=[activity.from_property],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )

        async def send(personal: Any) -> None:
            await personal.send_activity(card_activity(rendered))

        async def open_and_send() -> Any:
            return await self._context.adapter.create_conversation(
                self._app_id, send, parameters, activity.channel_id, activity.service_url
            )

        try:
            await call_with_retries("personal reply", open_and_send, self._retry)
        except (OutboundError, AdapterError) as exc:
            log.warning("teams: could not answer in a personal chat, answering here: %s", exc)
            return False
        return True

    async def reply(self, rendered: RenderedReply) -> str | None:
        """Post ``rendered`` as a reply to the incoming activity; the new activity's id."""
        return await self.send(card_activity(rendered))

    async def send(self, activity: Activity) -> str | None:
        """Post ``activity`` as a reply to the incoming activity; the new activity's id."""

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
    """An answer to a message: a card in reply to it; a placeholder card updated into it.
    With ``files`` (and ``user_id``, the asker), a card cut to fit in a personal chat is
    followed by the offer of the whole answer as a file."""

    def __init__(
        self,
        conversation: Conversation,
        *,
        files: FileOffers | None = None,
        user_id: str = "",
    ) -> None:
        self._conversation = conversation
        self._placeholder_id: str | None = None
        self._files = files
        self._user_id = user_id

    async def acknowledge(self) -> None:
        """Nothing: the connector's HTTP request is answered before the turn runs."""

    async def placeholder(self) -> None:
        self._placeholder_id = await self._conversation.reply(render_notice())

    async def deliver(self, reply: Reply) -> None:
        if await self._in_person(reply):
            return
        rendered = render_reply(reply)
        await self._conversation.reply(rendered)
        await self._offer_file(reply, rendered)

    async def replace(self, reply: Reply) -> None:
        if await self._in_person(reply):
            if self._placeholder_id:
                await updated(self._conversation, self._placeholder_id, render_notice(POINTER))
            return
        rendered = render_reply(reply)
        await self._update_or_reply(rendered)
        await self._offer_file(reply, rendered)

    async def apologise(self, text: str) -> None:
        await self._update_or_reply(render_notice(text))

    async def _in_person(self, reply: Reply) -> bool:
        if not reply.private or self._conversation.is_personal:
            return False
        return await self._conversation.reply_in_person(render_reply(reply))

    async def _update_or_reply(self, rendered: RenderedReply) -> None:
        shown = self._placeholder_id
        if shown and await updated(self._conversation, shown, rendered):
            return
        await self._conversation.reply(rendered)

    async def _offer_file(self, reply: Reply, rendered: RenderedReply) -> None:
        if not rendered.cut or self._files is None or not self._conversation.is_personal:
            return
        offer = await self._files.offer(reply, self._user_id)
        if offer is not None:
            await self._conversation.send(offer)


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


class ActionOutbox:
    """A Universal Actions click's answer (see the module docstring). ``response`` is the
    card for the clicker's invoke response once the answer is in (or once
    :meth:`answer_now` gave up waiting for it); ``card_id`` is the clicked card (None when
    Teams did not say which: the answer is then posted as a reply)."""

    def __init__(
        self,
        conversation: Conversation,
        click: Click,
        viewer: Viewer,
        *,
        views: CardViews,
        views_key: str,
        outcome: str,
    ) -> None:
        self._conversation = conversation
        self._click = click
        self._viewer = viewer
        self._views = views
        self._key = views_key
        self._outcome = outcome
        self._late = False
        self.response: Element | None = None

    @property
    def late(self) -> bool:
        """Whether the invoke was answered before the answer was in."""
        return self._late

    def answer_now(self) -> Element:
        """The card to answer the invoke with now: the clicker's card when it is in, else
        "<name> chose X. Working on it…" (no buttons, so the one used is not offered again),
        after which the answer reaches the clicker another way."""
        if self.response is None:
            self._late = True
            self.response = render_notice(f"{self._outcome}. {WORKING_ON_IT}").card
        return self.response

    async def acknowledge(self) -> None:
        """Nothing: the clicker's client shows the button busy until the invoke is answered."""

    async def placeholder(self) -> None:
        """Nothing: the invoke is answered with "Working on it…" by :meth:`answer_now`."""

    async def deliver(self, reply: Reply) -> None:
        rendered = render_reply(reply, outcome=self._outcome)
        card_id = self._click.card_id
        if card_id is None:
            self._answered(rendered.card)
            if not reply.private:
                await self._conversation.reply(rendered)
            elif self._late:
                await self._tell_clicker(rendered)
            return
        label = self._click.label
        note = (
            f"You chose “{label}”."
            if not reply.private
            else f"You chose “{label}”: {headline(reply)}"
        )
        shown = await self._views.clicked(
            self._key,
            card_id,
            self._viewer,
            command=self._click.command,
            answer=rendered.card,
            note=note,
            public=not reply.private,
        )
        self._answered(shown.mine)
        if shown.everyone is not None:
            everyone = RenderedReply(card=shown.everyone, text=rendered.text)
            if not await updated(self._conversation, card_id, everyone):
                await self._conversation.reply(everyone)
        elif self._late:
            await self._tell_clicker(rendered)

    async def replace(self, reply: Reply) -> None:
        await self.deliver(reply)

    async def apologise(self, text: str) -> None:
        notice = render_notice(f"{self._outcome}. {text}")
        if not self._late:
            self.response = notice.card
            return
        await self._tell_clicker(notice)

    def _answered(self, card: Element) -> None:
        if not self._late:
            self.response = card

    async def _tell_clicker(self, rendered: RenderedReply) -> None:
        """Post ``rendered`` to the clicker: in their 1:1 chat with the bot, else (Teams
        refused to open it) here, as other private answers are."""
        if self._conversation.is_personal or not await self._conversation.reply_in_person(rendered):
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
