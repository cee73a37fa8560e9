"""Making text safe to show in Teams, and fitting it into a card.

Where text can come from a user (a reply quotes targets, alert names, PromQL, what was typed),
three things must not happen: a mention (``<at>...</at>`` only notifies with a matching
``entities`` entry, which this adapter never builds from text), HTML/XML markup in an
activity's ``text``, and markdown links or formatting in the card parts that Teams reads as
markdown (``TextBlock`` and ``Fact`` title/value). The renderer therefore puts free text in
``TextRun``s, which the Adaptive Card schema defines as plain ("Markdown is not supported"),
escapes the few markdown-read strings with CommonMark backslash escapes, and turns angle
brackets in the activity's plain-text fallback into look-alike quotation marks.
"""

from __future__ import annotations

import re

CUT_MARK = "…"
NBSP = "\u00a0"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]~<>|])")
_LINE_START_BLOCK = re.compile(r"^(\s*)([-+#>]|\d+[.)])", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ANGLES = str.maketrans({"<": "‹", ">": "›"})


def clean(text: str) -> str:
    """``text`` without control characters (tabs and newlines kept)."""
    return _CONTROL.sub("", text)


def markdown_literal(text: str) -> str:
    """``text`` escaped so a Teams markdown renderer shows it literally (no links, emphasis,
    code spans, lists or headings)."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", clean(text))
    return _LINE_START_BLOCK.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)


def plain_line(text: str, limit: int) -> str:
    """One line of plain text with no markup characters left, at most ``limit`` characters.

    For an activity's ``text`` (the notification and fallback line) and button titles, where
    no formatting is wanted: angle brackets become ‹ › so no tag (``<at>``, ``<a href>``) can
    be formed whatever text format a client assumes.
    """
    flat = " ".join(clean(text).split())
    return cut(flat.translate(_ANGLES), limit)


def cut(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` characters, ending in ``…`` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(CUT_MARK), 0)].rstrip() + CUT_MARK


def keep_spaces(line: str) -> str:
    """``line`` with every space non-breaking, so monospace alignment survives HTML renderers
    that collapse runs of spaces. Tabs become four spaces first."""
    return line.replace("\t", "    ").replace(" ", NBSP)
