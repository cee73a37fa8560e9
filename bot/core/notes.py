"""What the user said that the parser could not read, said back instead of dropped.

The parser reports such values in :attr:`intents.model.Intent.rejected`. A time it could not
read ("since the deploy", "last 0s") is noted in the answer, which uses its default window and
says so ("I could not read 'since the deploy'; showing the last hour"). A target it could not
read is refused: answering for every target would answer a different question.
"""

from __future__ import annotations

import dataclasses

from bot.core.errors import InvalidInput
from bot.core.model import Reply
from intents.model import Intent


def refuse_rejected_target(intent: Intent) -> None:
    """Raise :class:`InvalidInput` naming the unreadable target of ``intent``, if any."""
    target = intent.rejected.get("target")
    if target is not None:
        raise InvalidInput(
            f"'{target}' is not a target name I can use.",
            hint="Target names are letters, digits and `. _ - :`, e.g. `cpu of web-1`.",
        )


def time_note(intent: Intent, shown: str) -> str | None:
    """ "I could not read '<words>'; showing <shown>." for an unreadable time or range."""
    said = intent.rejected.get("time") or intent.rejected.get("range")
    return None if said is None else f"I could not read '{said}'; showing {shown}."


def with_footnote(reply: Reply, note: str | None) -> Reply:
    """``reply`` with ``note`` as its last line."""
    if note is None:
        return reply
    return dataclasses.replace(reply, text=f"{reply.text}\n{note}" if reply.text else note)


def with_note(reply: Reply, note: str | None) -> Reply:
    """``reply`` with ``note`` as its first line."""
    if note is None:
        return reply
    return dataclasses.replace(reply, text=f"{note}\n{reply.text}" if reply.text else note)
