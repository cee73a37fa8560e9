"""The Teams bot: one ``ActivityHandler`` that hands messages and button clicks to the core
and renders its replies as Adaptive Cards.

Per message activity (personal chat, group chat or channel):

1. a duplicate delivery (same conversation and activity id, e.g. a connector retry or a
   second replica) is dropped through the shared dedupe store;
2. the conversation's reference is stored, so alerts can be posted there later;
3. text goes to the core as the sender (their AAD object id); a click on one of our buttons
   (a message whose ``value`` holds ``command``) goes to the core as the *clicking* user, and
   the clicked card is updated in place to show who chose what and the outcome;
4. an answer slower than ``placeholder_after`` seconds first gets a "Working on it…" card,
   which the answer then replaces.

Installing or adding the bot stores the reference too; removing it forgets it.

With ``tenant_id`` set (``TEAMS_TENANT_ID``), an activity of any other tenant, or naming none,
is dropped before any of this: logged, not answered, nothing stored. Bot Framework
authentication proves the activity came through the Bot Framework, not from which tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import ActivityHandler

from adapters.teams.inbound import (
    EMPTY_MENTION_TEXT,
    Click,
    click_of,
    is_bot_account,
    message_text,
    tenant_of,
    to_incoming,
)
from adapters.teams.outgoing import Conversation
from adapters.teams.references import ReferenceBook
from adapters.teams.render import RenderedReply, render_notice, render_reply
from adapters.teams.retry import OutboundError, RetryPolicy, own_retries
from bot.core.errors import DependencyError
from bot.core.model import IncomingMessage, Reply
from bot.core.ports import DedupeStore
from bot.core.progress import WORKING_ON_IT, with_placeholder

log = logging.getLogger(__name__)

Handle = Callable[[IncomingMessage], Awaitable[Reply]]

PLACEHOLDER_AFTER_SECONDS = 1.5
#: How long an activity id is remembered; Bot Framework redeliveries come within minutes.
DEDUPE_TTL_SECONDS = 6 * 3600


class TeamsBot(ActivityHandler):  # type: ignore[misc]  # botbuilder ships no type hints
    """Translates Teams activities for the core (``handle``) and renders its replies."""

    def __init__(
        self,
        handle: Handle,
        dedupe: DedupeStore,
        references: ReferenceBook,
        *,
        retry: RetryPolicy | None = None,
        placeholder_after: float = PLACEHOLDER_AFTER_SECONDS,
        dedupe_ttl: int = DEDUPE_TTL_SECONDS,
        tenant_id: str | None = None,
    ) -> None:
        super().__init__()
        self._tenant = tenant_id.lower() if tenant_id else None
        self._handle = handle
        self._dedupe = dedupe
        self._references = references
        self._retry = retry or RetryPolicy()
        self._placeholder_after = placeholder_after
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
        if not await self._first_delivery(activity):
            log.info("teams: dropped a duplicate delivery of activity %s", activity.id)
            return
        await self._references.remember(activity)
        conversation = Conversation(turn_context, self._retry)
        click = click_of(activity)
        if click is None:
            await self._answer_text(activity, conversation)
        else:
            await self._answer_click(activity, click, conversation)

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

    async def _answer_text(self, activity: Any, conversation: Conversation) -> None:
        message = to_incoming(activity, text=message_text(activity) or EMPTY_MENTION_TEXT)
        placeholder: list[str] = []

        async def on_slow() -> None:
            try:
                posted = await conversation.reply(render_notice())
            except OutboundError as exc:
                log.warning("teams: placeholder failed: %s", exc)
                return
            if posted:
                placeholder.append(posted)

        reply, _ = await with_placeholder(
            self._handle(message), after=self._placeholder_after, on_slow=on_slow
        )
        rendered = render_reply(reply)
        if placeholder and await _updated(conversation, placeholder[0], rendered):
            return
        await conversation.reply(rendered)

    async def _answer_click(self, activity: Any, click: Click, conversation: Conversation) -> None:
        message = to_incoming(activity, text=click.command)
        outcome = f"{message.user_name} chose “{click.label}”"
        card_id = click.card_id

        async def on_slow() -> None:
            if card_id:
                await _updated(conversation, card_id, render_notice(f"{outcome}. {WORKING_ON_IT}"))

        reply, _ = await with_placeholder(
            self._handle(message), after=self._placeholder_after, on_slow=on_slow
        )
        rendered = render_reply(reply, outcome=outcome)
        if card_id and await _updated(conversation, card_id, rendered):
            return
        await conversation.reply(rendered)

    async def _first_delivery(self, activity: Any) -> bool:
        activity_id = activity.id
        if not activity_id:
            return True
        conversation_id = getattr(activity.conversation, "id", None) or ""
        key = f"teams:activity:{conversation_id}:{activity_id}"
        try:
            return await self._dedupe.claim(key, self._dedupe_ttl)
        except DependencyError as exc:
            log.warning("teams: dedupe unavailable (%s); answering anyway", exc.message)
            return True


async def _updated(conversation: Conversation, card_id: str, rendered: RenderedReply) -> bool:
    """Replace card ``card_id``; False (logged) when Teams refuses, so the caller can post
    the answer as a new reply instead of losing it."""
    try:
        await conversation.update(card_id, rendered)
    except OutboundError as exc:
        log.warning("teams: card update failed: %s", exc)
        return False
    return True
