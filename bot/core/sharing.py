"""Private answers and ``share``.

Help, errors, refusals, "did you mean" and whoami are answers for the asker alone
(:attr:`~bot.core.model.Visibility.PRIVATE`); adapters show them privately where their
platform can. ``share`` posts the asker's last private answer in that conversation to the
channel, once. The answers are kept for :data:`KEEP_SECONDS` in an
:class:`~bot.core.ports.AnswerStore`: in this process by default, in Redis when it is
configured, so a ``share`` (or a Share click) that reaches another replica finds the answer
too. Nobody is shown someone else's answer (the key is the person and the channel, by
immutable ids), and taking an answer is atomic, so two replicas given one click post it once.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from bot.core.errors import DependencyError
from bot.core.expiring import ExpiringMap
from bot.core.model import Choice, IncomingMessage, Reply, Visibility
from bot.core.ports import AnswerStore

log = logging.getLogger(__name__)

SHARE_COMMAND = "share"
SHARE_LABEL = "Share"
KEEP_SECONDS = 3600
NOTHING_TO_SHARE = (
    "Nothing to share: I have no recent answer that only you could see here. "
    "Ask again, then say `share`."
)


def with_share_button(reply: Reply) -> Reply:
    """``reply`` with a Share button added, when it is private and can be shared."""
    if not reply.private or any(c.command == SHARE_COMMAND for c in reply.choices):
        return reply
    return dataclasses.replace(reply, choices=(*reply.choices, Choice(SHARE_LABEL, SHARE_COMMAND)))


class InMemoryAnswerStore:
    """An :class:`~bot.core.ports.AnswerStore` for one process: at most ``limit`` answers,
    the oldest forgotten first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, limit: int = 10_000):
        self._answers: ExpiringMap[Reply] = ExpiringMap(clock, limit=limit)

    async def keep(self, key: str, reply: Reply, ttl_seconds: float) -> None:
        self._answers.put(key, reply, ttl_seconds)

    async def take(self, key: str) -> Reply | None:
        return self._answers.pop(key)


class PrivateAnswers:
    """The last private answer of each person in each channel (threads included), for
    ``share``, kept in ``store`` (in this process unless given one)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        keep_seconds: float = KEEP_SECONDS,
        limit: int = 10_000,
        store: AnswerStore | None = None,
    ) -> None:
        self._keep = keep_seconds
        self._store = store or InMemoryAnswerStore(clock, limit=limit)

    async def keep(self, message: IncomingMessage, reply: Reply) -> None:
        """Remember ``reply``, a private answer to ``message``, for a later ``share``. The
        answer has been given either way, so a store that is down costs only the ``share``:
        it is logged, not raised."""
        try:
            await self._store.keep(_key(message), reply, self._keep)
        except DependencyError as exc:
            log.warning("could not keep a private answer for share: %s", exc.message)

    async def share(self, message: IncomingMessage) -> Reply:
        """The asker's last private answer made public (once, without its buttons, menus
        and dialogs: a "Yes" or "Which target?" meant for the asker is not for the
        channel), or a private "nothing to share" when there is none (or it expired).
        Raises ``DependencyError`` when the store is down."""
        reply = await self._store.take(_key(message))
        if reply is None:
            return Reply(text=NOTHING_TO_SHARE, visibility=Visibility.PRIVATE)
        note = f"Shared by {message.user_name}."
        return dataclasses.replace(
            reply,
            choices=(),
            menus=(),
            forms=(),
            footer=f"{reply.footer}\n{note}" if reply.footer else note,
            visibility=Visibility.PUBLIC,
        )


def _key(message: IncomingMessage) -> str:
    """Person and channel by immutable ids; threads are left out, so a Share button on an
    answer in a thread finds it whether or not the click carries the thread. Each part is
    length-prefixed, so no id can imitate another's key."""
    parts = (message.platform, message.team_id, message.channel_id, message.user_id)
    return "|".join(f"{len(p)}:{p}" for p in parts)
