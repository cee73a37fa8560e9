"""Alert commands the shared intent parser has no intent for: ``silences``,
``unsilence ID``, ``subscriptions`` and ``ack ID``.

:class:`AlertRoute` wraps any parser and answers these itself before the parser sees them
(the parser would read ``unsilence 3f2a`` as a request to *silence* ``3f2a``, and
``subscriptions`` as ``unsubscribe``). The intents it emits:

* ``silences`` - no slots;
* ``unsilence`` - ``silence_id`` as typed (an id, a prefix of one, or the alert or target
  name the silence is for), absent when not given;
* ``subscriptions`` - no slots;
* ``ack`` - ``group_id``: an alert group's short id (hex, as on the post's Acknowledge
  button), absent when not given.

Anything after ``unsilence`` is taken, so it can never reach the parser and be read as a
silence. ``ack`` takes only a group id: ``ack KubePodCrashLooping`` stays the parser's (which
reads it, as its training data says, as a silence of that alert).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.ports import IntentParserPort
from intents.model import Intent, SlotValue, Turn

SILENCES_INTENT = "silences"
UNSILENCE_INTENT = "unsilence"
SUBSCRIPTIONS_INTENT = "subscriptions"
ACK_INTENT = "ack"
ALERT_INTENTS = (SILENCES_INTENT, UNSILENCE_INTENT, SUBSCRIPTIONS_INTENT, ACK_INTENT)

_ID = r"#?(?P<id>[A-Za-z0-9][A-Za-z0-9._:-]{0,252})"
_SILENCES = re.compile(
    r"(?:(?:list|show)(?:\s+me)?\s+)?(?:(?:the|all|active|current)\s+)*silences"
    r"|what(?:'s|\s+is)\s+silenced|which\s+alerts\s+are\s+silenced",
    re.IGNORECASE,
)
_UNSILENCE = re.compile(
    rf"(?:unsilence|unmute|(?:expire|delete|remove|end|cancel)\s+(?:the\s+)?silence)\b"
    rf"(?:\s+{_ID})?",
    re.IGNORECASE,
)
_SUBSCRIPTIONS = re.compile(
    r"(?:(?:list|show)(?:\s+me)?\s+)?(?:(?:the|my|our|this\s+channel'?s|all)\s+)*subscriptions"
    r"|what\s+(?:is\s+this\s+channel|are\s+we)\s+subscribed\s+to",
    re.IGNORECASE,
)
_ACK = re.compile(
    r"(?:ack|acknowledge)(?:\s+(?:alert\s+)?(?:group\s+)?#?(?P<id>[0-9a-f]{4,64}))?",
    re.IGNORECASE,
)


def parse_alert_command(text: str) -> Intent | None:
    """The intent of ``text`` when it is one of these alert commands, else None."""
    cleaned = " ".join(text.strip().rstrip("?!.").split())
    if _SILENCES.fullmatch(cleaned):
        return Intent(SILENCES_INTENT, 1.0, {}, canonical="silences")
    if _SUBSCRIPTIONS.fullmatch(cleaned):
        return Intent(SUBSCRIPTIONS_INTENT, 1.0, {}, canonical="subscriptions")
    match = _UNSILENCE.match(cleaned)
    if match:
        return _with_id(UNSILENCE_INTENT, "silence_id", match.group("id"))
    match = _ACK.fullmatch(cleaned)
    if match:
        return _with_id(ACK_INTENT, "group_id", match.group("id"))
    return None


def _with_id(name: str, slot: str, value: str | None) -> Intent:
    slots: dict[str, SlotValue] = {slot: value} if value else {}
    canonical = f"{name} {value}" if value else name
    return Intent(name, 1.0, slots, canonical=canonical)


class AlertRoute:
    """An :class:`IntentParserPort` that answers the alert commands above and delegates the
    rest to ``parser``."""

    def __init__(self, parser: IntentParserPort) -> None:
        self._parser = parser

    def parse(self, text: str, history: Sequence[Turn] = ()) -> Intent:
        found = parse_alert_command(text)
        return found if found is not None else self._parser.parse(text, history)
