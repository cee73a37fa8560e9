"""The intent parser every platform shares: message text (plus the conversation so far) in,
:class:`~intents.model.Intent` out.

Pipeline, first answer wins:

1. :func:`~intents.text.clean` strips mentions and markup; the message is read once
   (:func:`~intents.analysis.analyse`: tokens, spelling, metric/time/severity spans).
2. Raw PromQL (``promql <expr>``, a backticked expression): the expression verbatim.
3. Follow-ups, when there is history: "and memory?", "same for checkout-api", "yes".
4. The terse-command grammar (:mod:`intents.grammar`).
5. The free-text classifier (any :class:`bot.ports.TextClassifier`, injected so this package
   never imports scikit-learn), then slot extraction for the intent it chose. Below the
   confidence threshold, or when it says so, the answer is ``unknown``.

Finally a guard: side-effecting intents (remediation, silences, approvals, subscriptions)
whose text carries shell or markup syntax, or a negation ("don't restart"), become
``unknown``; every name slot is re-checked to be a plain name. ``parse`` is pure and does no
I/O; a parse takes well under a millisecond plus one classifier call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from bot.ports import TextClassifier
from intents import followup
from intents.analysis import Analysis, Span, analyse, analyse_tokens
from intents.canonical import canonical_command
from intents.grammar import KEYWORDS, is_slot_only, match_terse
from intents.model import INTENT_NAMES, INTENT_SLOTS, Intent, SlotValue, Turn
from intents.promql import find_promql
from intents.rejected import rejected_slots
from intents.scope import concrete, in_scope, is_help_request, off_topic
from intents.slots import extract_slots
from intents.text import PLAIN_NAME, clean, looks_unsafe

TERSE_CONFIDENCE: Final = 0.99
SIDE_EFFECTS: Final = frozenset(
    {"remediation", "alert_silence", "approve", "deny", "subscribe", "unsubscribe"}
)
_NAME_SLOTS: Final = ("target", "alertname", "request_id", "action")
_NEGATIONS: Final = frozenset({"not", "never", "dont", "no"})
_NEGATABLE: Final = frozenset({"remediation", "alert_silence", "approve", "subscribe"})
_OPPOSITES: Final = {"approve": "deny", "subscribe": "unsubscribe"}
_HOW_TO: Final = re.compile(
    r"^(?:so |and |but |ok )?how (?:do|can|could|should|would|might|to|does one)\b"
)
"""A how-to question ("how do I restart a service?") asks for help; it never acts."""
_ASKING_ABOUT_THE_PAST: Final = frozenset(
    {"when", "did", "was", "were", "has", "have", "had", "who", "why", "whom"}
)
"""Openers of a question about what happened ("did you restart payments?", "when was web-1
rebooted"): a remediation verb in one is not a request to act."""
_CONCRETE_THRESHOLD: Final = 0.1
"""The least probability acted on for a message naming a metric and a system."""
_NO_SPAN: Final = Span(0, 0, "", "")
_TARGET_INTENTS: Final = frozenset(
    {"metric_query", "status", "alerts_list", "alert_silence", "anomaly_query", "remediation"}
)


class IntentParser:
    """Turns one chat message into an :class:`Intent`.

    ``classifier`` ranks intents for free text. The parser answers ``unknown`` when the
    message has no operations vocabulary at all (:mod:`intents.scope`), when the classifier
    gives ``unknown`` at least ``unknown_threshold``, or when the best other intent has less
    than ``threshold``. Both defaults were chosen by cross-validation on the training set.
    """

    def __init__(
        self,
        classifier: TextClassifier,
        *,
        threshold: float = 0.2,
        unknown_threshold: float = 0.6,
    ) -> None:
        self._classifier = classifier
        self._threshold = threshold
        self._unknown_threshold = unknown_threshold

    def parse(self, text: str, history: Sequence[Turn] = ()) -> Intent:
        """The intent of ``text``; ``history`` is the conversation's earlier resolved turns,
        oldest first, used to complete follow-ups."""
        cleaned = clean(text)
        a = analyse(cleaned)
        if not a.tokens:
            return Intent("unknown", 1.0)
        name, confidence, slots = (
            self._promql(cleaned)
            or _off_topic(a)
            or self._followup(a, history)
            or self._terse(a, history)
            or self._free_text(cleaned, a)
        )
        slots = _with_referenced_target(name, slots, a, history)
        return _with_rejected(_guarded(name, confidence, slots, cleaned, a), cleaned, a)

    def _promql(self, cleaned: str) -> tuple[str, float, dict[str, SlotValue]] | None:
        found = find_promql(cleaned)
        if found is None:
            return None
        slots: dict[str, SlotValue] = {}
        if found.expr:
            slots["expr"] = found.expr
        if found.range is not None:
            slots["range"] = found.range
        return "promql", TERSE_CONFIDENCE, slots

    def _followup(
        self, a: Analysis, history: Sequence[Turn]
    ) -> tuple[str, float, dict[str, SlotValue]] | None:
        previous = followup.previous_request(history)
        if previous is None:
            return None
        decided = followup.decision(history[-1], a)
        if decided is not None:
            return decided, followup.FOLLOWUP_CONFIDENCE, {}
        if followup.is_repeat(a):
            return previous.intent, followup.FOLLOWUP_CONFIDENCE, dict(previous.slots)
        skip = followup.opener_length(a)
        rest = _suffix(a, skip)
        given = followup.new_slots(rest, after_opener=skip > 0)
        if not rest.tokens or not is_slot_only(rest, given):
            return None
        refined = followup.refine(previous, given)
        if refined is None:
            return None
        return refined[0], followup.FOLLOWUP_CONFIDENCE, refined[1]

    def _terse(
        self, a: Analysis, history: Sequence[Turn]
    ) -> tuple[str, float, dict[str, SlotValue]] | None:
        matched = match_terse(a)
        if matched is not None:
            return matched[0], TERSE_CONFIDENCE, matched[1]
        decided = followup.decision_with_id(a)
        if decided is not None:
            return decided[0], TERSE_CONFIDENCE, {"request_id": decided[1]}
        if not history and is_slot_only(a):
            given = followup.new_slots(a)
            if set(given) == {"target"}:
                return "status", 0.6, given
        return None

    def _free_text(self, cleaned: str, a: Analysis) -> tuple[str, float, dict[str, SlotValue]]:
        """Ask the classifier; act on its best in-scope intent unless ``unknown`` is likely
        enough (``unknown_threshold``) or that intent is too unsure (``threshold``)."""
        if not in_scope(a):
            return "unknown", 1.0, {}
        ranked = [(n, p) for n, p in self._classifier.predict(cleaned) if n in INTENT_NAMES]
        p_unknown = next((p for n, p in ranked if n == "unknown"), 0.0)
        name, probability = next(((n, p) for n, p in ranked if n != "unknown"), ("unknown", 0.0))
        sure = concrete(a)
        if name == "unknown" or (p_unknown >= self._unknown_threshold and not sure):
            return "unknown", max(p_unknown, 1.0 - probability), {}
        if probability < (_CONCRETE_THRESHOLD if sure else self._threshold) or (
            name == "help" and not is_help_request(a)
        ):
            return "unknown", 1.0 - probability, {}
        slots = extract_slots(name, a)
        if name == "remediation" and "action" not in slots:
            return "unknown", 1.0 - probability, {}  # an action with no verb is a guess
        if name == "promql":
            found = find_promql(cleaned)
            if found is not None and found.expr:
                slots["expr"] = found.expr
        return name, probability, slots


def _off_topic(a: Analysis) -> tuple[str, float, dict[str, SlotValue]] | None:
    return ("unknown", TERSE_CONFIDENCE, {}) if off_topic(a) else None


def _suffix(a: Analysis, skip: int) -> Analysis:
    if skip == 0:
        return a
    rest = a.tokens[skip:]
    return analyse_tokens(" ".join(t.raw for t in rest), rest)


def _with_referenced_target(
    name: str, slots: dict[str, SlotValue], a: Analysis, history: Sequence[Turn]
) -> dict[str, SlotValue]:
    """Fill a missing target from the conversation when the user points at it ("restart
    it", "any alerts there?")."""
    if name not in _TARGET_INTENTS or "target" in slots or not history:
        return slots
    if not any(w in followup.PRONOUNS for w in a.words):
        return slots
    for turn in reversed(history):
        target = turn.slots.get("target")
        if isinstance(target, str):
            return {**slots, "target": target}
    return slots


def _guarded(
    name: str, confidence: float, slots: dict[str, SlotValue], cleaned: str, a: Analysis
) -> Intent:
    if name in SIDE_EFFECTS and looks_unsafe(cleaned):
        return Intent("unknown", TERSE_CONFIDENCE)
    if name in SIDE_EFFECTS and _HOW_TO.match(" ".join(a.words)):
        name, slots = "help", extract_slots("help", a)
    if name == "remediation" and a.words[0] in _ASKING_ABOUT_THE_PAST:
        return Intent("unknown", TERSE_CONFIDENCE)
    if name in _NEGATABLE and _negated(name, a):
        if name not in _OPPOSITES:
            return Intent("unknown", TERSE_CONFIDENCE)
        name = _OPPOSITES[name]
    safe = {
        k: slots[k]
        for k in INTENT_SLOTS.get(name, ())
        if k in slots and (k not in _NAME_SLOTS or PLAIN_NAME.fullmatch(str(slots[k])) is not None)
    }
    confidence = min(1.0, max(0.0, float(confidence)))
    return Intent(name, confidence, safe, canonical_command(name, safe))


def _with_rejected(intent: Intent, cleaned: str, a: Analysis) -> Intent:
    """``intent`` with the range or target the user gave but the parser could not read
    (:mod:`intents.rejected`), so the handler can say so instead of using its default."""
    if intent.name == "promql":
        found = find_promql(cleaned)
        span = found.rejected_range if found is not None else None
        rejected = {"range": span} if span else {}
    else:
        rejected = rejected_slots(intent.name, dict(intent.slots), a)
    return replace(intent, rejected=rejected) if rejected else intent


def _negated(name: str, a: Analysis) -> bool:
    """A negation just before the verb ("don't restart", "do not silence", "request 77 is
    not approved"): never act. The verb is the first action word or keyword of ``name``."""
    verb = next(
        (
            i
            for i, t in enumerate(a.tokens)
            if KEYWORDS.get(t.norm) == name or (a.span_at(i) or _NO_SPAN).kind == "action"
        ),
        min(len(a.tokens), 3),
    )
    return any(w in _NEGATIONS for w in a.words[max(0, verb - 3) : verb])
