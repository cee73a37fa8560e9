"""Questions about the future of a metric: "when will db-primary's disk be full?", "will
payments latency go over 300 ms today?", "how much disk will db-primary have tomorrow?".

:func:`is_forecast` spots them (a metric and a look ahead: "will", "going to", "run out",
"fill up", "at this rate", "forecast"); :func:`forecast_slots` reads the ``threshold`` (in the
metric's base unit: seconds for latency, percent, requests per second) and the ``horizon``
(seconds ahead). "full" and "run out" give no threshold: the handler uses the catalog's (disk
100 %) or the firing alert's.
"""

from __future__ import annotations

import re
from typing import Final

from intents.analysis import Analysis
from intents.lexicon import word_set
from intents.model import SlotValue
from intents.slots import find_quantile, find_target, first_value

_KEYWORDS: Final = word_set("forecast forecasts predict prediction projection extrapolate")
_AHEAD: Final = re.compile(
    r"\bwhen (?:will|is|are|does|do)\b|\bwill (?!you\b|u\b)|\bgoing to\b|\bgonna\b"
    r"|\brun(?:ning)? out\b|\bfill(?:s|ing)? up\b|\bbe full\b|\bget full\b|\bat this rate\b"
    r"|\bhow long (?:until|till|before|til)\b|\bhow soon\b|\bby (?:tomorrow|tonight|the end)\b"
    r"|\bexpected to\b|\bon track to\b|\bbreach\b"
    r"|\b(?:next|coming) (?:(?:\d+|few|couple of|two|three) )?(?:min|minute|hour|day|week|month)"
    r"|\bnext (?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\bnext weekend\b"
)
_ABOVE: Final = word_set(
    """
    over above exceed exceeds exceeding past beyond hit hits reach reaches cross crosses
    breach top tops surpass than
    """
)
_BELOW: Final = word_set("below under beneath")
_IN: Final = word_set("in within next")
_PERCENT: Final = word_set("percent pct %")
_SECONDS_WORD: Final = re.compile(r"(\d+(?:\.\d+)?)(?:s|sec|secs)")
_SECONDS: Final = {"ms": 0.001, "millisecond": 0.001, "milliseconds": 0.001, "msec": 0.001}


def is_forecast(a: Analysis) -> bool:
    """Whether ``a`` asks where a metric is heading: a metric and a look ahead, or the word
    "forecast" with a metric or a target ("what's the forecast for saturday" is weather)."""
    metric = a.first("metric") is not None
    if set(a.words) & _KEYWORDS:
        return metric or find_target(a) is not None
    return metric and _AHEAD.search(" ".join(a.words)) is not None


def forecast_slots(a: Analysis) -> dict[str, SlotValue]:
    """The slots of a forecast question: metric, target, threshold, horizon, quantile."""
    slots: dict[str, SlotValue] = {}
    metric = first_value(a, "metric")
    quantile = find_quantile(a)
    if metric is None and quantile is not None:
        metric = "latency"
    if metric is not None:
        slots["metric"] = metric
    target = find_target(a, exclude=_phrase_words(a))
    if target is not None:
        slots["target"] = target[1]
    threshold = find_threshold(a)
    if threshold is not None:
        slots["threshold"] = threshold
        if _falls(a):
            slots["direction"] = "below"
    horizon = find_horizon(a)
    if horizon is not None:
        slots["horizon"] = horizon
    if quantile is not None and metric == "latency":
        slots["quantile"] = quantile
    return slots


_PHRASE_WORDS: Final = word_set("fill fills filling run running out full")


def _phrase_words(a: Analysis) -> set[int]:
    """The words of "fill up", "run out", "be full": never the target ("will disk fill up
    by friday" was a forecast for a host named "fill")."""
    return {i for i, w in enumerate(a.words) if w in _PHRASE_WORDS}


def find_threshold(a: Analysis) -> int | float | None:
    """The level asked about, after "over"/"above"/"below"/"reach"...: "300 ms" -> 0.3 (s),
    "90%" -> 90, "2 seconds" -> 2.0, "1000 rps" -> 1000. A whole number of percent or
    of a plain unit stays an ``int`` (``int | float``, not ``float``: compiled, a ``float``
    would turn 90 into 90.0 in the intent JSON)."""
    for i, word in enumerate(a.words):
        if word not in _ABOVE and word not in _BELOW and word != "to":
            continue
        value = _amount(a, i + 1)
        if value is not None:
            return value
    return None


def _falls(a: Analysis) -> bool:
    """ "drop below 100 rps", "fall under 10 %": the level is reached from above."""
    return any(w in _BELOW for w in a.words)


def _amount(a: Analysis, i: int) -> int | float | None:
    span = a.span_at(i)
    if span is None:
        return None
    if span.kind == "measure":
        return float(span.value)
    if span.kind == "duration" and isinstance(span.value, int):
        exact = _SECONDS_WORD.fullmatch(a.tokens[i].lower)
        return float(exact.group(1)) if exact is not None else float(span.value)
    if span.kind == "number" and isinstance(span.value, int):
        unit = a.word(i + 1) or ""
        return span.value * _SECONDS.get(unit, 1.0) if unit not in _PERCENT else span.value
    return None


def find_horizon(a: Analysis) -> int | None:
    """How far ahead, in seconds: "in 6 hours", "by tomorrow" (a day), "today" (until
    midnight), "until 17:00", "next week"."""
    for span in a.spans:
        time = span.time
        if span.kind == "until" and time is not None and time.finish is not None:
            return max(0, time.finish - int(a.clock.now))
        if span.kind == "window" and time is not None and time.begin is not None:
            if time.begin > int(a.clock.now):
                return 86_400
            if time.finish is None and a.word(span.start) == "today":
                return _until_midnight(a)
        if span.kind == "duration" and isinstance(span.value, int):
            before = a.word(span.start - 1)
            if before in _IN or a.word(span.start) in ("next", "coming"):
                return span.value
    return None


def _until_midnight(a: Analysis) -> int:
    local = a.clock.local
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return 86_400 - seconds
