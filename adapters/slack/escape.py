"""Making text safe to show in Slack, and fitting it into Slack's size limits.

Slack's ``mrkdwn`` treats ``<...>`` as control sequences (links, ``<@U1>`` user mentions,
``<!channel>`` / ``<!here>`` / ``<!everyone>`` broadcasts) and ``&`` as the start of an entity,
so anything that came from a user must have those three characters escaped
(https://docs.slack.dev/messaging/formatting-message-text#escaping). Plain ``@channel`` text
can still be turned into a broadcast by Slack's automatic parsing, so a word joiner (U+2060,
invisible) goes between the ``@`` and the word.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_BROADCAST_WORD = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_LONGEST_ENTITY = len("&amp;")


def escape(text: str) -> str:
    """``text`` as literal mrkdwn: control characters escaped, broadcast words neutralised."""
    if "&" in text or "<" in text or ">" in text:
        text = text.translate(_ENTITIES)
    return neutralise_broadcasts(text)


def neutralise_broadcasts(text: str) -> str:
    """``@channel``, ``@here`` and ``@everyone`` (any case) that can no longer notify anyone.

    For ``plain_text`` objects, where Slack does not read entities and escaping would show.
    """
    return _BROADCAST_WORD.sub("@" + WORD_JOINER, text) if "@" in text else text


def cut(text: str, limit: int, marker: str) -> tuple[str, bool]:
    """``text`` (already escaped) shortened to at most ``limit`` characters.

    Returns the text and whether it was cut; a cut text ends with ``marker``. The cut never
    splits an entity such as ``&amp;`` and prefers a line break in the last fifth, so a
    truncated table or log does not end mid-line.
    """
    if len(text) <= limit:
        return text, False
    end = max(limit - len(marker), 0)
    amp = text.rfind("&", max(end - _LONGEST_ENTITY + 1, 0), end)
    if amp != -1 and ";" not in text[amp:end]:
        end = amp
    newline = text.rfind("\n", end - end // 5, end)
    if newline > 0:
        end = newline
    return text[:end] + marker, True
