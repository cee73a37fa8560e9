"""Conversation references: what the bot must keep to post into a Teams conversation later.

Teams lets a bot post only where it has been installed or addressed, and only through the
service URL that conversation's activities came from. Every activity the bot receives there
therefore refreshes a stored reference (bot and conversation ids, service URL, channel), keyed
by the conversation id without its thread suffix (``IncomingMessage.channel_id``, which is
also ``ChannelRef.channel_id``). Removal of the bot deletes it.

The store is a port of JSON documents (:class:`ReferenceStore`; in-memory and Redis
implementations in :mod:`storage.teams_references`), so storage never sees the SDK's types.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import ConversationReference

from adapters.teams.inbound import split_conversation_id
from bot.core.errors import DependencyError

log = logging.getLogger(__name__)


class ReferenceStore(Protocol):
    """JSON documents by key. ``load`` returns None for an unknown key; every method raises
    :class:`bot.core.errors.DependencyError` when the backend is unreachable."""

    async def save(self, key: str, document: Mapping[str, Any]) -> None: ...

    async def load(self, key: str) -> dict[str, Any] | None: ...

    async def delete(self, key: str) -> None: ...


class ReferenceBook:
    """Remembers and finds conversation references (botbuilder's ``ConversationReference``)."""

    def __init__(self, store: ReferenceStore) -> None:
        self._store = store
        self._last_saved: dict[str, dict[str, Any]] = {}

    async def remember(self, activity: Any) -> None:
        """Store the reference of ``activity``'s conversation. A store outage is logged, not
        raised: answering the user matters more than a later proactive post."""
        key, document = reference_document(activity)
        if not key or self._last_saved.get(key) == document:
            return
        try:
            await self._store.save(key, document)
        except DependencyError as exc:
            log.warning("teams: could not store the reference of %s: %s", key, exc.message)
            return
        self._last_saved[key] = document

    async def forget(self, activity: Any) -> None:
        """Drop the reference of ``activity``'s conversation (the bot was removed there)."""
        key, _ = reference_document(activity)
        self._last_saved.pop(key, None)
        try:
            await self._store.delete(key)
        except DependencyError as exc:
            log.warning("teams: could not delete the reference of %s: %s", key, exc.message)

    async def find(self, channel_id: str) -> ConversationReference | None:
        """The stored reference of ``channel_id``, or None if the bot has never been there."""
        document = await self._store.load(channel_id)
        if document is None:
            return None
        return ConversationReference().deserialize(document)


def reference_document(activity: Any) -> tuple[str, dict[str, Any]]:
    """(key, JSON document) of the conversation ``activity`` came from.

    The document addresses the conversation itself (thread suffix and activity id dropped),
    so a proactive post starts a new post rather than replying to an old message.
    """
    reference = TurnContext.get_conversation_reference(activity)
    channel_id, _ = split_conversation_id(reference.conversation.id or "")
    reference.conversation.id = channel_id
    reference.activity_id = None
    reference.user = None
    document: dict[str, Any] = reference.serialize()
    return channel_id, document
