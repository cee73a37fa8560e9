"""The Teams bot: one ``ActivityHandler`` that hands messages and button clicks to the core
and renders its replies as Adaptive Cards.

Per message activity (personal chat, group chat or channel):

1. the conversation's reference is stored, so alerts can be posted there later;
2. text goes to the core as the sender (their AAD object id); a click on one of our buttons
   (a message whose ``value`` holds ``command``) goes to the core as the *clicking* user, and
   the clicked card is updated in place to show who chose what and the outcome
   (:mod:`adapters.teams.outgoing` has the two outboxes);
3. the :class:`~bot.core.responder.Responder` answers once per conversation and activity id (a
   connector retry or a second replica is skipped), with a "Working on it…" card first when
   the answer is slow, and an apology with a ref if it fails.

Installing or adding the bot stores the reference too; removing it forgets it.

With ``tenant_id`` set (``TEAMS_TENANT_ID``), an activity of any other tenant, or naming none,
is dropped before any of this: logged, not answered, nothing stored. Bot Framework
authentication proves the activity came through the Bot Framework, not from which tenant.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import ActivityHandler

from adapters.teams.inbound import (
    EMPTY_MENTION_TEXT,
    click_of,
    dedupe_key,
    is_bot_account,
    message_text,
    tenant_of,
    to_incoming,
)
from adapters.teams.outgoing import CardOutbox, Conversation, ReplyOutbox
from adapters.teams.references import ReferenceBook
from adapters.teams.retry import RetryPolicy, own_retries
from bot.core.model import IncomingMessage
from bot.core.responder import Delivery, Outbox, Responder

log = logging.getLogger(__name__)

PLACEHOLDER_AFTER_SECONDS = 1.5
#: How long an activity id is remembered; Bot Framework redeliveries come within minutes.
DEDUPE_TTL_SECONDS = 6 * 3600


class TeamsBot(ActivityHandler):  # type: ignore[misc]  # botbuilder ships no type hints
    """Translates Teams activities for the core (through ``responder``) and renders its
    replies."""

    def __init__(
        self,
        responder: Responder,
        references: ReferenceBook,
        *,
        retry: RetryPolicy | None = None,
        dedupe_ttl: int = DEDUPE_TTL_SECONDS,
        tenant_id: str | None = None,
    ) -> None:
        super().__init__()
        self._tenant = tenant_id.lower() if tenant_id else None
        self._responder = responder
        self._references = references
        self._retry = retry or RetryPolicy()
        self._dedupe_ttl = dedupe_ttl

    async def on_turn(self, turn_context: Any) -> None:
        activity = turn_context.activity
        if self._tenant is not None and tenant_of(activity).lower() != self._tenant:
            log.warning(
                "teams: dropped a %s activity from tenant %r (only %s is served)",
                activity.type,
                tenant_of(activity) or "none",
                self._tenant,
            )
            return
        own_retries(turn_context)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: Any) -> None:
        activity = turn_context.activity
        await self._references.remember(activity)
        conversation = Conversation(turn_context, self._retry)
        message, outbox = _question(activity, conversation)
        await self._responder.respond(
            message, outbox, Delivery(dedupe_key(activity), self._dedupe_ttl)
        )

    async def on_conversation_update_activity(self, turn_context: Any) -> None:
        activity = turn_context.activity
        if any(is_bot_account(activity, m) for m in activity.members_removed or ()):
            await self._references.forget(activity)
        elif any(is_bot_account(activity, m) for m in activity.members_added or ()):
            await self._references.remember(activity)

    async def on_installation_update_add(self, turn_context: Any) -> None:
        await self._references.remember(turn_context.activity)

    async def on_installation_update_remove(self, turn_context: Any) -> None:
        await self._references.forget(turn_context.activity)


def _question(activity: Any, conversation: Conversation) -> tuple[IncomingMessage, Outbox]:
    """What the core is asked, as whom, and where the answer goes: text from the sender,
    answered in a reply; a button's command from the clicking user, answered on its card."""
    click = click_of(activity)
    if click is None:
        text = message_text(activity) or EMPTY_MENTION_TEXT
        return to_incoming(activity, text=text), ReplyOutbox(conversation)
    message = to_incoming(activity, text=click.command)
    outcome = f"{message.user_name} chose “{click.label}”"
    return message, CardOutbox(conversation, click.card_id, outcome)
