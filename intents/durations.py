"""Time spans in chat text, as whole seconds: ``90m``, ``2h``, ``1h30m``, ``1d``, "45 minutes",
"an hour", "half an hour", "a couple of hours", "past day", "the last hour", "since yesterday".

:func:`find_durations` works on lower-case words and reports where each span sits so the
caller can tell a look-back (``range``) from a silence length (``duration``) by context.
:func:`format_duration` writes seconds back in the compact form the grammar reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from intents.lexicon import NUMBER_WORDS, TIME_UNITS

_UNIT_ALTERNATION = "|".join(sorted(TIME_UNITS, key=len, reverse=True))
_COMPACT_PART = re.compile(rf"(\d+(?:\.\d+)?)({_UNIT_ALTERNATION})")
_COMPACT = re.compile(rf"(?:\d+(?:\.\d+)?(?:{_UNIT_ALTERNATION})){{1,3}}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LOOK_BACK = frozenset({"last", "past", "previous", "prior", "this", "recent", "next", "coming"})
_WHOLE_DAY_WORDS = {"today": 86_400, "yesterday": 86_400, "overnight": 43_200}
_NOT_DURATIONS = frozenset({"500s", "400s", "404s", "502s", "503s", "504s", "5xxs", "4xxs"})
_SCALES = (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60))


@dataclass(frozen=True, slots=True)
class DurationSpan:
    """Words ``start`` (inclusive) to ``end`` (exclusive) say ``seconds``."""

    start: int
    end: int
    seconds: int


def find_durations(words: Sequence[str]) -> list[DurationSpan]:
    """Every time span in ``words`` (lower-case tokens), left to right, non-overlapping."""
    spans: list[DurationSpan] = []
    i = 0
    while i < len(words):
        span = _span_at(words, i)
        if span is None:
            i += 1
            continue
        spans.append(span)
        i = span.end
    return spans


def format_duration(seconds: int) -> str:
    """Seconds in the largest exact unit: ``7200`` -> ``2h``, ``5400`` -> ``90m``."""
    for suffix, size in _SCALES:
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{suffix}"
    return f"{seconds}s"


def parse_compact(word: str) -> int | None:
    """``2h`` / ``90m`` / ``1h30m`` / ``1.5h`` as seconds, else ``None``."""
    if _COMPACT.fullmatch(word) is None:
        return None
    total = sum(float(n) * TIME_UNITS[u] for n, u in _COMPACT_PART.findall(word))
    return round(total) if total > 0 else None


def _span_at(words: Sequence[str], i: int) -> DurationSpan | None:
    word = words[i]
    compact = parse_compact(word)
    if compact is not None and word not in _NOT_DURATIONS:
        return DurationSpan(i, i + 1, compact)
    if word in _WHOLE_DAY_WORDS:
        return DurationSpan(i, i + 1, _WHOLE_DAY_WORDS[word])
    nxt, after = _at(words, i + 1), _at(words, i + 2)
    if word == "half" and nxt in ("an", "a") and after is not None and _unit(after):
        return DurationSpan(i, i + 3, TIME_UNITS[after] // 2)
    if word in _LOOK_BACK and nxt is not None and _unit(nxt) and len(nxt) > 1:
        return DurationSpan(i, i + 2, TIME_UNITS[nxt])
    counted = _count_at(words, i)
    if counted is None:
        return None
    amount, unit_at = counted
    unit = _at(words, unit_at)
    if unit is None or not _unit(unit) or (len(unit) == 1 and not _NUMBER.fullmatch(word)):
        return None
    seconds = round(amount * TIME_UNITS[unit])
    end = unit_at + 1
    if tuple(words[end : end + 3]) in (("and", "a", "half"), ("and", "an", "half")):
        seconds += TIME_UNITS[unit] // 2
        end += 3
    return DurationSpan(i, end, seconds) if seconds > 0 else None


def _count_at(words: Sequence[str], i: int) -> tuple[float, int] | None:
    """A number at ``i`` ("45", "forty five", "a couple of", "few") and where its unit sits."""
    word = words[i]
    if _NUMBER.fullmatch(word):
        return float(word), i + 1
    if word in ("a", "an") and _at(words, i + 1) in ("couple", "few"):
        i += 1
        word = words[i]
    if word not in NUMBER_WORDS:
        return None
    amount = float(NUMBER_WORDS[word])
    nxt = _at(words, i + 1)
    ones = NUMBER_WORDS.get(nxt or "", 0)
    if amount >= 20 and amount % 10 == 0 and 0 < ones < 10:
        return amount + ones, i + 2
    if nxt == "of":
        return amount, i + 2
    return amount, i + 1


def _unit(word: str) -> bool:
    return word in TIME_UNITS and word not in ("s", "d", "w", "mn")


def _at(words: Sequence[str], i: int) -> str | None:
    return words[i] if 0 <= i < len(words) else None
