"""State-changing commands come only from the command grammar: exact imperatives act; typos,
trailing question marks, hedges, negations, reports and questions never do.

The parser here has a classifier that always says ``remediation`` with certainty, the worst
case: if a state-changing intent could come from the classifier alone, these tests would see
it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from intents.model import STATE_CHANGING, IntentName, SlotValue, SpeechAct, Turn
from intents.parser import CONFIRM_SECONDS, IntentParser

NOW = 1_768_404_600.0  # 2026-01-14 15:30 UTC, a Wednesday


class Insistent:
    """A classifier sure that everything is a remediation (or whatever it is told)."""

    def __init__(self, name: str = "remediation") -> None:
        self.name = name

    def predict(self, text: str) -> Sequence[tuple[str, float]]:
        return [(self.name, 0.97), ("unknown", 0.03)]


@pytest.fixture
def parser() -> IntentParser:
    return IntentParser(Insistent(), actions=("flush-cache",))


def shape(parser: IntentParser, text: str) -> tuple[str, dict[str, SlotValue]]:
    intent = parser.parse(text, now=NOW)
    return intent.name.value, dict(intent.slots)


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("restart payments", "remediation", {"action": "restart", "target": "payments"}),
        ("please restart payments, it's stuck", "remediation",
         {"action": "restart", "target": "payments"}),
        ("can you restart payments?", "remediation", {"action": "restart", "target": "payments"}),
        ("web-1 is hung, reboot it", "remediation", {"action": "restart", "target": "web-1"}),
        ("scale search to 3", "remediation",
         {"action": "scale", "target": "search", "replicas": 3}),
        ("bring checkout-api up to 6 replicas", "remediation",
         {"action": "scale", "target": "checkout-api", "replicas": 6}),
        ("roll back search-api please, the new build is broken", "remediation",
         {"action": "rollback", "target": "search-api"}),
        ("roll payments back", "remediation", {"action": "rollback", "target": "payments"}),
        ("run runbook flush-cache on payments", "remediation",
         {"action": "flush-cache", "target": "payments"}),
        ("flush-cache payments", "remediation", {"action": "flush-cache", "target": "payments"}),
        ("silence NodeDown for 45m", "alert_silence", {"alertname": "NodeDown", "duration": 2700}),
        ("mute alerts on lb-1 for 3 hrs, we're patching", "alert_silence",
         {"target": "lb-1", "duration": 10800}),
        ("unsilence 3f2a9c1e", "unsilence", {"silence_id": "3f2a9c1e"}),
        ("unsilence #3F2A", "unsilence", {"silence_id": "3F2A"}),
        ("expire silence 3f2a9c1e-11aa-4bb2", "unsilence", {"silence_id": "3f2a9c1e-11aa-4bb2"}),
        ("unmute HighLatency", "unsilence", {"alertname": "HighLatency"}),
        ("remove the silence on web-1", "unsilence", {"target": "web-1"}),
        ("ack 3f2a9c1e", "ack", {"alert_id": "3f2a9c1e"}),
        ("acknowledge alert group 3f2a", "ack", {"alert_id": "3f2a"}),
        ("ack KubePodCrashLooping", "ack", {"alert_id": "KubePodCrashLooping"}),
        ("subscribe critical", "subscribe", {"severity": "critical"}),
        ("send critical alerts for payments to this channel", "subscribe",
         {"severity": "critical", "target": "payments"}),
        ("stop posting alerts here", "unsubscribe", {}),
        ("unsubscribe from critical alerts", "unsubscribe", {"severity": "critical"}),
        ("approve 12", "approve", {"request_id": "12"}),
        ("yes, approve request #31", "approve", {"request_id": "31"}),
        ("yes 42", "approve", {"request_id": "42"}),
        ("request 61 approved", "approve", {"request_id": "61"}),
        ("deny #9", "deny", {"request_id": "9"}),
    ],
)  # fmt: skip
def test_explicit_commands_act(
    parser: IntentParser, text: str, intent: str, slots: dict[str, SlotValue]
) -> None:
    """An exact imperative (politely asked or with a reason) is the command it says."""
    assert shape(parser, text) == (intent, slots)
    assert parser.parse(text, now=NOW).act is SpeechAct.COMMAND


SAFE = [
    # the command called a mistake, or labelled as done
    "restart web-1 - bad idea",
    "restart web-1: terrible idea",
    "restart web-1, that would be a big mistake",
    "approve 12 - bad idea",
    "approve 12, that would be a mistake",
    "DONE: restart web-1",
    # nothing named: "shut up" silenced a target called "shut", "ack it" an alert group
    # called "it", "expire all silences" a silence called "all"
    "ack it",
    "ack all",
    "unsilence it",
    "expire all silences",
    # two request numbers: the second used to be dropped and the first decided
    "approve 12 13",
    "deny #12 #13",
    "fixed: roll back payments",
    # the words that give a denial its reason take an approval back; "not yet" after a
    # denial may be a change of mind
    "approve 12, too risky",
    "approve 12, not safe",
    "approve 12, risky",
    "deny 12, not yet",
    "deny 12, too risky? maybe",
    "any silences on web-1?",
    "show silences on web-1",
    "should I restart payments?",
    "what happens if I restart checkout-api",
    "I restarted payments already",
    "is it safe to restart checkout-api",
    "restrat payments",
    "silense HighLatency for 2h",
    "restart payments?",
    "don't restart web-1",
    "never scale search to 3",
    "do not silence NodeDown",
    "don't approve 12",
    "request 77 is not approved",
    "who restarted payments today?",
    "did you restart payments?",
    "when was checkout-api rebooted",
    "the restart went fine",
    "payments needs a restart",
    "restart payments, or should we wait?",
    "restart payments later",
    "maybe restart payments",
    "restart web-1 and web-2",
    "restart payments in prod",
    "how do I silence an alert?",
    "silences are annoying",
    "can I restart payments?",
    "we should roll back search",
    "was HighLatency acknowledged?",
    "are we subscribed to critical alerts?",
    "restart foo; rm -rf /",
    "flush cache for checkout-api",
    "ack, thanks",
    "unsilence",
    "restart payments, checkout-api",
    "deny 14, 15",
    "apporve 12",
    "if it gets worse restart payments",
    "thinking about scaling search to 5",
]


@pytest.mark.parametrize("text", SAFE)
def test_questions_reports_negations_and_typos_never_change_anything(
    parser: IntentParser, text: str
) -> None:
    """Nothing state-changing comes out, even with a classifier sure it is a command."""
    assert parser.parse(text, now=NOW).name not in STATE_CHANGING


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("restrat payments", "restart payments"),
        ("silense HighLatency for 2h", "silence HighLatency for 2h"),
        ("restart payments?", "restart payments"),
        ("payments needs a restart", "restart payments"),
        ("flush cache for checkout-api", "run flush-cache on checkout-api"),
    ],
)
def test_near_misses_become_a_question_with_the_command(
    parser: IntentParser, text: str, suggestion: str
) -> None:
    """A typo of the verb (or an unsure command) is asked back, with the exact command."""
    intent = parser.parse(text, now=NOW)
    assert (intent.name, intent.suggestion) == (IntentName.UNKNOWN, suggestion)


@pytest.mark.parametrize(
    ("text", "intent", "act", "about"),
    [
        ("should I restart payments?", "health", "hypothetical", "restart payments"),
        ("is it safe to restart checkout-api", "health", "hypothetical", "restart checkout-api"),
        ("can I restart payments?", "health", "question", "restart payments"),
        ("who restarted payments today?", "history", "question", "restart payments"),
        ("I restarted payments already", "unknown", "report", "restart payments"),
        ("the restart went fine", "unknown", "report", "restart"),
        # "manually" is read as "manual" elsewhere; it is not a request for the manual
        ("I restarted web-1 manually", "unknown", "report", "restart web-1"),
        ("I'm restarting web-1 manually", "unknown", "statement", "restart web-1"),
        ("don't restart web-1", "unknown", "negation", "restart web-1"),
        ("is HighLatency silenced?", "silences", "question", "silence HighLatency"),
    ],
)
def test_talk_about_an_action_gets_a_useful_safe_reading(
    parser: IntentParser, text: str, intent: str, act: str, about: str
) -> None:
    """Questions get the target's health, history or silences; the action is named."""
    found = parser.parse(text, now=NOW)
    assert (found.name.value, found.act.value) == (intent, act)
    assert found.about is not None
    assert found.about.canonical == about


