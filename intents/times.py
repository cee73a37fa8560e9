"""Points and windows in time as people say them: ``since 3am``, ``since midnight``, ``between
15:00 and 17:00``, ``yesterday`` (the calendar day), ``last Tuesday``, ``from 3 hours ago to 2
hours ago``, ``2h ago``, ``this morning``, ``until 17:00``, ISO timestamps.

:func:`find_times` reads lower-case words against a :class:`Clock` (the moment "now" and the
user's timezone, UTC unless configured) and returns :class:`TimeSpan` s: a ``window`` (absolute
start, and end or ``None`` for "until now"), an ``until`` point (a silence's end), or a
``unreadable`` phrase that tries to say a time and cannot ("since the deploy"), which the
handler says back instead of dropping it. Look-backs ("last 2h") are durations, see
:mod:`intents.durations`; this module only takes what needs a calendar or a clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Final

from intents.durations import can_start as can_start_duration
from intents.durations import span_at as duration_at
from intents.lexicon import word_set

_WEEKDAYS: Final = {
    name: i
    for i, names in enumerate(
        ("monday mon", "tuesday tue tues", "wednesday wed", "thursday thu thur thurs",
         "friday fri", "saturday sat", "sunday sun")
    )
    for name in names.split()
}  # fmt: skip
_PARTS: Final = {
    "morning": (6, 12),
    "afternoon": (12, 18),
    "evening": (18, 24),
    "night": (18, 32),
    "tonight": (18, 32),
    "overnight": (18, 32),
}
"""Parts of a day, as hours from that day's midnight (a night runs to 08:00 next day)."""
_CLOCK: Final = re.compile(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)?")
_ISO: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:t(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(z|[+-]\d{2}:?\d{2})?)?"
)
_CLOCK_RANGE: Final = re.compile(r"(\d{1,2}(?::\d{2})?(?:am|pm)?)-(\d{1,2}(?::\d{2})?(?:am|pm)?)")
_SINCE: Final = frozenset({"since", "from", "after"})
_TO: Final = frozenset({"to", "until", "till", "til", "-", "and", "through"})
_UNTIL: Final = frozenset({"until", "till", "til", "through"})
_STOP: Final = frozenset({"for", "on", "of", "in", "at", "and", "with", "please", "pls", "?"})
_POINT_HALF_WIDTH: Final = 1800
_EARLIEST: Final = int(datetime(1, 1, 3, tzinfo=UTC).timestamp())
_LATEST: Final = int(datetime(9999, 12, 28, tzinfo=UTC).timestamp())
"""The moments a time phrase may name: what ``datetime`` represents, less a few days at each
end, so every later step (the first 3pm after it, the hour around it, the date it is written
back as) stays representable in any timezone. "9999-12-31t23:59-01:00" or "a billion weeks
ago" name no readable moment (issue 14: they raised ``ValueError``/``OverflowError``)."""
_UNTIL_HOUR: Final = 9
"""A silence "until tomorrow" (or a weekday) lasts until 09:00 that day, local time."""


class Clock:
    """When "now" is, and the timezone in which people mean "yesterday" and "3pm".

    Reading :attr:`now` (or :attr:`local`) sets :attr:`read`: a parse that never read it came
    out the same at any moment, which is what lets the parser keep its result (see
    :class:`intents.parser.IntentParser`). So every reader of the moment goes through
    :attr:`now`, and only when a word needs it."""

    __slots__ = ("_now", "read", "tz")

    def __init__(self, now: float, tz: tzinfo = UTC) -> None:
        self._now = now
        self.tz = tz
        self.read = False

    def __repr__(self) -> str:
        return f"Clock({self._now!r}, {self.tz!r})"

    @property
    def now(self) -> float:
        self.read = True
        return self._now

    @property
    def local(self) -> datetime:
        return datetime.fromtimestamp(self.now, self.tz)

    def at(self, day: date, hour: float = 0.0) -> int:
        """Unix seconds of ``hour`` o'clock on ``day`` in this clock's timezone."""
        base = datetime.combine(day, time(0), self.tz)
        return int((base + timedelta(hours=hour)).timestamp())


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """Words ``start``..``end`` (exclusive) say a time: ``kind`` is ``window`` (``begin`` to
    ``finish``, ``None`` = now), ``until`` (``finish``) or ``unreadable``."""

    start: int
    end: int
    kind: str
    begin: int | None = None
    finish: int | None = None
    text: str = ""


def find_times(words: Sequence[str], clock: Clock) -> list[TimeSpan]:
    """Every time phrase in ``words``, left to right, non-overlapping."""
    found: list[TimeSpan] = []
    i = 0
    while i < len(words):
        span = _phrase_at(words, i, clock)
        if span is None:
            i += 1
            continue
        found.append(span)
        i = span.end
    return found


