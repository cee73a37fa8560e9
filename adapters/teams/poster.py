"""Proactive posts to Teams (alerts, findings, digests): :class:`bot.core.ports.ChannelPoster`.

A post continues a stored conversation (:mod:`adapters.teams.references`) through the SDK's
``continue_conversation``: a new post in a channel, or a reply in ``thread_id``'s thread, or a
message in a group or personal chat. A conversation the bot has never been in (or was
removed from) has no reference, and posting there raises :class:`~bot.core.errors.NotFoundError`
saying what to do, rather than dropping the alert.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import ConversationReference

from adapters.teams.inbound import PLATFORM, join_conversation_id
from adapters.teams.outgoing import card_activity
from adapters.teams.references import ReferenceBook
from adapters.teams.render import render_reply
from adapters.teams.retry import RetryPolicy, call_with_retries, own_retries
from bot.core.errors import AdapterError, NotFoundError, SmartCloudOpsError
from bot.core.model import Reply
from bot.core.ports import ChannelRef, PostedRef

NEVER_ADDED = "I have never been added to that Teams channel; mention me there once"
NEVER_ADDED_HINT = (
    "Add the SmartCloudOps app to the team or chat and @mention it there once; from then on "
    "it can post there."
)

Action = Callable[[Any], Awaitable[Any]]


class TeamsPoster:
    """Posts and updates cards in conversations the bot has been in."""

    platform = PLATFORM

    def __init__(
        self,
        adapter: Any,
        references: ReferenceBook,
        *,
        app_id: str,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._adapter = adapter
        self._references = references
        self._app_id = app_id
        self._retry = retry or RetryPolicy()

    async def post(self, channel: ChannelRef, reply: Reply) -> PostedRef:
        reference = await self._reference(channel.channel_id, channel.thread_id)
        activity = card_activity(render_reply(reply))

        async def send(context: Any) -> Any:
            TurnContext.apply_conversation_reference(activity, reference)
            return await context.adapter.send_activities(context, [activity])

        responses = await self._continue(reference, "post", send)
        message_id = getattr(responses[0], "id", None) if responses else None
        if not message_id:
            raise AdapterError("Teams accepted the post but returned no message id")
        return PostedRef(PLATFORM, channel.channel_id, message_id, channel.thread_id)

    async def update(self, posted: PostedRef, reply: Reply) -> None:
        reference = await self._reference(posted.channel_id, posted.thread_id)
        activity = card_activity(render_reply(reply), activity_id=posted.message_id)

        async def update(context: Any) -> Any:
            TurnContext.apply_conversation_reference(activity, reference)
            return await context.adapter.update_activity(context, activity)

        await self._continue(reference, "update", update)

    async def _reference(self, channel_id: str, thread_id: str | None) -> ConversationReference:
        stored = await self._references.find(channel_id)
        if stored is None:
            raise NotFoundError(NEVER_ADDED, hint=NEVER_ADDED_HINT)
        reference = copy.deepcopy(stored)
        reference.conversation.id = join_conversation_id(channel_id, thread_id)
        return reference

    async def _continue(self, reference: ConversationReference, what: str, action: Action) -> Any:
        """Run ``action`` in a proactive turn; its result, or its error re-raised here (the
        adapter's turn-error handler would otherwise swallow it)."""
        outcome: list[Any] = []
        failure: list[BaseException] = []

        async def callback(context: Any) -> None:
            own_retries(context)
            try:
                outcome.append(
                    await call_with_retries(
                        f"proactive {what}", lambda: action(context), self._retry
                    )
                )
            except SmartCloudOpsError as exc:
                failure.append(exc)

        try:
            await self._adapter.continue_conversation(reference, callback, self._app_id)
        except Exception as exc:
            raise AdapterError(f"Teams proactive {what} failed: {type(exc).__name__}") from exc
        if failure:
            raise failure[0]
        return outcome[0] if outcome else None
