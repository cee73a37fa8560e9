"""Audit-log questions: ``history``, ``history payments``, "who restarted payments today?".

The shared intent parser has no ``history`` intent yet, so :class:`HistoryRoute` wraps any
parser and answers these phrasings itself before the parser sees them (otherwise "who
restarted payments" could be read as a request to restart payments). The intent it emits is
``history`` with optional slots ``target``, ``action`` and ``range`` (look-back, seconds).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

from bot.ports import IntentParserPort
from intents.model import Intent, SlotValue, Turn

HISTORY_INTENT = "history"
DEFAULT_RANGE_SECONDS = 7 * 86400

_NAME = r"[A-Za-z0-9][A-Za-z0-9._:-]*"
_WHEN = r"(?:today|yesterday|this\s+week|recently)"
_HISTORY = re.compile(
    rf"(?:show\s+(?:me\s+)?)?(?:the\s+)?(?:history|audit(?:\s+log)?)"
    rf"(?:\s+(?:(?:of|for)\s+)?(?P<target>{_NAME}))?",
    re.IGNORECASE,
)
_WHO = re.compile(
    rf"who\s+(?:has\s+|have\s+)?(?P<verb>restarted|scaled|rolled\s+back|rollbacked|ran|run)"
    rf"(?:\s+(?!{_WHEN}\b)(?P<target>{_NAME}))?(?:\s+(?P<when>{_WHEN}))?",
    re.IGNORECASE,
)
_VERB_ACTION = {
    "restarted": "restart",
    "scaled": "scale",
    "rolled back": "rollback",
    "rollbacked": "rollback",
}
_WHEN_SECONDS = {"yesterday": 2 * 86400, "this week": 7 * 86400, "recently": 86400}


def parse_history(text: str, *, now: float | None = None) -> Intent | None:
    """The ``history`` intent of ``text``, or None when it is not an audit-log question."""
    cleaned = " ".join(text.strip().rstrip("?!.").split())
    match = _HISTORY.fullmatch(cleaned)
    if match:
        return _intent(match.group("target"), None, None)
    match = _WHO.fullmatch(cleaned)
    if match is None:
        return None
    verb = " ".join(match.group("verb").lower().split())
    when = " ".join((match.group("when") or "").lower().split())
    seconds: int | None
    if when == "today":
        seconds = _since_midnight(time.time() if now is None else now)
    else:
        seconds = _WHEN_SECONDS.get(when)
    return _intent(match.group("target"), _VERB_ACTION.get(verb), seconds)


def _intent(target: str | None, action: str | None, seconds: int | None) -> Intent:
    slots: dict[str, SlotValue] = {}
    if target:
        slots["target"] = target
    if action:
        slots["action"] = action
    if seconds is not None:
        slots["range"] = seconds
    return Intent(HISTORY_INTENT, 1.0, slots, canonical=_canonical(slots))


def _canonical(slots: dict[str, SlotValue]) -> str:
    parts = ["history", *(str(slots[k]) for k in ("action", "target") if k in slots)]
    return " ".join(parts)


def _since_midnight(now: float) -> int:
    return max(60, int(now % 86400))


class HistoryRoute:
    """An :class:`IntentParserPort` that answers audit-log questions and delegates the rest."""

    def __init__(self, parser: IntentParserPort, clock: Callable[[], float] = time.time) -> None:
        self._parser = parser
        self._clock = clock

    def parse(self, text: str, history: Sequence[Turn] = ()) -> Intent:
        found = parse_history(text, now=self._clock())
        return found if found is not None else self._parser.parse(text, history)