def _phrase_at(words: Sequence[str], i: int, clock: Clock) -> TimeSpan | None:
    word = words[i]
    if word in _UNTIL:
        return _until(words, i, clock)
    if word in _SINCE or word == "between":
        return _interval(words, i, clock)
    if word in ("at", "around", "about") and (point := _point(words, i + 1, clock)) is not None:
        return _around(i, point[1], point[0])
    return _bare(words, i, clock)


_BARE_STARTS: Final = frozenset(
    {"this", "last", "tonight", "overnight", "weekend", "today", "yesterday", "tomorrow", "on",
     "past", "previous", "midnight", "noon", "midday", *_WEEKDAYS}
)  # fmt: skip
"""Words a day, a part of a day or a named time starts with (:func:`_bare`): with a digit
and a time span's first word ("2h ago", "an hour ago"), the only ones it can start with."""


def _bare(words: Sequence[str], i: int, clock: Clock) -> TimeSpan | None:
    """A day, a part of a day, a clock range or a point on its own ("yesterday", "last
    tuesday", "this morning", "15:00-17:00", "2h ago", an ISO time)."""
    word = words[i]
    if word not in _BARE_STARTS and not can_start_duration(word):
        return None
    day = _day_window(words, i, clock)
    if day is not None:
        return day
    ranged = _CLOCK_RANGE.fullmatch(words[i])
    if ranged is not None and any(c in words[i] for c in ":apm"):
        first, second = _clock_of(ranged.group(1)), _clock_of(ranged.group(2))
        if first is not None and second is not None:
            begin = _last_clock(clock, first)
            finish = _after(begin, clock, second)
            return TimeSpan(i, i + 1, "window", begin, finish)
    point = _point(words, i, clock, bare=True)
    return None if point is None else _around(i, point[1], point[0])


def _interval(words: Sequence[str], i: int, clock: Clock) -> TimeSpan | None:
    """ "since P", "from P (to Q)", "between P and Q"; a "since" that reads as no time is
    ``unreadable`` (said back to the user), a "from"/"after" that does is not a time."""
    first = _point(words, i + 1, clock) or _day_point(words, i + 1, clock)
    if first is None:
        if words[i] != "since" or _word(words, i + 1) in ("when", "then"):
            return None  # "since when is web-2 down?" asks how long
        if _word(words, i + 1) in _SUBJECTS or set(words[i + 1 : i + 6]) & _FINITE:
            return None  # "since the broker is wedged", "since it keeps crashing": a reason
        return None if duration_at(words, i + 1) is not None else _unreadable(words, i)
    begin, j = first
    if j < len(words) and words[j] in _TO:
        second = _point(words, j + 1, clock, after=begin) or _day_end(words, j + 1, clock)
        if second is not None:
            return TimeSpan(i, second[1], "window", begin, second[0])
    if words[i] == "between":
        return _unreadable(words, i)
    return TimeSpan(i, j, "window", begin, None)


_SUBJECTS: Final = word_set("it it's its we we're i i'm they they're he she you there")
_FINITE: Final = word_set(
    "is are has keeps keep seems seem looks look isn't aren't won't can't doesn't hasn't needs"
    " need requires starts wants breaks"
)
"""Present-tense verbs that make the words after "since" a clause about how things are: a
reason ("since the broker is wedged"); a past one tells when ("since the deploy went
out")."""


def _until(words: Sequence[str], i: int, clock: Clock) -> TimeSpan | None:
    """ "until 17:00", "until tomorrow", "till monday": the next such moment after now."""
    point = _point(words, i + 1, clock, after=int(clock.now)) or _next_day(words, i + 1, clock)
    if point is None:
        return _unreadable(words, i)
    return TimeSpan(i, point[1], "until", None, point[0])


def _around(i: int, end: int, at: int) -> TimeSpan:
    return TimeSpan(i, end, "window", at - _POINT_HALF_WIDTH, at + _POINT_HALF_WIDTH)


def _unreadable(words: Sequence[str], i: int) -> TimeSpan:
    end = i + 1
    while end < len(words) and end - i < 4 and words[end] not in _STOP:
        if not words[end].isalpha():
            break  # a name ("since the deploy of web-1") is not part of the phrase
        end += 1
    return TimeSpan(i, end, "unreadable", text=" ".join(words[i:end]))


# --------------------------------------------------------------------------- points


