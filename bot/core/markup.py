"""The one piece of markup a reply's text may carry: `backticks` around a command, a metric or
a target name the user can type back. Slack and Discord render it themselves; renderers for
surfaces that do not (Teams cards, the console) split the text with :func:`code_spans` and
show the spans their own way (monospace runs, quotes).

A backtick without a partner is ordinary text, so user-provided text that contains one (a
label value, a PromQL string) never swallows the rest of the line.
"""

from __future__ import annotations

import re

_SPAN = re.compile(r"`([^`\n]+)`")


def code_spans(text: str) -> list[tuple[str, bool]]:
    """``text`` as consecutive ``(piece, is_code)`` parts; joining the pieces (with
    backticks around the code ones) gives ``text`` back."""
    parts: list[tuple[str, bool]] = []
    at = 0
    for match in _SPAN.finditer(text):
        if match.start() > at:
            parts.append((text[at : match.start()], False))
        parts.append((match.group(1), True))
        at = match.end()
    if at < len(text) or not parts:
        parts.append((text[at:], False))
    return parts


def quote_code(text: str, quote: str = '"') -> str:
    """``text`` with each `span` shown as ``"span"``: for surfaces without inline code."""
    return "".join(f"{quote}{piece}{quote}" if code else piece for piece, code in code_spans(text))