FRAMED = [
    # a condition or an event to wait for, before or after the command
    "when db-primary is down, restart it",
    "whenever payments hangs, restart payments",
    "in case payments hangs, restart payments",
    "every time it hangs, restart payments",
    "once the deploy finishes, rollback payments",
    "after the deploy, silence NodeDown for 1h",
    "restart web-1 once the backup is done",
    # a time to do it at: the bot acts now or not at all
    "restart web-1 tomorrow",
    "tomorrow, restart web-1",
    "restart payments at 3am",
    "after 5pm, scale checkout-api to 2",
    "restart web-1 tonight",
    # a label or quotes: the command is talked about, not given
    "idea: restart web-1",
    "note to self: restart web-1",
    "per bob: rollback payments",
    'docs: "scale checkout-api to 3"',
    '"restart it" is always the answer huh',
    "'restart payments' fixes nothing",
    '"approve 12"',
    # a decision told, not made
    "I approved 12",
    "we denied 12 already",
    "someone rejected 4",
    "I just approved 12",
    "'approve 12'",
    # a change of the replica count, not the count
    "scale checkout-api by 2",
    "scale checkout-api up by 2",
    "add 2 replicas to checkout-api",
    "reduce payments by 1",
    "give checkout-api 2 more replicas",
    "scale checkout-api up 3 replicas",
    "scale checkout-api down 1",
    # a quoting label
    "alice said: restart web-1",
]

