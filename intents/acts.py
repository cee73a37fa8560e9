"""Speech acts: what a message that mentions an action does with it, when it is not a clean
command. "should I restart payments?" asks, "what happens if I restart X" wonders, "don't
restart X" forbids, "I restarted payments already" reports, "how do I restart a service"
asks for instructions, "payments needs a restart" states a need.

:func:`speech_act` classifies; :func:`route` turns the act into a safe intent: a question
about an action is answered with the target's health (or its silences, subscriptions or
audit history), a how-to with help, a need with a "did you mean" to confirm, and anything
else with nothing changed. None of them is ever state-changing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from intents import lexicon
from intents.analysis import Analysis, addressed, mocking
from intents.canonical import canonical_command
from intents.lexicon import word_set
from intents.model import IntentName, Mention, SlotValue, SpeechAct
from intents.slots import extract_slots
from intents.verbs import NOUN, PAST, Verb

I = IntentName  # noqa: E741

_HOW_TO: Final = re.compile(
    r"^(?:(?:so|and|but|ok|okay|hey|hi) )*(?:how (?:do|can|could|should|would|might|does|to)\b"
    r"|(?:show|tell|teach) (?:me|us) how\b|explain how\b|what is the (?:syntax|command|way)\b"
    r"|where do i\b|is there a way to\b)"
    r"|\b(?:docs?|documentation|manual|tutorial|instructions|explain|syntax)\b"
)
_HYPOTHETICAL: Final = re.compile(
    r"\b(?:what (?:happens|would happen|will happen|happened) (?:if|when)|what if|should (?:i|we)"
    r"|shall (?:i|we)|is it (?:safe|ok|okay|wise|fine|a good idea|risky|smart|worth)"
    r"|would it|would that|will it|could it|do you think|do (?:i|we) (?:need|have) to"
    r"|does (?:it|this) need|if (?:i|we|you|someone)|suppose|supposing|imagine|hypothetically"
    r"|thinking (?:about|of)|planning (?:to|on)|going to|about to|wondering|wonder"
    r"|recommend|advise|worth|would (?:restarting|a restart|rolling|scaling|silencing)"
    r"|ought to|is it time to|any reason (?:to|not)|pros and cons|risk of|safe to)\b"
)
_NEED: Final = re.compile(
    r"\b(?:needs?|need to|want to|wants to|would like to|have to|has to|got to|gotta|must"
    r"|time to|let me|i will|we will|i am going|we should|(?:can|could) (?:we|i) get"
    r"|(?:get|have) (?:\S+ ){1,3}(?:restarted|rebooted|bounced|scaled|rolled|reverted"
    r"|silenced|muted))\b"
)
_NEGATORS: Final = word_set("not never no dont without avoid stop quit cancel hold")
_QUESTION_OPENERS: Final = word_set(
    """
    is are was were am do does did can could may might will would shall should has have had
    what when where which who whom whose why how any anything anyone anybody
    """
)
_DETERMINERS: Final = word_set("the a an that this my your our his her their its")
_PREPOSITIONS: Final = word_set("since after before during about on with of")
_PAST_OPENERS: Final = word_set("did was were has have had who when which")
_REPORT_NOUN_VERBS: Final = word_set(
    """
    went was is worked failed succeeded completed finished done looks looked seems seemed
    fixed helped did took has have
    """
)


@dataclass(frozen=True, slots=True)
class Routed:
    """The safe reading of a message that mentions an action without commanding it."""

    intent: IntentName
    slots: dict[str, SlotValue]
    act: SpeechAct
    about: Mention | None
    suggestion: str | None = None


def speech_act(a: Analysis, verb: Verb) -> SpeechAct:
    """What the message does with the action at ``verb``."""
    text = " ".join(a.words)
    if is_how_to(a):
        return SpeechAct.HOW_TO
    if _negated(a, verb):
        return SpeechAct.NEGATION
    if _HYPOTHETICAL.search(text):
        return SpeechAct.HYPOTHETICAL
    if _states_need(a):
        return SpeechAct.STATEMENT
    if is_question(a):
        return SpeechAct.QUESTION
    if _reports(a, verb):
        return SpeechAct.REPORT
    return SpeechAct.STATEMENT


def talks_about(a: Analysis, verb: Verb) -> bool:
    """Whether the verb is about doing the action (not a noun in passing, "since the
    restart"): any verb form, or a noun that reports ("the restart went fine") or is
    wished for ("payments needs a restart")."""
    if verb.form != NOUN and a.word(verb.start - 1) not in _DETERMINERS:
        return a.word(verb.start - 1) not in _PREPOSITIONS
    return a.word(verb.end) in _REPORT_NOUN_VERBS or _states_need(a)


def route(a: Analysis, verb: Verb, referenced: str | None = None) -> Routed:
    """The safe intent for a message that mentions ``verb`` but is not a command;
    ``referenced`` is the target "it" points at in the conversation, if any."""
    act = speech_act(a, verb)
    slots = extract_slots(verb.intent.value, a)
    if referenced is not None and "target" not in slots and "alertname" not in slots:
        slots["target"] = referenced
    if verb.intent is I.REMEDIATION and verb.action is not None:
        slots["action"] = verb.action
    canonical = canonical_command(verb.intent.value, slots)
    about = Mention(verb.intent, slots, canonical) if canonical else None
    if set(a.words) & lexicon.LAUGHS or mocking(a) or addressed(a):
        return Routed(I.UNKNOWN, {}, SpeechAct.STATEMENT, about)  # "reboot my brain lol"
    if act is SpeechAct.HOW_TO:
        return Routed(I.HELP, extract_slots("help", a), act, about)
    if act in (SpeechAct.QUESTION, SpeechAct.HYPOTHETICAL):
        return _question(a, verb, slots, act, about)
    decision = verb.intent in (I.APPROVE, I.DENY)  # "we need 2 approvals", "priya needs to
    # approve 4521": a decision is wanted of someone; the one who can give it just says it
    if (
        act is SpeechAct.STATEMENT
        and _states_need(a, verb)
        and not _joking_or_against(a)
        and not decision
    ):
        return Routed(I.UNKNOWN, {}, act, about, suggestion=canonical)
    return Routed(I.UNKNOWN, {}, act, about)


def _question(
    a: Analysis, verb: Verb, slots: dict[str, SlotValue], act: SpeechAct, about: Mention | None
) -> Routed:
    """A question about an action gets the answer that helps decide it."""
    target = {k: v for k, v in slots.items() if k == "target"}
    family = verb.intent
    if family in (I.ALERT_SILENCE, I.UNSILENCE):
        named = {k: v for k, v in slots.items() if k in ("target", "alertname")}
        return Routed(I.SILENCES, named, act, about)
    if family in (I.SUBSCRIBE, I.UNSUBSCRIBE):
        return Routed(I.SUBSCRIPTIONS, {}, act, about)
    if family is I.ACK:
        return Routed(I.ALERTS_LIST, target, act, about)
    if _about_the_past(a, verb):
        history = {k: v for k, v in slots.items() if k in ("target", "action")}
        return Routed(I.HISTORY, {**history, **_window(a)}, act, about)
    if family is I.REMEDIATION and target:
        return Routed(I.HEALTH, target, act, about)
    topic = "remediation" if family is I.REMEDIATION else "approvals"
    return Routed(I.HELP, {"topic": topic}, act, about)


def _window(a: Analysis) -> dict[str, SlotValue]:
    span = a.first("window")
    duration = a.first("duration")
    if span is not None and span.time is not None and span.time.begin is not None:
        out: dict[str, SlotValue] = {"start": span.time.begin}
        if span.time.finish is not None:
            out["end"] = span.time.finish
        return out
    return {"range": duration.value} if duration is not None else {}


def _negated(a: Analysis, verb: Verb) -> bool:
    before = a.words[max(0, verb.start - 4) : verb.start]
    if any(w in _NEGATORS for w in before):
        return True
    return verb.start == 0 and a.word(verb.end) == "not"


def is_how_to(a: Analysis) -> bool:
    """ "how do I ask for a forecast", "any docs on silencing?": a request for help. An
    adverb keeps its "-ly" here: "I restarted web-1 manually" asks for no manual."""
    words = (t.lower if t.lower == f"{t.norm}ly" else t.norm for t in a.tokens)
    return _HOW_TO.search(" ".join(words)) is not None


def is_question(a: Analysis) -> bool:
    return any(t.stop == "?" for t in a.tokens) or a.words[0] in _QUESTION_OPENERS


def _about_the_past(a: Analysis, verb: Verb) -> bool:
    """ "who restarted payments", "did anyone roll back search", "when was web-1 rebooted",
    "has payments been restarted today"."""
    return verb.form == PAST or a.words[0] in _PAST_OPENERS


def _reports(a: Analysis, verb: Verb) -> bool:
    """ "I restarted payments already", "restarted payments, all good", "the restart went
    fine", "payments was rolled back"."""
    if verb.form == PAST:
        return True
    noun = verb.form == NOUN or a.word(verb.start - 1) in _DETERMINERS
    return noun and a.word(verb.end) in _REPORT_NOUN_VERBS


def _joking_or_against(a: Analysis) -> bool:
    """ "not a good time to restart X", "X needs a restart like I need coffee", "lol": a
    need said against the action, in jest, as a question or for later is offered nothing
    to say yes to."""
    words = set(a.words)
    jest = words & _JEST or _LIKE_I_NEED.search(" ".join(a.words)) is not None
    asks = a.words[0] in _ASKING  # "does restart web-1 need approval"
    timed = any(s.kind in ("window", "until") for s in a.spans)  # "... tonight": not now
    against = words & _NEGATORS or mocking(a)
    waits = words & _WAITS_FOR  # "if it keeps flapping we will have to restart web-1"
    others = words & _OTHERS  # "bob wants to restart web-1", "someone needs to approve 42"
    return bool(against or jest or asks or timed or waits or others)


def for_later_or_others(a: Analysis) -> bool:
    """Whether ``a`` waits for something or speaks of someone else's part ("if someone
    restarts web-1 ping me", "alice thinks we need to roll back")."""
    return bool(set(a.words) & (_WAITS_FOR | _OTHERS - _THINGS))


_WAITS_FOR: Final = word_set(
    """
    if unless once after before when whenever until case eventually someday might may point
    during eod eow later tonight tomorrow probably idk dunno maybe perhaps next bit soon
    window shelve scrap
    """
)
"""A need that waits for something, or may never come ("in case it gets worse", "might
need to", "at some point"): nothing to say yes to now."""
_OTHERS: Final = word_set(
    """
    someone somebody anyone anybody he she they bob alice vendor runbook says said wants
    thinks reckon reckons suggests suggested believes recommends recommended asked mentioned
    proposed proposes handling ask
    """
)
"""Someone else's need ("bob wants to restart web-1", "someone needs to approve 42", "the
runbook says ..."): said about the action, not asking the bot for it."""


_THINGS: Final = word_set("runbook vendor")
"""Of :data:`_OTHERS`, the ones that name an action's own source ("apply the hotfix
runbook"): only with what they say or want are they someone else's need."""
_ASKING: Final = word_set(
    "is are was were do does did has have had what when where which who why how"
)
_JEST: Final = lexicon.LAUGHS | word_set("guess joke joking brain coffee")
_LIKE_I_NEED: Final = re.compile(r"\blike (?:i|we|you) (?:need|want)\b")


def _states_need(a: Analysis, verb: Verb | None = None) -> bool:
    """ "payments needs a restart", "I need to restart payments", "time to roll back": a
    wish for an action, worth a "did you mean" but never acted on as it stands. The wish
    comes before the action; one after it is for something else ("you restart web-1, i'll
    watch the graphs", "a bounce of auth-svc? let me check grafana first")."""
    text = " ".join(a.words)
    found = _NEED.search(text)
    if found is None or verb is None:
        return found is not None
    return text[: found.start()].count(" ") <= verb.start