def _point(
    words: Sequence[str], i: int, clock: Clock, *, after: int | None = None, bare: bool = False
) -> tuple[int, int] | None:
    """A moment at word ``i`` and where it ends: an ISO time, "N ago", "now", "midnight",
    a clock time (optionally after a day: "yesterday 3pm"). ``after`` picks the first such
    clock time after that moment instead of the last one before now. Only moments between
    :data:`_EARLIEST` and :data:`_LATEST` count."""
    found = _any_point(words, i, clock, after=after, bare=bare)
    return found if found is None or _EARLIEST <= found[0] <= _LATEST else None


def _any_point(
    words: Sequence[str], i: int, clock: Clock, *, after: int | None, bare: bool
) -> tuple[int, int] | None:
    if i >= len(words):
        return None
    word = words[i]
    iso = _iso(words, i, clock)
    if iso is not None:
        return iso
    ago = duration_at(words, i)
    if ago is not None and _word(words, ago.end) == "ago":
        return int(clock.now) - ago.seconds, ago.end + 1
    if word == "now" and not bare:
        return int(clock.now), i + 1
    day = _day(words, i, clock)
    if day is not None and (clock_time := _clock_words(words, day[1], bare=False)) is not None:
        return clock.at(day[0], clock_time[0]), clock_time[1]
    clock_time = _clock_words(words, i, bare=bare)
    if clock_time is None:
        return None
    hour, end = clock_time
    if _word(words, end) in _WEEKDAYS or _word(words, end) in ("yesterday", "today"):
        day = _day(words, end, clock)
        if day is not None:
            return clock.at(day[0], hour), day[1]
    if after is not None:
        return _after(after, clock, hour), end
    return _last_clock(clock, hour), end


def _clock_words(words: Sequence[str], i: int, *, bare: bool) -> tuple[float, int] | None:
    """A clock time at ``i`` as hours: "15:00", "3pm", "3 pm", "3:30am", "midnight", "noon".
    When ``bare`` (no "at"/"since" before it), a plain number is not a time."""
    word = _word(words, i)
    if word in ("midnight",):
        return 0.0, i + 1
    if word in ("noon", "midday"):
        return 12.0, i + 1
    if word is None:
        return None
    nxt = _word(words, i + 1)
    if nxt in ("am", "pm", "a.m", "p.m", "a.m.", "p.m.") and word.isdigit():
        hour = _clock_of(word + nxt.replace(".", ""))
        return None if hour is None else (hour, i + 2)
    if bare and ":" not in word and not word.endswith(("am", "pm")):
        return None
    if word.isdigit() and nxt not in ("o'clock", "oclock", "utc", "z"):
        return None
    hour = _clock_of(word)
    if hour is None:
        return None
    end = i + 2 if nxt in ("o'clock", "oclock", "utc", "z") else i + 1
    return hour, end


def _clock_of(text: str) -> float | None:
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    hour, minute, second = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    suffix = (match.group(4) or "").replace(".", "")
    if suffix and not 1 <= hour <= 12:
        return None
    if suffix == "pm" and hour != 12:
        hour += 12
    if suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour + minute / 60 + second / 3600


def _iso(words: Sequence[str], i: int, clock: Clock) -> tuple[int, int] | None:
    """An ISO 8601 date or date-time ("2026-12-01", "2026-12-01t10:00z", "2026-12-01 10:00"),
    in the clock's timezone unless it says its own offset."""
    match = _ISO.fullmatch(words[i])
    if match is None:
        return None
    year, month, day = (int(match.group(k)) for k in (1, 2, 3))
    try:
        when = date(year, month, day)
    except ValueError:
        return None
    if match.group(4) is None:
        clock_time = _clock_words(words, i + 1, bare=False)
        if clock_time is not None:
            return clock.at(when, clock_time[0]), clock_time[1]
        return clock.at(when), i + 1
    hour, minute, second = int(match.group(4)), int(match.group(5)), int(match.group(6) or 0)
    zone = _offset(match.group(7), clock)
    if hour > 23 or minute > 59 or second > 59 or zone is None:
        return None
    moment = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    return int(moment.timestamp()), i + 1


def _offset(text: str | None, clock: Clock) -> tzinfo | None:
    """The timezone an ISO time names (``z``, ``+02:00``, ``-0530``; none: the clock's), or
    ``None`` for an offset no clock has ("+99:99" made ``timezone()`` raise: issue 14)."""
    if text is None:
        return clock.tz
    if text == "z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _last_clock(clock: Clock, hour: float) -> int:
    """The most recent moment at or before now whose local time is ``hour``."""
    today = clock.local.date()
    moment = clock.at(today, hour)
    return moment if moment <= clock.now else clock.at(today - timedelta(days=1), hour)


def _after(moment: int, clock: Clock, hour: float) -> int:
    """The first moment after ``moment`` whose local time is ``hour``."""
    day = datetime.fromtimestamp(moment, clock.tz).date()
    for offset in range(2):
        candidate = clock.at(day + timedelta(days=offset), hour)
        if candidate > moment:
            return candidate
    return clock.at(day + timedelta(days=2), hour)