REASONED = [
    # a mistake named in a reason is something else's
    "roll back payments, the deploy was a mistake",
    "roll back payments, deploying on friday was a bad idea",
    "restart web-1, it made a mistake in the config",
    "deny 12 - bad idea",
    # a denial's reason agrees with it
    "deny 12, too risky",
    "deny 12: too early",
    "deny #12 - not safe",
    "roll back checkout-api, it broke after the deploy",
    "restart web-1 because it crashed after the deploy",
    "restart web-1, it leaks memory every night",
    "ack 12, fires every night",
    "silence HighCPU for 2h, it fires every time the backup runs",
    "approve 12, needed before the release",
    "web-1 has been down since 2am, restart it",
    "errors spiked at 3am, roll back payments",
    'restart web-1, the logs say "connection refused"',
    "restart web-1 'cause the pods' memory is full",
    'approve 12, lgtm "ship it"',
    "urgent: restart web-1",
    "prod: restart web-1",
    "increase checkout-api from 3 to 5",
    "roll back payments to the build from yesterday",
]


@pytest.mark.parametrize("text", REASONED)
def test_a_reason_quote_or_time_around_a_plain_command_does_not_stop_it(
    parser: IntentParser, text: str
) -> None:
    """The framing rules read conditions, times, labels and quotes only where they frame the
    command: in a reason after it, in quotes without its verb, or naming a version, a
    purpose or the size, they leave an order an order (a review found each of these
    refused by the first version of the rules)."""
    assert parser.parse(text, now=NOW).name in STATE_CHANGING


@pytest.mark.parametrize("text", FRAMED)
def test_conditions_times_labels_quotes_told_decisions_and_changes_never_act(
    parser: IntentParser, text: str
) -> None:
    """A command framed by a condition, a later time, a label or quotes, someone's past
    decision, and "by N" of a scale are never run as they stand."""
    assert parser.parse(text, now=NOW).name not in STATE_CHANGING


@pytest.mark.parametrize(
    ("text", "name", "slots"),
    [
        ("request 61 approved", "approve", {"request_id": "61"}),
        ("I approve #5", "approve", {"request_id": "5"}),
        ("scale checkout-api to 3", "remediation",
         {"action": "scale", "target": "checkout-api", "replicas": 3}),
        ("increase checkout-api to 5 replicas", "remediation",
         {"action": "scale", "target": "checkout-api", "replicas": 5}),
        ("silence NodeDown for 2h", "alert_silence", {"alertname": "NodeDown", "duration": 7200}),
        ("please restart payments now, it is stuck", "remediation",
         {"action": "restart", "target": "payments"}),
        ("approved #8", "approve", {"request_id": "8"}),
        ("i'm rejecting 27", "deny", {"request_id": "27"}),
        ("roll back search to yesterday's build", "remediation",
         {"action": "rollback", "target": "search"}),
        ("scale payments up to 8, black friday traffic", "remediation",
         {"action": "scale", "target": "payments", "replicas": 8}),
    ],
)  # fmt: skip
def test_the_same_commands_given_plainly_still_act(
    parser: IntentParser, text: str, name: str, slots: dict[str, SlotValue]
) -> None:
    """The framing rules above take nothing from plain orders and rulings ("approved #8"),
    a time naming a version, or a time in a reason after the command."""
    assert shape(parser, text) == (name, slots)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [("`restart web-1`", "restart web-1"), ("```approve 12```", "approve 12"),
     ("`silence NodeDown for 2h`", "silence NodeDown for 2h")],
)  # fmt: skip
def test_a_command_formatted_as_code_is_asked_back(
    parser: IntentParser, text: str, suggestion: str
) -> None:
    """A state-changing command in backticks is asked about (it used to go to Prometheus as
    PromQL); PromQL in backticks is still PromQL."""
    got = parser.parse(text, now=NOW)
    assert (got.name, got.suggestion) == (IntentName.UNKNOWN, suggestion)
    promql = IntentParser(Insistent("promql")).parse("`up`", now=NOW)
    assert (promql.name, dict(promql.slots)) == (IntentName.PROMQL, {"expr": "up"})


