"""The deterministic grammar for terse commands: ``cpu web-1 2h``, ``status``, ``alerts
critical``, ``silence NodeDown for 45m``, ``scale search to 3``, ``approve 12``, ``help alerts``.

A message is terse when every word is accounted for: it is a keyword of exactly one intent,
a slot of that intent (metric, target, time span, severity, number, alert name, ...), or
filler ("show me the", "for", "over the last"). Word order does not matter, so ``web-1 cpu
2h`` and ``cpu 2h web-1`` read alike. Anything else goes to the classifier.
"""

from __future__ import annotations

from typing import Final

from intents import lexicon
from intents.analysis import Analysis
from intents.lexicon import word_set
from intents.model import SlotValue
from intents.slots import extract_slots, find_topic

FILLER: Final = word_set(
    """
    the of for on over in at to last past me show please pls now a an and by from with all
    usage use utilization utilisation util graph chart plot display get list current
    currently active right whole only level levels severity replicas replica pods instances
    request req number id this channel here value values stats since during until 's
    firing my our just quick quickly metric metrics log logs compare vs versus any
    it that them these those too also though tho either instead as well its their there
    """
)

KEYWORDS: Final[dict[str, str]] = {
    **dict.fromkeys(("status", "up", "down", "uptime"), "status"),
    **dict.fromkeys(("health", "healthcheck", "healthy", "unhealthy"), "health"),
    **dict.fromkeys(("alerts", "alert", "alarms", "alerting", "firing"), "alerts_list"),
    **dict.fromkeys(("silences", "silenced", "muted", "snoozed"), "silences"),
    **dict.fromkeys(("subscriptions", "subscribed", "subs"), "subscriptions"),
    **dict.fromkeys(("history", "audit", "audit-log"), "history"),
    **dict.fromkeys(("forecast", "predict", "prediction", "projection", "extrapolate"), "forecast"),
}
"""Words that name a read-only intent. State-changing commands are not here: only the
command grammar (:mod:`intents.commands`) produces those."""
HELP_WORDS: Final = frozenset({"help", "commands", "usage", "?", "man", "manual", "h"})
_SPAN_KEYWORDS: Final = {"unusual": "anomaly_query"}
_SLOT_SPANS: Final = frozenset(
    {"metric", "duration", "severity", "number", "window", "badtime", "quantile"}
)
_NOUN_INTENTS: Final = frozenset({"alerts_list", "status", "health"})
_TOPIC_WORDS: Final = frozenset(w for phrase in lexicon.HELP_TOPICS for w in phrase)


def match_terse(a: Analysis) -> tuple[str, dict[str, SlotValue]] | None:
    """The intent and slots of a terse command, or ``None`` when ``a`` is free text."""
    if not a.tokens:
        return None
    if a.tokens[0].norm.lstrip("/") in HELP_WORDS:
        return _help(a)
    intents, words = _keywords_and_words(a)
    if len(intents) > 1 and len(intents - _NOUN_INTENTS) == 1:
        intents -= _NOUN_INTENTS
    if len(intents) > 1:
        return None
    if intents:
        intent = intents.pop()
    elif a.first("metric") is not None:
        intent = "metric_query"
    else:
        return None
    slots = extract_slots(intent, a)
    return (intent, slots) if _explained(a, words, slots) else None


def is_slot_only(a: Analysis, slots: dict[str, SlotValue] | None = None) -> bool:
    """Whether ``a`` says nothing but slot values and filler ("and memory?", "last 3 hours",
    "web-2"): the shape of a follow-up that refines the previous request. ``slots`` are the
    values found in it (default: those a metric query would take)."""
    intents, words = _keywords_and_words(a)
    if intents or not a.tokens:
        return False
    return _explained(a, words, extract_slots("metric_query", a) if slots is None else slots)


def _help(a: Analysis) -> tuple[str, dict[str, SlotValue]] | None:
    topic = find_topic(a)
    rest = [t.norm for t in a.tokens[1:] if t.norm not in FILLER]
    if len(rest) > 2 or any(w not in _TOPIC_WORDS for w in rest):
        return None
    return "help", ({"topic": topic} if topic else {})


def _keywords_and_words(a: Analysis) -> tuple[set[str], list[int]]:
    """Intents named by keywords, and the indices of words that are neither keyword,
    slot span nor filler (they must turn out to be slot values)."""
    intents: set[str] = set()
    words: list[int] = []
    for i, token in enumerate(a.tokens):
        span = a.span_at(i)
        if span is not None and span.kind in _SPAN_KEYWORDS:
            intents.add(_SPAN_KEYWORDS[span.kind])
        elif span is not None and span.kind in _SLOT_SPANS:
            continue
        elif token.norm.lstrip("/") in KEYWORDS:
            intents.add(KEYWORDS[token.norm.lstrip("/")])
        elif token.norm not in FILLER:
            words.append(i)
    return intents, words


def _explained(a: Analysis, words: list[int], slots: dict[str, SlotValue]) -> bool:
    values = {v for v in slots.values() if isinstance(v, str)}
    values.update(t for v in slots.values() if isinstance(v, tuple) for t in v)
    return all(a.tokens[i].raw in values or a.tokens[i].raw.lower() in values for i in words)
