"""Private answers and ``share``.

Help, errors, refusals, "did you mean" and whoami are answers for the asker alone
(:attr:`~bot.core.model.Visibility.PRIVATE`); adapters show them privately where their
platform can. ``share`` posts the asker's last private answer in that conversation to the
channel, once. The answers are kept in this process (bounded, for :data:`KEEP_SECONDS`):
a ``share`` that reaches another replica, or comes after a restart, is told there is nothing
to share, never shown someone else's answer.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from bot.core.model import Choice, IncomingMessage, Reply, Visibility

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


class PrivateAnswers:
    """The last private answer of each person in each channel (threads included), for
    ``share``; at most ``limit`` kept, the oldest forgotten first."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        keep_seconds: float = KEEP_SECONDS,
        limit: int = 10_000,
    ) -> None:
        self._clock = clock
        self._keep = keep_seconds
        self._limit = limit
        self._answers: dict[tuple[str, ...], tuple[float, Reply]] = {}

    def keep(self, message: IncomingMessage, reply: Reply) -> None:
        """Remember ``reply``, a private answer to ``message``, for a later ``share``."""
        key = _key(message)
        self._answers.pop(key, None)
        while len(self._answers) >= self._limit:
            del self._answers[next(iter(self._answers))]
        self._answers[key] = (self._clock() + self._keep, reply)

    def share(self, message: IncomingMessage) -> Reply:
        """The asker's last private answer made public (once, without its buttons, menus
        and dialogs: a "Yes" or "Which target?" meant for the asker is not for the
        channel), or a private "nothing to share" when there is none (or it expired)."""
        kept = self._answers.pop(_key(message), None)
        if kept is None or kept[0] <= self._clock():
            return Reply(text=NOTHING_TO_SHARE, visibility=Visibility.PRIVATE)
        reply = kept[1]
        note = f"Shared by {message.user_name}."
        return dataclasses.replace(
            reply,
            choices=(),
            menus=(),
            forms=(),
            footer=f"{reply.footer}\n{note}" if reply.footer else note,
            visibility=Visibility.PUBLIC,
        )


def _key(message: IncomingMessage) -> tuple[str, ...]:
    """Person and channel by immutable ids; threads are left out, so a Share button on an
    answer in a thread finds it whether or not the click carries the thread."""
    return (message.platform, message.team_id, message.channel_id, message.user_id)