def test_shut_up_names_nothing_to_silence(parser: IntentParser) -> None:
    """ "shut up" is a silence of nothing (refused: "That would silence every alert"), not a
    silence of a target called "shut"; "shut up web-1" still names web-1."""
    assert parser.parse("shut up", now=NOW).slots == {}
    assert parser.parse("shut up web-1", now=NOW).slots == {"target": "web-1"}


def test_a_relative_scale_is_refused_with_what_it_said(parser: IntentParser) -> None:
    """ "scale checkout-api by 2" is refused (the bot would have to guess the current count),
    naming the scale it heard and the words it could not take."""
    got = parser.parse("scale checkout-api by 2", now=NOW)
    assert (got.name, got.refusal) == (IntentName.UNKNOWN, "extra_words")
    assert got.about is not None
    assert got.about.canonical == "scale checkout-api"
    assert got.rejected == {"replicas": "by 2"}


def test_refusals_say_why() -> None:
    """Shell syntax and words beyond one command are refused with the reason and the words."""
    parser = IntentParser(Insistent())
    unsafe = parser.parse("restart foo; rm -rf /", now=NOW)
    extra = parser.parse("restart web-1 and web-2", now=NOW)
    assert (unsafe.refusal, extra.refusal) == ("unsafe", "extra_words")
    assert extra.rejected == {"words": "and web-2"}


def test_yes_confirms_only_the_turn_right_before_within_two_minutes(parser: IntentParser) -> None:
    """ "yes" carries the pending command; after two minutes or another turn it carries none."""
    typo = parser.parse("restrat payments", now=NOW)
    pending = Turn(typo.name.value, typo.slots, NOW, typo.suggestion)
    fresh = parser.parse("yes", [pending], now=NOW + 30)
    late = parser.parse("yes", [pending], now=NOW + CONFIRM_SECONDS + 1)
    later = parser.parse("yes", [pending, Turn("status", {}, NOW + 5)], now=NOW + 10)
    assert (fresh.name, fresh.slots, fresh.suggestion) == (
        IntentName.CONFIRM,
        {"answer": "yes"},
        "restart payments",
    )
    assert late.suggestion is None
    assert later.suggestion is None


def test_an_answered_did_you_mean_is_closed_for_good(parser: IntentParser) -> None:
    """ "no" (or "yes") answers the question before it: the turn it leaves carries no open
    question, so a later "yes" confirms nothing; "yes?" is not an answer at all."""
    typo = parser.parse("restrat payments", now=NOW)
    no = parser.parse("no", [Turn.of(typo, NOW)], now=NOW + 5)
    assert (no.name, no.suggestion) == (IntentName.CONFIRM, "restart payments")
    history = [Turn.of(typo, NOW), Turn.of(no, NOW + 5)]
    yes = parser.parse("yes", history, now=NOW + 10)
    assert (yes.name, yes.suggestion) == (IntentName.CONFIRM, None)
    asked = parser.parse("yes?", [Turn.of(typo, NOW)], now=NOW + 5)
    assert asked.name is not IntentName.CONFIRM


def test_a_state_changing_follow_up_is_only_suggested(parser: IntentParser) -> None:
    """ "make it 2h" after a silence proposes a new silence; it does not make one."""
    first = parser.parse("silence NodeDown for 45m", now=NOW)
    history = [Turn(first.name.value, first.slots, NOW)]
    again = parser.parse("make it 2h", history, now=NOW + 5)
    assert (again.name, again.suggestion) == (IntentName.UNKNOWN, "silence NodeDown for 2h")


def test_the_classifier_alone_never_acts() -> None:
    """A message with no command verb is never state-changing, whatever the classifier says."""
    for name in ("remediation", "alert_silence", "subscribe", "approve"):
        parser = IntentParser(Insistent(name))
        assert parser.parse("payments web-1 thing", now=NOW).name not in STATE_CHANGING
