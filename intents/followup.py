"""Follow-ups: a turn that refines the previous request instead of starting a new one.

"and memory?", "now disk", "what about the last 3 hours", "same for checkout-api", "and
for web-2?" keep the previous intent and its slots and replace only what the new turn says.
A new metric turns a non-metric request into a metric query ("status of web-1" -> "cpu?"
shows web-1's CPU). A turn that names another intent ("and what's down?") or asks a whole
question of its own ("cpu of web-1 over 2h") is not a follow-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from intents import lexicon
from intents.analysis import Analysis, is_camel_name
from intents.grammar import FILLER
from intents.lexicon import word_set
from intents.model import INTENT_SLOTS, IntentName, SlotValue, Turn
from intents.slots import (
    NOT_NAMES,
    find_quantile,
    find_target,
    find_targets,
    first_value,
    time_slots,
)

FOLLOWUP_CONFIDENCE: Final = 0.9
_NOT_REFINABLE: Final = frozenset({"unknown", "help", "approve", "deny", "confirm"})
_REPEAT_WORDS: Final = word_set("again repeat refresh same once reload rerun")
_REPEAT_FILLER: Final = word_set("please pls the thing that it do more one show time query ask run")
_METRIC_INTENTS: Final = ("metric_query", "anomaly_query", "forecast")
_SEVERITY_INTENTS: Final = ("alerts_list", "subscribe", "unsubscribe")
PRONOUNS: Final = word_set("it that this them there same one")
_REPLACES: Final = {
    "range": {"start", "end"},
    "start": {"range", "end"},
    "target": {"targets"},
    "targets": {"target"},
    "metric": {"threshold"},
}
"""A new look-back replaces the old window, a new window the old look-back, and so on; a
threshold belongs to its metric ("and memory?" after "will latency go over 300 ms?")."""


_OPENERS: Final = lexicon.by_first_word(lexicon.FOLLOWUP_OPENERS)


def opener_length(a: Analysis) -> int:
    """How many leading words are a follow-up opener ("and", "what about", "same for")."""
    words = a.words
    for phrase in _OPENERS.get(words[0], ()) if words else ():
        if words[: len(phrase)] == phrase:
            return len(phrase)
    return 0


def previous_request(history: Sequence[Turn]) -> Turn | None:
    """The most recent turn that a follow-up can refine (not help, unknown or a decision)."""
    return next((t for t in reversed(history) if t.intent not in _NOT_REFINABLE), None)


def new_slots(a: Analysis, *, after_opener: bool = False) -> dict[str, SlotValue]:
    """The slot values a follow-up gives: metric, target, time span, severity.

    After an opener ("and for", "what about", "same for") a lone name is the new target even
    without a preposition of its own: "and payments?".
    """
    out: dict[str, SlotValue] = {}
    for kind, name in (("metric", "metric"), ("severity", "severity")):
        value = first_value(a, kind)
        if value is not None:
            out[name] = value
    out.update(time_slots(a))
    quantile = find_quantile(a)
    if quantile is not None:
        out["quantile"] = quantile
        out.setdefault("metric", "latency")
    targets = find_targets(a)
    if targets is not None:
        out["targets"] = targets
        return out
    target = find_target(a)
    if target is None and after_opener:
        target = _lone_name(a)
    if target is not None:
        out["target"] = target[1]
    return out


def _lone_name(a: Analysis) -> tuple[int, str] | None:
    free = [i for i, t in enumerate(a.tokens) if a.span_at(i) is None and t.norm not in FILLER]
    if len(free) != 1:
        return None
    token = a.tokens[free[0]]
    ok = token.is_plain_name and token.lower not in NOT_NAMES and token.norm == token.lower
    return (free[0], token.raw) if ok else None


def refine(
    previous: Turn, given: Mapping[str, SlotValue]
) -> tuple[str, dict[str, SlotValue]] | None:
    """The previous request with ``given`` slots replaced, or ``None`` if they do not fit."""
    intent = _refined_intent(previous.intent, given)
    allowed = INTENT_SLOTS[IntentName(intent)]
    named = given.get("target")
    if "alertname" in allowed and named is not None and is_camel_name(str(named)):
        # "same for DiskFull" after a silence of HighLatency: the alert changes, not the host
        given = {**{k: v for k, v in given.items() if k != "target"}, "alertname": named}
    replaced = set(given).union(*(_REPLACES.get(k, set()) for k in given))
    slots = {k: v for k, v in previous.slots.items() if k in allowed and k not in replaced}
    if given.get("metric", "latency") != "latency":
        slots.pop("quantile", None)
    used = 0
    for name, value in given.items():
        slot = "duration" if name == "range" and intent == "alert_silence" else name
        if slot in allowed:
            slots[slot] = value
            used += 1
    return (intent, slots) if used else None


def is_repeat(a: Analysis) -> bool:
    """Whether the turn just asks for the previous answer again ("again", "refresh")."""
    words = [w for w in a.words if w not in _REPEAT_FILLER]
    return bool(words) and all(w in _REPEAT_WORDS for w in words)


def is_complete(given: Mapping[str, SlotValue]) -> bool:
    """Whether a turn's slots make a whole question on their own ("cpu of web-1 over the
    last 2h"): a metric and a target. Such a turn never inherits the previous one's mode,
    range or window; only an elliptical turn ("and memory?", "web-2?") does."""
    return "metric" in given and ("target" in given or "targets" in given)


def _refined_intent(intent: str, given: Mapping[str, SlotValue]) -> str:
    if "metric" in given and intent not in _METRIC_INTENTS:
        return "metric_query"
    if "severity" in given and intent not in _SEVERITY_INTENTS:
        return "alerts_list"
    return intent
