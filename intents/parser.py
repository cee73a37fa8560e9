"""The intent parser every platform shares: message text (plus the conversation so far) in,
:class:`~intents.model.Intent` out. It owns every word: handlers read only the intent.

Pipeline, first answer wins:

1. :func:`~intents.text.clean` strips mentions and markup; the message is read once
   (:func:`~intents.analysis.analyse`: tokens, spelling, metric/time/severity spans).
2. The reason for a request (``reason 12 the pods are stuck``, :mod:`intents.reasons`): its
   words are the user's own, so nothing else reads them. Then raw PromQL (``promql <expr>``,
   a backticked expression): the expression verbatim.
3. A bare "yes"/"no": :data:`~IntentName.CONFIRM`, carrying the pending "did you mean" of
   the turn before (if it is still fresh); a bare "share" (:mod:`intents.sharing`).
4. State-changing commands (:mod:`intents.commands`): only an explicit imperative, spelled
   exactly, every word accounted for. A typo of the verb, a trailing question mark or words
   the command cannot hold become a question back to the user, never an action.
5. Follow-ups of read-only questions, when the turn is elliptical ("and memory?").
6. The terse grammar of read-only questions (:mod:`intents.grammar`), forecasts and health.
7. A message that mentions an action without commanding it ("should I restart payments?",
   "I restarted it already") is routed by its speech act (:mod:`intents.acts`).
8. The free-text classifier (any :class:`intents.ports.TextClassifier`, injected so this package
   never imports scikit-learn), then slot extraction. Its state-changing guesses are never
   acted on.

``parse`` is pure given its clock and does no I/O.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, tzinfo
from typing import Final, overload

from intents import acts, decisions, followup
from intents.analysis import (
    Analysis,
    Span,
    addressed,
    analyse,
    analyse_tokens,
    mocking,
)
from intents.canonical import canonical_command
from intents.commands import (
    POSTING,
    Command,
    about_subscriptions,
    is_channel,
    list_item,
    read_command,
)
from intents.features import view_of
from intents.forecast import forecast_slots, is_forecast
from intents.grammar import is_slot_only, match_terse
from intents.health import is_health
from intents.identity import is_whoami
from intents.lexicon import word_set
from intents.model import (
    INTENT_SLOTS,
    STATE_CHANGING,
    Intent,
    IntentName,
    Mention,
    SlotValue,
    SpeechAct,
    Turn,
)
from intents.nearmiss import first_near_miss, inflected
from intents.ports import TextClassifier, ViewClassifier
from intents.promql import find_promql
from intents.reasons import read_reason
from intents.rejected import rejected_slots
from intents.scope import about_the_bot, concrete, in_scope, is_help_request, off_topic
from intents.sharing import is_share
from intents.slots import extract_slots
from intents.text import PLAIN_NAME, clean, looks_unsafe
from intents.times import Clock
from intents.verbs import Verb, first_verb, verb_at

I = IntentName  # noqa: E741
TERSE_CONFIDENCE: Final = 0.99
CONFIRM_SECONDS: Final = 120
"""How long a "did you mean ...?" waits for its ``yes``."""
_NAME_SLOTS: Final = ("target", "alertname", "request_id", "action", "silence_id", "alert_id")
_NEGATORS: Final = frozenset({"not", "never", "no", "dont", "nobody", "nothing", "longer"})
_CONCRETE_THRESHOLD: Final = 0.1
"""The least probability acted on for a message naming a metric and a system."""
_TARGET_INTENTS: Final = frozenset(
    {I.METRIC_QUERY, I.STATUS, I.HEALTH, I.ALERTS_LIST, I.ANOMALY_QUERY, I.FORECAST, I.SILENCES}
)
KEPT_READINGS: Final = 1024
"""How many context-free readings a parser keeps (see :class:`IntentParser`)."""
KEPT_TEXT_CHARS: Final = 400
"""Longer messages are parsed every time (a pasted log is not worth keeping)."""


@dataclass(frozen=True, slots=True)
class _Found:
    """A reading of the message before the final checks."""

    name: IntentName
    confidence: float
    slots: dict[str, SlotValue]
    act: SpeechAct = SpeechAct.COMMAND
    about: Mention | None = None
    suggestion: str | None = None
    refusal: str | None = None
    rejected: dict[str, str] | None = None
    reason: str | None = None


class IntentParser:
    """Turns one chat message into an :class:`Intent`.

    ``classifier`` ranks intents for free text. The parser answers ``unknown`` when the
    message has no operations vocabulary at all (:mod:`intents.scope`), when the classifier
    gives ``unknown`` at least ``unknown_threshold``, or when the best other intent has less
    than ``threshold``. ``actions`` are the policy's custom action names ("flush-cache"), so
    "flush-cache payments" reads as a command; ``timezone`` is where "yesterday" and "3pm"
    are meant (UTC by default).

    **Kept readings.** Most messages ("what's down?", "cpu of web-1 last 2h") read neither
    the clock nor the conversation: their intent is a function of the text alone (and of
    this parser's settings, fixed at construction, and of its classifier, which ranks a
    text or view the same every time). Each parse watches what it reads (the
    :class:`~intents.times.Clock` notes a read of "now", :class:`_Watched` one of the
    history, telling apart a look at whether there is any history from a look at what it
    holds); a parse that read neither "now" nor any turn is kept, keyed on the exact text and
    on whether there was history, and the next parse of that text with history or without,
    respectively, returns it without parsing. A parse that read either is never kept. The
    last ``kept`` (:data:`KEPT_READINGS`) such readings of texts up to
    :data:`KEPT_TEXT_CHARS` characters are kept; ``kept=0`` keeps none.
    """

    def __init__(
        self,
        classifier: TextClassifier,
        *,
        threshold: float = 0.2,
        unknown_threshold: float = 0.6,
        actions: Collection[str] = (),
        timezone: tzinfo = UTC,
        kept: int = KEPT_READINGS,
    ) -> None:
        self._classifier = classifier
        self._rank_view = (
            classifier.predict_view if isinstance(classifier, ViewClassifier) else None
        )
        self._threshold = threshold
        self._unknown_threshold = unknown_threshold
        self._actions = frozenset(a.lower() for a in actions)
        self._tz = timezone
        self._kept: OrderedDict[tuple[str, bool], Intent] = OrderedDict()
        self._kept_limit = kept
        self._kept_lock = threading.Lock()
        self.kept_hits = 0
        """Parses answered from a kept reading (for benchmarks)."""

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        """The intent of ``text``; ``history`` is the conversation's earlier resolved turns,
        oldest first, used to complete follow-ups; ``now`` (default: the time) resolves
        "yesterday" and whether a "did you mean" is still open."""
        key = (text, bool(history))
        with self._kept_lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                self.kept_hits += 1
        if kept is not None:
            return _fresh(kept)
        clock = Clock(time.time() if now is None else now, self._tz)
        watched = _Watched(history)
        intent = self._parse(text, watched, clock)
        if not (clock.read or watched.looked_inside) and len(text) <= KEPT_TEXT_CHARS:
            self._keep(key, intent)
        return intent

    def _keep(self, key: tuple[str, bool], intent: Intent) -> None:
        if not self._kept_limit:
            return
        with self._kept_lock:
            self._kept[key] = _fresh(intent)
            if len(self._kept) > self._kept_limit:
                self._kept.popitem(last=False)

    def _parse(self, text: str, history: Sequence[Turn], clock: Clock) -> Intent:
        cleaned = clean(text)
        a = analyse(cleaned, clock)
        if not a.tokens:
            return Intent(I.UNKNOWN, 1.0, act=SpeechAct.STATEMENT)
        quoted = self._command_in_code(cleaned, clock)
        if quoted is not None:
            return quoted
        found = (
            _reason(cleaned)
            or self._promql(cleaned)
            or self._confirmation(a, history)
            or _share(a)
            or _off_topic(a)
            or self._command(cleaned, a, history)
            or self._followup(a, history)
            or self._terse(a, history)
            or _mentioned(a, history)
            or self._free_text(cleaned, a)
        )
        if found.name is I.UNKNOWN and found.about is None and found.refusal is None:
            found = self._near_miss(found, a)
        elif found.name is I.PROMQL and "expr" not in found.slots:
            # "promq up": the classifier saw PromQL but no query could be read; a fixed
            # command word that makes one readable is offered back instead.
            guess = self._near_miss(_Found(I.UNKNOWN, found.confidence, {}, found.act), a)
            found = guess if guess.suggestion else found
        return _finish(found, cleaned, a, history)

    def _command_in_code(self, cleaned: str, clock: Clock) -> Intent | None:
        """`restart web-1` in backticks: a state-changing command formatted as code is
        asked back ("did you mean"), never run, and not sent to Prometheus as PromQL."""
        match = _CODE.fullmatch(cleaned)
        if match is None:
            return None
        inner = self._parse(match.group(2), (), clock)
        if inner.name not in STATE_CHANGING or not inner.canonical:
            return None
        about = Mention(inner.name, dict(inner.slots), inner.canonical)
        return Intent(
            I.UNKNOWN, 0.5, act=SpeechAct.COMMAND, about=about, suggestion=inner.canonical
        )

    def _confirmation(self, a: Analysis, history: Sequence[Turn]) -> _Found | None:
        """A bare "yes"/"no", with the "did you mean" it answers when that is still open. A
        change offered back is run only on a firm yes: "ok", "sure" or "ok thanks" asks the
        question again instead (they also mean "heard you")."""
        answer = decisions.read_confirmation(a)
        if answer is None:
            return None
        pending = None
        if history and history[-1].suggestion and a.clock.now - history[-1].at <= CONFIRM_SECONDS:
            pending = history[-1].suggestion
        if answer == "yes" and pending is not None and not decisions.is_firm_yes(a):
            offered = self._parse_plain(pending, a.clock)
            if offered.name in STATE_CHANGING:
                about = _mention(offered.name, offered.slots)
                return _Found(I.UNKNOWN, TERSE_CONFIDENCE, {}, SpeechAct.COMMAND, about, pending)
        return _Found(I.CONFIRM, TERSE_CONFIDENCE, {"answer": answer}, suggestion=pending)

    def _near_miss(self, found: _Found, a: Analysis) -> _Found:
        """Offer "did you mean `history`?" for "histroy" (never act on it)."""
        clock = a.clock

        def understood(text: str) -> bool:
            return self._parse_plain(text, clock).name is not I.UNKNOWN

        fixed = first_near_miss(a, understood)
        if fixed is None or _flips(a, fixed):
            return found
        offered = self._parse_plain(fixed, clock).name
        if offered in STATE_CHANGING and not _may_offer(a, offered):
            return found  # "if someone restarts web-1 ping me": a condition, not a typo
        return replace(found, suggestion=fixed)

    def _parse_plain(self, text: str, clock: Clock) -> _Found:
        """A reading of ``text`` without history or near-miss guessing."""
        cleaned = clean(text)
        a = analyse(cleaned, clock)
        return (
            _reason(cleaned)
            or self._promql(cleaned)
            or _share(a)
            or self._command(cleaned, a, ())
            or self._terse(a, ())
            or _mentioned(a)
            or self._free_text(cleaned, a)
        )

    # ------------------------------------------------------------------ readings

    def _promql(self, cleaned: str) -> _Found | None:
        found = find_promql(cleaned)
        if found is None:
            return None
        slots: dict[str, SlotValue] = {}
        if found.expr:
            slots["expr"] = found.expr
        if found.range is not None:
            slots["range"] = found.range
        rejected = {"range": found.rejected_range} if found.rejected_range else None
        return _Found(I.PROMQL, TERSE_CONFIDENCE, slots, rejected=rejected)

    def _command(self, cleaned: str, a: Analysis, history: Sequence[Turn]) -> _Found | None:
        command = read_command(a, self._actions)
        if command is None:
            return None
        if looks_unsafe(cleaned):
            return _refused(command, "unsafe", SpeechAct.COMMAND, {"words": cleaned})
        slots = _with_referenced_target(command.intent, dict(command.slots), a, history)
        pointed = _pointed(a) if command.intent is I.ALERT_SILENCE else None
        if pointed is not None and "target" not in slots:
            # "silence HighLatency on it" with nothing to point at: without the target it
            # would silence the alert everywhere
            command = replace(command, extra=pointed)
        about = _mention(command.intent, slots)
        canonical = about.canonical if about else None
        if command.hedged:
            return None  # not an order as it stands; read it for what it says instead
        if command.typo:
            return _Found(I.UNKNOWN, 0.5, {}, SpeechAct.COMMAND, about, canonical)
        if command.extra is not None:
            return _refused(command, "extra_words", SpeechAct.COMMAND, _extra(command))
        if command.asked:
            return _Found(I.UNKNOWN, 0.5, {}, SpeechAct.QUESTION, about, canonical)
        if command.unsure is not None:
            # "approve 77 — went fine": asked back with what was unclear, never run
            unsure = {"words": command.unsure}
            return _Found(I.UNKNOWN, 0.5, {}, SpeechAct.COMMAND, about, canonical, None, unsure)
        return _Found(command.intent, TERSE_CONFIDENCE, slots, reason=command.reason)

    def _followup(self, a: Analysis, history: Sequence[Turn]) -> _Found | None:
        if not history:
            return None
        # The words first, the turns only for a message that can be a follow-up: a whole
        # question never looks inside the history (so its reading can be kept).
        repeat = followup.is_repeat(a)
        given: dict[str, SlotValue] = {}
        if not repeat:
            skip = followup.opener_length(a)
            rest = _suffix(a, skip)
            given = followup.new_slots(rest, after_opener=skip > 0)
            if not rest.tokens or not is_slot_only(rest, given):
                return None
            if skip == 0 and followup.is_complete(given):
                return None  # a whole new question: it inherits nothing
        previous = followup.previous_request(history)
        if previous is None:
            return None
        refined: tuple[str, dict[str, SlotValue]] | None = (
            (previous.intent, dict(previous.slots)) if repeat else followup.refine(previous, given)
        )
        if refined is None:
            return None
        name, slots = I(refined[0]), refined[1]
        if name in STATE_CHANGING:
            about = _mention(name, slots)
            guess = about.canonical if about else None
            return _Found(I.UNKNOWN, 0.5, {}, SpeechAct.STATEMENT, about, guess)
        return _Found(name, followup.FOLLOWUP_CONFIDENCE, slots)

    def _terse(self, a: Analysis, history: Sequence[Turn]) -> _Found | None:
        topic = extract_slots("help", a)
        if acts.is_how_to(a) and (topic or about_the_bot(a)):
            return _Found(I.HELP, TERSE_CONFIDENCE, topic, SpeechAct.HOW_TO)
        if is_whoami(a):
            return _Found(I.WHOAMI, TERSE_CONFIDENCE, {})
        if is_forecast(a):
            return _Found(I.FORECAST, TERSE_CONFIDENCE, forecast_slots(a))
        if is_health(a):
            return _Found(I.HEALTH, TERSE_CONFIDENCE, extract_slots("health", a))
        matched = match_terse(a)
        if matched is not None:
            return _Found(I(matched[0]), TERSE_CONFIDENCE, matched[1])
        if not history and is_slot_only(a):
            given = followup.new_slots(a)
            if set(given) == {"target"}:
                return _Found(I.STATUS, 0.6, given)
        return None

    def _free_text(self, cleaned: str, a: Analysis) -> _Found:
        """Ask the classifier; act on its best in-scope intent unless ``unknown`` is likely
        enough (``unknown_threshold``) or that intent is too unsure (``threshold``). A
        state-changing guess is never acted on."""
        if not in_scope(a):
            return _Found(I.UNKNOWN, 1.0, {}, SpeechAct.STATEMENT)
        ranking = (
            self._classifier.predict(cleaned)
            if self._rank_view is None
            else self._rank_view(view_of(a))
        )
        ranked = [(n, p) for n, p in ranking if n in I._value2member_map_]
        p_unknown = next((p for n, p in ranked if n == "unknown"), 0.0)
        best, probability = next(((n, p) for n, p in ranked if n != "unknown"), ("unknown", 0.0))
        name, sure = I(best), concrete(a)
        unsure = probability < (_CONCRETE_THRESHOLD if sure else self._threshold)
        if name is I.UNKNOWN or (p_unknown >= self._unknown_threshold and not sure) or unsure:
            return _Found(I.UNKNOWN, max(p_unknown, 1.0 - probability), {}, _act(a))
        if name is I.HELP and not is_help_request(a):
            return _Found(I.UNKNOWN, 1.0 - probability, {}, _act(a))
        # the classifier's forecasts ("will cache-1 be full by tomorrow") had no slots at all
        slots = forecast_slots(a) if name is I.FORECAST else extract_slots(name.value, a)
        if name in STATE_CHANGING:
            negated = bool(set(a.words) & _NEGATORS)
            complete = _complete(name, slots) and not negated and not followup.opener_length(a)
            about = _mention(name, slots) if complete else None
            offered = about is not None and _may_offer(a, name) and not _a_setting(a, slots)
            guess = about.canonical if about is not None and offered else None
            return _Found(I.UNKNOWN, 1.0 - probability, {}, _act(a), about, guess)
        if name is I.PROMQL:
            found = find_promql(cleaned)
            if found is not None and found.expr:
                slots["expr"] = found.expr
        return _Found(name, probability, slots, _act(a))


# --------------------------------------------------------------------------- readings


_SCALE_WORDS: Final = word_set(
    "scale scaled scaling replicas replica instances instance pods pod nodes workers capacity"
)


def _a_setting(a: Analysis, slots: dict[str, SlotValue]) -> bool:
    """ "set max connections on payments-db to 500", "increase the heap on search to 4": a
    number for some setting, which a guessed scale would give to the replica count."""
    return slots.get("action") == "scale" and not set(a.words) & _SCALE_WORDS


def _may_offer(a: Analysis, name: IntentName) -> bool:
    """Whether the classifier's guess of a change may be offered back ("turn down request
    13" -> "did you mean `deny 13`?"). Not for a question, a report, a habit, a plan for
    later or a joke ("did the restart of web-1 work", "the rollback of orders-svc
    completed", "api-gw restarts every 5 min"): each sounds like the command, and one "yes"
    would run it. A stop or an "un" word only leads to a guess that stops something too
    ("stop request 40" -> deny), and never past an action of another kind ("cancel the
    restart of db-primary", "stop the rollback!", "unsilnce X" -> silence). Nor for a bare
    name ("NodeDown"). Nor a subscription for a message that names another channel."""
    words = {t.lower for t in a.tokens}
    act = _act(a)
    asks = act is SpeechAct.QUESTION and tuple(a.words[:2]) not in _POLITE
    if act not in (SpeechAct.COMMAND, SpeechAct.QUESTION) or asks or len(a.tokens) < 2:
        return False
    if words & _NOT_OFFERED or mocking(a) or followup.opener_length(a) or addressed(a):
        return False  # "same for web-2" after "don't restart web-1" is no new command
    if list_item(a) or decisions.struck_or_done(a):
        return False  # "same for web-2" after "don't restart web-1" is no new command
    if any(s.kind in ("window", "until", "badtime") for s in a.spans):
        return False
    if name in POSTING and (any(map(is_channel, a.tokens)) or not about_subscriptions(a)):
        return False  # "post critical alerts in #ops", "remove the alert", "post updates here"
    if any(_undoing(w) for w in words) and name not in _UNDOES:
        return False
    posting = name in POSTING  # "notify us when web-1 alerts"
    if not posting and (acts.for_later_or_others(a) or any(inflected(w) for w in words)):
        return False  # "if someone restarts web-1 ping me", "restores db-primary"
    if name in (I.APPROVE, I.DENY) and not _decides(a):
        return False  # "18 approvals pending", "alice denied 1032", "access denied 403"
    if name is I.SUBSCRIBE and words & _NOISE:
        return False  # "too many alerts here": a complaint, never a wish for more
    noun = words & _SUBSCRIPTION_NOUNS and a.words[0] not in _MAKE_OR_END
    if name in POSTING and noun:
        return False  # "new subscription: info"; not "end the alert subscription"
    verb = first_verb(list(a.words))
    if verb is not None and _an_event(a, verb):
        return False  # "the restart of web-1 is stuck", "still failing after restart web-1"
    if not words & _STOPPING:
        return True
    # "stop request 40" -> deny; never the action the stop word is about ("hold off on
    # silencing X" is no silence)
    return name in _STOPS and verb is None


def _decides(a: Analysis) -> bool:
    """Whether a guessed approve or deny may be asked for: some word of a decision ("turn
    down request 13", "green light for request 4"), no decision told in the past ("alice
    denied 1032", "access denied 403"), no count ("18 approvals pending", "3 pods ok") and
    no code review ("PR #4521 lgtm")."""
    words = set(a.words)
    if words & _DECIDED or words & _REVIEWS or not words & _DECISION_CUES:
        return False
    return not any(_counts(a, s) for s in a.of_kind("number"))


def _counts(a: Analysis, span: Span) -> bool:
    """ "18 approvals", "3 pods", "2 nodes": a number that counts things, not a request."""
    after = a.word(span.end)
    return after is not None and after.endswith("s") and after not in _NOT_COUNTED


_DECISION_CUES: Final = word_set(
    """
    approve deny reject decline refuse veto accept grant granted allow abort stop proceed
    sign green red light lgtm ok okay go ahead approval yes yep no nope nah turn down do
    """
)
_DECIDED: Final = word_set(
    "approved denied rejected declined refused vetoed needed required pending"
)
_SUBSCRIPTION_NOUNS: Final = word_set("subscription subscriptions subscriber subscribers renewal")
_MAKE_OR_END: Final = word_set(
    "create delete end start stop cancel remove add set make open close drop enable disable turn"
)
_REVIEWS: Final = word_set("pr mr commit commits diff review")
_NOT_COUNTED: Final = word_set("is was has thanks pls please yes its this")
_NOISE: Final = word_set("too many noisy noise spam spammy much loud flood flooding")


def _an_event(a: Analysis, verb: Verb) -> bool:
    """Whether the action is an event talked about: "the restart of web-1 is stuck", "after
    rollback payments errors gone", not one asked for."""
    before = a.word(verb.start - 1)
    return before in _AROUND or (before in _THE and a.word(verb.end) in ("of", "on"))


_THE: Final = word_set("the this that our your my their his her its last previous a an")
_AROUND: Final = word_set("after before since during following post despite")


_NOT_OFFERED: Final = word_set(
    """
    completed complete finished finish done happened fixed worked works went succeeded
    failed broke logged every own nightly usually always automatically itself considering
    thinking think might maybe perhaps possibly guess joke lol lmao haha jk kidding idk
    dunno unsure probably sure sanity thoughts opinion wdyt reckon already pending waiting
    awaiting crazy insane nuts seriously queued scheduled next
    """
)
_STOPPING: Final = word_set(
    """
    cancel cancelled canceled skip skipped hold forget postpone postponed scratch stop
    stopped abort aborted avoid without never not no dont don't call refrain against pause
    paused halt halted retract retracted kill killed shelve shelved scrap scrapped drop
    dropped
    """
)
_STOPS: Final = frozenset({I.DENY, I.UNSUBSCRIBE, I.UNSILENCE, I.ALERT_SILENCE})
_UNDOES: Final = frozenset({I.DENY, I.UNSUBSCRIBE, I.UNSILENCE})
_POLITE: Final = frozenset(
    (ask, who)
    for ask in ("can", "could", "would", "will")
    for who in ("you", "u", "this", "we", "i", "our", "the")
)
"""A request put as a question ("can this room get alerts for web-1"), offered back; "could
a restart of search make things worse" asks something."""


def _flips(a: Analysis, fixed: str) -> bool:
    """Whether a spelling fix drops an "un" ("unack 3" -> "ack 3", "unsilnce X" -> "silence
    X"): the fix would offer the opposite of what was asked."""
    kept = set(fixed.lower().split())
    return any(_undoing(w) and w not in kept for w in a.words)


def _undoing(word: str) -> bool:
    """ "unsilence", "unack", "unsilnce", "disapprove", "dissubscribe": a word that undoes
    something."""
    if word.startswith("dis"):
        return verb_at([word[3:]], 0) is not None
    return word.startswith("un") and len(word) > 3


def _reason(cleaned: str) -> _Found | None:
    """ "reason 12 the pods are stuck": the why of a request, for the audit log."""
    read = read_reason(cleaned)
    if read is None:
        return None
    return _Found(I.REASON, TERSE_CONFIDENCE, {"request_id": read[0], "text": read[1]})


_REQUIRED: Final = {
    I.REMEDIATION: ("action", "target"),
    I.APPROVE: ("request_id",),
    I.DENY: ("request_id",),
    I.REASON: ("request_id", "text"),
    I.UNSILENCE: ("silence_id",),
    I.ACK: ("alert_id",),
}


def _complete(name: IntentName, slots: dict[str, SlotValue]) -> bool:
    """Whether a guessed command says enough to be worth proposing back ("did you mean
    `restart payments`?"); a silence needs an alert or a target."""
    if name is I.ALERT_SILENCE:
        return "alertname" in slots or "target" in slots
    return all(k in slots for k in _REQUIRED.get(name, ()))


def _share(a: Analysis) -> _Found | None:
    """ "share": the asker's last private answer, posted to the channel."""
    return _Found(I.SHARE, TERSE_CONFIDENCE, {}) if is_share(a) else None


def _off_topic(a: Analysis) -> _Found | None:
    return _Found(I.UNKNOWN, TERSE_CONFIDENCE, {}, SpeechAct.STATEMENT) if off_topic(a) else None


def _mentioned(a: Analysis, history: Sequence[Turn] = ()) -> _Found | None:
    """A message that talks about an action without ordering it, read by its speech act."""
    verb = first_verb([t.lower for t in a.tokens]) or first_verb(list(a.words))
    if verb is None or not acts.talks_about(a, verb):
        return None
    routed = acts.route(a, verb, _referenced(a, history))
    refusal = "negated" if routed.act is SpeechAct.NEGATION else None
    return _Found(
        routed.intent,
        TERSE_CONFIDENCE,
        routed.slots,
        routed.act,
        routed.about,
        routed.suggestion,
        refusal,
    )


def _refused(command: Command, reason: str, act: SpeechAct, rejected: dict[str, str]) -> _Found:
    about = _mention(command.intent, command.slots)
    return _Found(I.UNKNOWN, TERSE_CONFIDENCE, {}, act, about, None, reason, rejected)


_LENGTH_WORDS: Final = frozenset({"for", "until", "till", "til"})


def _extra(command: Command) -> dict[str, str]:
    """What a command could not hold; for a silence, "for 10 years" is its unreadable
    length (reported as ``duration``, so the answer can say how long a silence may be)."""
    words = command.extra or ""
    first, _, rest = words.partition(" ")
    if command.intent is I.ALERT_SILENCE and words.lower().removesuffix(" please") in _ENDLESS:
        return {"duration": words}
    timed = "duration" in command.slots  # "for 2h until 5pm": the second length is extra
    if command.intent is I.ALERT_SILENCE and first.lower() in _LENGTH_WORDS and rest and not timed:
        return {"duration": rest}
    if command.relative:
        return {"replicas": words}  # "by 2", "2 more replicas": a change, not a count
    return {"words": words}


_CODE: Final = re.compile(r"\s*(`{1,3})([^`]+)\1\s*")
"""A whole message formatted as code."""
_ENDLESS: Final = frozenset({"forever", "indefinitely", "permanently", "for good"})


def _mention(name: IntentName, slots: dict[str, SlotValue]) -> Mention | None:
    canonical = canonical_command(name.value, slots)
    return Mention(name, dict(slots), canonical) if canonical else None


def _act(a: Analysis) -> SpeechAct:
    return SpeechAct.QUESTION if acts.is_question(a) else SpeechAct.COMMAND


def _suffix(a: Analysis, skip: int) -> Analysis:
    if skip == 0:
        return a
    rest = a.tokens[skip:]
    return analyse_tokens(" ".join(t.raw for t in rest), rest, a.clock)


def _with_referenced_target(
    name: IntentName, slots: dict[str, SlotValue], a: Analysis, history: Sequence[Turn]
) -> dict[str, SlotValue]:
    """Fill a missing target from the conversation when the user points at it ("restart
    it", "any alerts there?")."""
    wants = name in _TARGET_INTENTS or name is I.REMEDIATION
    silence = name is I.ALERT_SILENCE
    wants = wants or (silence and ("alertname" not in slots or _pointed(a) is not None))
    if not wants or "target" in slots or "targets" in slots:
        return slots
    if name is I.REMEDIATION and set(a.words) & _PLURAL:
        return slots  # "restart them" names several; one remembered target is not them
    target = _referenced(a, history)
    return slots if target is None else {**slots, "target": target}


def _pointed(a: Analysis) -> str | None:
    """ "on it", "for that", "there": a silence's target given by pointing ("silence
    HighLatency on it for 2h"), as written."""
    for i, word in enumerate(a.words):
        if word == "there" or (word in followup.PRONOUNS and a.word(i - 1) in ("on", "for")):
            start = i if word == "there" else i - 1
            return " ".join(t.raw for t in a.tokens[start : i + 1])
    return None


def _referenced(a: Analysis, history: Sequence[Turn]) -> str | None:
    """The target "it"/"there"/"them" points at: the most recent turn's single target. A
    more recent turn about several ("cpu of web-1 and web-2", then "restart it") leaves it
    unknown: it never reaches back past them to an older one."""
    if not history or not any(w in followup.PRONOUNS for w in a.words):
        return None
    for turn in reversed(history):
        target = turn.slots.get("target")
        if isinstance(target, str):
            return target
        if turn.slots.get("targets"):
            return None
    return None


_PLURAL: Final = word_set("them those these both")


class _Watched(Sequence[Turn]):
    """The history as one parse sees it, noting what the parse looked at: ``bool()`` (is
    there any history?) only sets :attr:`looked`; anything else (its length, a turn, an
    iteration) sets :attr:`looked_inside`."""

    __slots__ = ("_turns", "looked", "looked_inside")

    def __init__(self, turns: Sequence[Turn]) -> None:
        self._turns = turns
        self.looked = False
        self.looked_inside = False

    def __bool__(self) -> bool:
        self.looked = True
        return bool(self._turns)

    def __len__(self) -> int:
        self.looked_inside = True
        return len(self._turns)

    @overload
    def __getitem__(self, index: int) -> Turn: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Turn]: ...

    def __getitem__(self, index: int | slice) -> Turn | Sequence[Turn]:
        self.looked_inside = True
        return self._turns[index]

    def __iter__(self) -> Iterator[Turn]:
        self.looked_inside = True
        return iter(self._turns)

    def __reversed__(self) -> Iterator[Turn]:
        self.looked_inside = True
        return reversed(self._turns)


def _fresh(intent: Intent) -> Intent:
    """A kept reading with mappings of its own (a caller that changed one would otherwise
    change every later answer)."""
    # Field by field: dataclasses.replace looks the fields up again on every call, and this
    # runs on every parse that is kept.
    return Intent(
        name=intent.name,
        confidence=intent.confidence,
        slots=dict(intent.slots),
        canonical=intent.canonical,
        rejected=dict(intent.rejected),
        act=intent.act,
        about=intent.about,
        suggestion=intent.suggestion,
        refusal=intent.refusal,
        reason=intent.reason,
    )


_ONESELF: Final = frozenset({"me", "myself"})


def _finish(found: _Found, cleaned: str, a: Analysis, history: Sequence[Turn]) -> Intent:
    """Keep only the slots the intent takes (names only ever plain names), add the canonical
    command and what could not be read."""
    slots = found.slots
    if found.name in _TARGET_INTENTS:
        slots = _with_referenced_target(found.name, slots, a, history)
    safe = {
        k: slots[k]
        for k in INTENT_SLOTS[found.name]
        if k in slots and (k not in _NAME_SLOTS or PLAIN_NAME.fullmatch(str(slots[k])))
    }
    rejected = found.rejected or rejected_slots(found.name.value, safe, a)
    if found.name in POSTING and set(a.words) & _ONESELF:
        # "unsubscribe me": posts go to a channel, so in a team channel this would change
        # them for everyone; the handler asks unless it is said in a direct message
        rejected = {**rejected, "for": "me"}
    act = found.act
    if act is SpeechAct.COMMAND and found.name not in STATE_CHANGING and acts.is_question(a):
        act = SpeechAct.QUESTION
    return Intent(
        found.name,
        min(1.0, max(0.0, float(found.confidence))),
        safe,
        canonical_command(found.name.value, safe),
        rejected,
        act,
        found.about,
        found.suggestion,
        found.refusal,
        found.reason if found.name is I.REMEDIATION else None,
    )
