"""Slot values the user gave that the parser cannot read: ``cpu web-1 last 0s``, ``cpu of
web-1 for 5 years``, ``cpu 🚀🚀🚀``.

Without this, an unreadable value simply goes missing and the handler answers with its
default (the last hour, every target): a different question from the one asked. The parser
reports such values in :attr:`~intents.model.Intent.rejected` (never as slots, so the
contract's slot values stay what they are) and the handler turns them into an error that
says what was wrong. The checks are narrow on purpose: a word is only rejected when it
clearly tries to be a time span or stands where a target would.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Final

from intents.analysis import Analysis
from intents.durations import unreadable_end
from intents.slots import in_target_place

RANGE_INTENTS: Final = frozenset({"metric_query", "anomaly_query", "history", "health"})
"""Intents whose look-back and target are read from the message words (``promql`` reports its
own, see :mod:`intents.promql`)."""
TIME_INTENTS: Final = RANGE_INTENTS | {"promql", "forecast", "status", "alerts_list"}


def rejected_slots(name: str, slots: Mapping[str, object], a: Analysis) -> dict[str, str]:
    """The unreadable ``time``, ``range`` and ``target`` of a ``name`` request, as written.
    A target is only reported when no readable one was found."""
    rejected: dict[str, str] = {}
    badtime = a.first("badtime")
    if badtime is not None and name in TIME_INTENTS:
        rejected["time"] = " ".join(t.raw for t in a.tokens[badtime.start : badtime.end])
    if name not in RANGE_INTENTS:
        return rejected
    span = find_unreadable_range(a)
    if span is not None:
        rejected["range"] = span
    target = None if "target" in slots else find_unreadable_target(a)
    if target is not None:
        rejected["target"] = target
    return rejected


def find_unreadable_range(a: Analysis) -> str | None:
    """The first words outside any time span that read as one but give no usable look-back
    ("0s", "0 minutes", "5 years", "last decade"), as written."""
    words = a.words
    for i in range(len(words)):
        span = a.span_at(i)
        if span is not None and span.kind == "duration":
            continue
        end = unreadable_end(words, i)
        if end is not None:
            return " ".join(t.raw for t in a.tokens[i:end])
    return None


def find_unreadable_target(a: Analysis) -> str | None:
    """The first word in a target's place that is not a plain name yet looks like an attempt
    at one ("🚀🚀🚀", "café-1", "web-1/web-2"): it has a letter, a digit or a pictograph. Bare
    symbols ("cpu > 90%") are not names and not rejected."""
    for i, token in enumerate(a.tokens):
        if a.span_at(i) is not None or token.is_plain_name or not _name_like(token.raw):
            continue
        if in_target_place(a, i):
            return token.raw
    return None


def _name_like(word: str) -> bool:
    return any(c.isalnum() or unicodedata.category(c) == "So" for c in word)
