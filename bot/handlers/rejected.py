"""Refusing a request whose range or target the parser could not read.

The parser reports such values in :attr:`intents.model.Intent.rejected` instead of dropping
them silently. Answering anyway, with the default range or for every target, would answer a
different question than the one asked ("cpu web-1 last 0s" is not "cpu web-1 over the last
hour"), so a handler that takes a range or a target calls :func:`refuse_rejected` first.
"""

from __future__ import annotations

from bot.errors import InvalidInput
from intents.model import Intent


def refuse_rejected(intent: Intent, *, examples: str, most: str) -> None:
    """Raise :class:`InvalidInput` naming the unreadable range or target of ``intent``, if
    any. ``examples`` are ranges to suggest ("30m, 2h or 1d"), ``most`` the longest allowed
    ("90 days")."""
    span = intent.rejected.get("range")
    if span is not None:
        raise InvalidInput(f"'{span}' is not a range I can use; try {examples} (at most {most}).")
    target = intent.rejected.get("target")
    if target is not None:
        raise InvalidInput(
            f"'{target}' is not a target name I can use.",
            hint="Target names are letters, digits and `. _ - :`, e.g. `cpu of web-1`.",
        )
