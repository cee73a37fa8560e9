"""Conversation memory over a :class:`~bot.core.ports.ContextStore`: what the parser sees as
history, and which turns are kept for follow-ups. Shared by the dispatcher and
``smartcloudops parse`` so both resolve follow-ups the same way.

If the store is down, the conversation goes on without history; :meth:`history` reports the
first failure (so the bot says so once) and recovery is silent and automatic.
"""

from __future__ import annotations

import logging

from bot.core.errors import DependencyError
from bot.core.model import ConversationKey
from bot.core.ports import ContextStore
from bot.core.telemetry import Telemetry
from intents.model import Intent, Turn

log = logging.getLogger(__name__)


class ConversationMemory:
    """Reads and writes recent turns; never raises when the store is down."""

    def __init__(self, store: ContextStore, telemetry: Telemetry, *, history_limit: int) -> None:
        self._store = store
        self._telemetry = telemetry
        self._limit = history_limit
        self._down = False

    async def history(self, key: ConversationKey) -> tuple[list[Turn], bool]:
        """Recent turns, oldest first, and True when this call first noticed the store down."""
        try:
            turns = await self._store.recent(key, self._limit)
        except DependencyError as exc:
            return [], self._failed(exc)
        if self._down:
            log.info("context store is back")
        self._down = False
        return turns, False

    async def remember(self, key: ConversationKey, intent: Intent, at: float) -> None:
        """Keep every turn, answered or not: follow-ups refine the last real request, and a
        ``yes`` may only answer the "did you mean" of the turn right before it."""
        turn = Turn.of(intent, at)
        try:
            await self._store.append(key, turn)
        except DependencyError as exc:
            # Not marked down here: the next turn's history() notices and tells the user once.
            self._telemetry.dependency_failures.labels(exc.dependency).inc()
            log.debug("could not remember a turn: %s", exc.message)

    def _failed(self, exc: DependencyError) -> bool:
        self._telemetry.dependency_failures.labels(exc.dependency).inc()
        newly_down = not self._down
        if newly_down:
            log.warning("context store unavailable: %s", exc.message)
        self._down = True
        return newly_down