# --------------------------------------------------------------------------- days


def _day(words: Sequence[str], i: int, clock: Clock) -> tuple[date, int] | None:
    """A calendar day at ``i``: today, yesterday, tomorrow, (last|this|on) <weekday>."""
    word = _word(words, i)
    if word == "today":
        return clock.local.date(), i + 1
    if word == "yesterday":
        return clock.local.date() - timedelta(days=1), i + 1
    if word == "tomorrow":
        return clock.local.date() + timedelta(days=1), i + 1
    if word in ("last", "this", "on", "past", "previous") and _word(words, i + 1) in _WEEKDAYS:
        strict = word in ("last", "past", "previous")
        return _weekday(clock.local.date(), _WEEKDAYS[words[i + 1]], strict=strict), i + 2
    if word in _WEEKDAYS and len(word) > 3:
        return _weekday(clock.local.date(), _WEEKDAYS[word], strict=False), i + 1
    return None


def _weekday(today: date, weekday: int, *, strict: bool) -> date:
    back = (today.weekday() - weekday) % 7
    if back == 0 and strict:
        back = 7
    return today - timedelta(days=back)


def _day_window(words: Sequence[str], i: int, clock: Clock) -> TimeSpan | None:
    """A whole day or a part of one: "yesterday", "last tuesday", "this morning", "last
    night", "yesterday afternoon", "over the weekend"."""
    part = _part_of_day(words, i, clock)
    if part is not None:
        return part
    if _word(words, i) in ("weekend",) or tuple(words[i : i + 2]) in (
        ("last", "weekend"),
        ("this", "weekend"),
    ):
        return _weekend(words, i, clock)
    day = _day(words, i, clock)
    if day is None:
        return None
    when, end = day
    if _word(words, end) in _PARTS:
        first, last = _PARTS[words[end]]
        return TimeSpan(i, end + 1, "window", clock.at(when, first), clock.at(when, last))
    if when == clock.local.date():
        return TimeSpan(i, end, "window", clock.at(when), None)
    return TimeSpan(i, end, "window", clock.at(when), clock.at(when + timedelta(days=1)))


def _part_of_day(words: Sequence[str], i: int, clock: Clock) -> TimeSpan | None:
    word, nxt = _word(words, i), _word(words, i + 1)
    if word in ("this", "last") and nxt in _PARTS:
        today = clock.local.date()
        first, last = _PARTS[nxt]
        day = today - timedelta(days=1) if word == "last" or first >= 18 else today
        if word == "this" and clock.at(today, first) <= clock.now:
            day = today
        return TimeSpan(i, i + 2, "window", clock.at(day, first), clock.at(day, last))
    if word in ("tonight", "overnight"):
        today = clock.local.date()
        first, last = _PARTS[word]
        day = today - timedelta(days=1) if clock.now < clock.at(today, first) else today
        return TimeSpan(i, i + 1, "window", clock.at(day, first), clock.at(day, last))
    return None


def _weekend(words: Sequence[str], i: int, clock: Clock) -> TimeSpan:
    today = clock.local.date()
    saturday = _weekday(today, 5, strict=False)
    end = i + 1 if words[i] == "weekend" else i + 2
    return TimeSpan(i, end, "window", clock.at(saturday), clock.at(saturday + timedelta(days=2)))


def _day_point(words: Sequence[str], i: int, clock: Clock) -> tuple[int, int] | None:
    """The start of a named day ("since yesterday", "from monday")."""
    day = _day(words, i, clock)
    return None if day is None else (clock.at(day[0]), day[1])


def _day_end(words: Sequence[str], i: int, clock: Clock) -> tuple[int, int] | None:
    """The end of a named day ("... to yesterday" means through yesterday)."""
    day = _day(words, i, clock)
    return None if day is None else (clock.at(day[0] + timedelta(days=1)), day[1])


def _next_day(words: Sequence[str], i: int, clock: Clock) -> tuple[int, int] | None:
    """ "until tomorrow", "till monday": 09:00 on the next such day."""
    word = _word(words, i)
    if word == "tomorrow":
        return clock.at(clock.local.date() + timedelta(days=1), _UNTIL_HOUR), i + 1
    if word in _WEEKDAYS:
        today = clock.local.date()
        ahead = (_WEEKDAYS[word] - today.weekday()) % 7 or 7
        return clock.at(today + timedelta(days=ahead), _UNTIL_HOUR), i + 1
    return None


def _word(words: Sequence[str], i: int) -> str | None:
    return words[i] if 0 <= i < len(words) else None
