"""Time spans in chat text, as whole seconds: ``90m``, ``2h``, ``1h30m``, ``1d``, "45 minutes",
"an hour", "half an hour", "a couple of hours", "past day", "the last hour". Calendar days and
clock times ("yesterday", "since 3am") are windows, read by :mod:`intents.times`.

:func:`find_durations` works on lower-case words and reports where each span sits so the
caller can tell a look-back (``range``) from a silence length (``duration``) by context.
:func:`compact_duration` writes seconds back in the compact form the grammar reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from intents.lexicon import NUMBER_WORDS, TIME_UNITS, word_set

_UNIT_ALTERNATION = "|".join(sorted(TIME_UNITS, key=len, reverse=True))
_COMPACT_PART = re.compile(rf"(\d+(?:\.\d+)?)({_UNIT_ALTERNATION})")
_COMPACT = re.compile(rf"(?:\d+(?:\.\d+)?(?:{_UNIT_ALTERNATION})){{1,3}}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LOOK_BACK = frozenset({"last", "past", "previous", "prior", "this", "recent", "next", "coming"})
_NOT_DURATIONS = frozenset({"500s", "400s", "404s", "502s", "503s", "504s", "5xxs", "4xxs"})
_SCALES = (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60))
_AND_A_HALF = (("and", "a", "half"), ("and", "an", "half"))
_LONG_UNITS = word_set("yr yrs year years decade decades century centuries fortnight fortnights")
"""Units the parser does not measure a look-back in: "5 years" is a time span, just not one
it can use."""
_COMPACT_LONG = re.compile(r"\d+(?:\.\d+)?(?:y|yrs?|years?)")
LENGTH_RANGE: Final = re.compile(
    r"\d+(?:[.,]\d+)?[hmdw]?-\d+(?:[.,]\d+)?[hmdw]|\d+h\d+", re.IGNORECASE
)
"""Lengths that read as a name and not as a time span: a range ("2-3h", "2h-3h") or hours
and bare minutes ("1h30"). Said back as unreadable, never taken for a target."""


_STARTS = frozenset({"half", "quarter", "a", "an", *_LOOK_BACK, *NUMBER_WORDS})
"""The words (besides ones starting with a digit, and hyphenated number words) that a time
span can start with: anything else is skipped without reading further."""


def can_start(word: str) -> bool:
    """Whether a time span can start with ``word`` (:func:`span_at` is None otherwise)."""
    return word in _STARTS or word[:1].isdigit() or "-" in word


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
        span = span_at(words, i)
        if span is None:
            i += 1
            continue
        if spans and _continues(words, spans[-1], span):
            previous = spans.pop()
            span = DurationSpan(previous.start, span.end, previous.seconds + span.seconds)
        spans.append(span)
        i = span.end
    return spans


def _continues(words: Sequence[str], first: DurationSpan, second: DurationSpan) -> bool:
    """Whether ``second`` adds to ``first`` ("2h 30m", "1 hour and 15 minutes"): both counted,
    next to each other (or joined by "and"), the second the smaller."""
    gap = words[first.end : second.start]
    return (
        tuple(gap) in ((), ("and",))
        and second.seconds < first.seconds
        and _counted(words[first.start])
        and _counted(words[second.start])
    )


def _counted(word: str) -> bool:
    return _NUMBER.match(word) is not None or word in NUMBER_WORDS


def unreadable_end(words: Sequence[str], i: int) -> int | None:
    """Where a time span starting at word ``i`` ends when it reads as one but says no usable
    look-back: zero ("0s", "0 minutes") or in units longer than any range ("5 years", "2y",
    "the last decade"); ``None`` when nothing like a time span starts there."""
    word = words[i]
    if word in _NOT_DURATIONS:
        return None
    if word[:1] == "-" and len(word) > 1:  # "-2h", "-2 hours": no look-back is negative
        if _COMPACT.fullmatch(word[1:]) is not None:
            return i + 1
        if word[1:].isdigit() and _unit(_at(words, i + 1) or ""):
            return i + 2
        return None
    zero = _COMPACT.fullmatch(word) is not None and parse_compact(word) is None
    if zero or _COMPACT_LONG.fullmatch(word) is not None:
        return i + 1
    if word in _LOOK_BACK and _at(words, i + 1) in _LONG_UNITS:
        return i + 2
    counted = _count_at(words, i)
    if counted is None:
        return None
    amount, unit_at = counted
    unit = _at(words, unit_at) or ""
    if unit in _LONG_UNITS or (_unit(unit) and not 0 < amount < math.inf):
        return unit_at + 1
    return None


def compact_duration(seconds: int) -> str:
    """Seconds in the largest exact unit: ``7200`` -> ``2h``, ``5400`` -> ``90m``; from two
    hours on, whole minutes that no one unit holds in days, hours and minutes (``43380`` ->
    ``12h3m``, not ``723m``: a silence "until 9am" reads back at a glance)."""
    for suffix, size in _SCALES:
        if seconds >= size and seconds % size == 0:
            if size >= _HOUR or seconds < _SPLIT_FROM:
                return f"{seconds // size}{suffix}"
            break
    if seconds >= _SPLIT_FROM and seconds % 60 == 0:
        days, rest = divmod(seconds, 86_400)
        hours, minutes = divmod(rest // 60, 60)
        parts = ((days, "d"), (hours, "h"), (minutes, "m"))
        return "".join(f"{n}{suffix}" for n, suffix in parts if n)
    return f"{seconds}s"


_HOUR: Final = 3_600
_SPLIT_FROM: Final = 2 * _HOUR


def parse_compact(word: str) -> int | None:
    """``2h`` / ``90m`` / ``1h30m`` / ``1.5h`` as seconds, else ``None`` (also for a number
    too long to be finite, "999…9h", which ``round()`` cannot make an int: issue 14)."""
    if _COMPACT.fullmatch(word) is None:
        return None
    total = sum(float(n) * TIME_UNITS[u] for n, u in _COMPACT_PART.findall(word))
    return round(total) if 0 < total < math.inf else None


def span_at(words: Sequence[str], i: int) -> DurationSpan | None:
    """The time span starting at word ``i`` ("2h", "45 minutes", "the last hour"), if any."""
    if not 0 <= i < len(words) or not can_start(words[i]):
        return None
    word = words[i]
    compact = parse_compact(word)
    if compact is not None and word not in _NOT_DURATIONS:
        return DurationSpan(i, i + 1, compact)
    nxt, after = _at(words, i + 1), _at(words, i + 2)
    if word == "half" and nxt in ("an", "a") and after is not None and _unit(after):
        return DurationSpan(i, i + 3, TIME_UNITS[after] // 2)
    if word == "half" and nxt is not None and _unit(nxt) and len(nxt) > 1:
        return DurationSpan(i, i + 2, TIME_UNITS[nxt] // 2)
    if word in _LOOK_BACK and nxt == "half" and after is not None and _unit(after):
        return DurationSpan(i, i + 3, TIME_UNITS[after] // 2)
    if word == "quarter":
        return _quarter(words, i)
    if word in _LOOK_BACK and nxt is not None and _unit(nxt) and len(nxt) > 1:
        return _with_half(words, i, i + 2, TIME_UNITS[nxt], TIME_UNITS[nxt])
    counted = _count_at(words, i)
    if counted is None:
        return None
    amount, unit_at = counted
    if tuple(words[unit_at : unit_at + 3]) in _AND_A_HALF:
        amount, unit_at = amount + 0.5, unit_at + 3
    unit = _at(words, unit_at)
    if unit is None or not _unit(unit) or (len(unit) == 1 and not _NUMBER.fullmatch(word)):
        return None
    if amount == math.inf:
        return None  # "999…9 hours": more digits than a float holds; reported as unreadable
    seconds = round(amount * TIME_UNITS[unit])
    return _with_half(words, i, unit_at + 1, seconds, TIME_UNITS[unit])


def _with_half(
    words: Sequence[str], start: int, end: int, seconds: int, unit: int
) -> DurationSpan | None:
    """The span ``start:end`` of ``seconds``, extended by a trailing "and a half" (of
    ``unit``): "an hour and a half", "the past day and a half"."""
    if tuple(words[end : end + 3]) in _AND_A_HALF:
        seconds += unit // 2
        end += 3
    return DurationSpan(start, end, seconds) if seconds > 0 else None


def _quarter(words: Sequence[str], i: int) -> DurationSpan | None:
    """ "quarter hour", "quarter of an hour": a quarter of the unit that follows."""
    j = i + 1
    if _at(words, j) == "of":
        j += 1
    if _at(words, j) in ("a", "an"):
        j += 1
    unit = _at(words, j)
    if unit is None or not _unit(unit) or len(unit) == 1:
        return None
    return DurationSpan(i, j + 1, TIME_UNITS[unit] // 4)


def _count_at(words: Sequence[str], i: int) -> tuple[float, int] | None:
    """A number at ``i`` ("45", "forty five", "a couple of", "few") and where its unit sits."""
    word = words[i]
    if _NUMBER.fullmatch(word):
        return float(word), i + 1
    if word in ("a", "an") and _at(words, i + 1) in ("couple", "few"):
        i += 1
        word = words[i]
    compound = _compound_number(word)
    if compound is not None:
        return float(compound), i + 1
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


def _compound_number(word: str) -> int | None:
    """A hyphenated number word: "twenty-four" -> 24 (``None`` for anything else)."""
    tens, dash, ones = word.partition("-")
    if not dash or tens not in NUMBER_WORDS or ones not in NUMBER_WORDS:
        return None
    high, low = NUMBER_WORDS[tens], NUMBER_WORDS[ones]
    return high + low if high >= 20 and high % 10 == 0 and 0 < low < 10 else None


def _unit(word: str) -> bool:
    return word in TIME_UNITS and word not in ("s", "d", "w", "mn")


def _at(words: Sequence[str], i: int) -> str | None:
    return words[i] if 0 <= i < len(words) else None
