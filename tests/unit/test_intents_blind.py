"""The parser on phrasings unlike its training data, and the rules added for them.

``data/intents_blind2.yaml`` was written blind (Slack-casual, ops jargon, verbose, typos, odd
target shapes, many duration forms, domain-adjacent out-of-scope text, follow-ups), scored
once, then used to improve the parser: it is a regression guard now, not an estimate.
``data/intents_blind3.yaml`` was written after those fixes and scored once; its number is
reported in bench/RESULTS_PARSER.md and is deliberately not asserted here, so nobody tunes on
it by making a test pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intents.durations import find_durations
from intents.evaluation import Case, load_set, score
from intents.model import Intent, SlotValue, Turn
from intents.parser import IntentParser
from intents.text import tokenize
from ml.intent_classifier import build_parser
from ml.intent_training import load_utterances

DATA = Path(__file__).parent / "data"
FIRST_INTENTS = (
    "help", "metric_query", "promql", "status", "alerts_list", "alert_silence",
    "anomaly_query", "remediation", "approve", "deny", "subscribe", "unsubscribe", "unknown",
)  # fmt: skip
"""The intents of the first contract, which the held-out and blind sets 2-3 were written for."""
BLIND2 = DATA / "intents_blind2.yaml"
BLIND3 = DATA / "intents_blind3.yaml"


@pytest.fixture(scope="module")
def parser() -> IntentParser:
    return build_parser()


def shape(intent: Intent) -> tuple[str, dict[str, SlotValue]]:
    return intent.name, dict(intent.slots)


def _novel(conversations: list[list[Case]]) -> list[list[Case]]:
    """Single-message cases that are not training sentences, plus every conversation (a
    follow-up is judged in context, which training never sees)."""
    training = {" ".join(u.text.lower().split()) for u in load_utterances()}
    return [
        c
        for c in conversations
        if len(c) > 1 or " ".join(c[0].text.lower().split()) not in training
    ]


# --------------------------------------------------------------------------- blind sets


@pytest.mark.parametrize("path", [BLIND2, BLIND3], ids=["blind2", "blind3"])
def test_blind_sets_cover_every_intent_and_follow_ups(path: Path) -> None:
    """Each blind set has the 13 intents there were when it was written (later intents are
    in blind set 4), out-of-scope lines and multi-turn conversations."""
    conversations = load_set(path)
    cases = [c for conversation in conversations for c in conversation]
    assert {c.intent for c in cases} >= set(FIRST_INTENTS)
    assert sum(c.intent == "unknown" for c in cases) >= 15
    assert sum(len(c) > 1 for c in conversations) >= 4


def test_blind2_intent_accuracy_is_at_least_95_percent(parser: IntentParser) -> None:
    """Intent accuracy on blind set 2 stays >= 0.95 (misses are listed on failure)."""
    result = score(parser, load_set(BLIND2))
    assert result.cases >= 300
    assert result.intent_accuracy >= 0.95, [(m.case, m.got.to_json()) for m in result.misses]


def test_blind2_slots_are_exact_and_out_of_scope_is_unknown(parser: IntentParser) -> None:
    """>= 95 % exact slots where listed, >= 95 % of out-of-scope lines answered unknown."""
    result = score(parser, load_set(BLIND2))
    misses = [(m.case, m.got.to_json()) for m in result.misses]
    assert result.slot_accuracy >= 0.95, misses
    assert result.unknown_recall >= 0.95, misses


def test_blind2_accuracy_holds_without_sentences_also_in_training(parser: IntentParser) -> None:
    """Leaving out blind lines that happen to be training sentences, still >= 0.95."""
    result = score(parser, _novel(load_set(BLIND2)))
    assert result.intent_accuracy >= 0.95
    assert result.slot_accuracy >= 0.95


def test_scoring_counts_a_wrong_slot_as_a_miss(parser: IntentParser) -> None:
    """The scorer is strict: right intent with a wrong slot value is not a hit."""
    wrong = [[Case("cpu web-1 2h", "metric_query", {"metric": "cpu", "target": "web-2"})]]
    result = score(parser, wrong)
    assert (result.intent_ok, result.slots_ok, len(result.misses)) == (1, 0, 1)


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("past hour and a half", 5400),
        ("last one and a half hours", 5400),
        ("last two and a half hours", 9000),
        ("last twenty-four hours", 86400),
        ("past 2h 30m", 9000),
        ("last 1 hour and 30 minutes", 5400),
        ("a quarter of an hour", 900),
        ("past quarter hour", 900),
        ("last day and a half", 129600),
    ],
)
def test_compound_durations_add_up(text: str, seconds: int) -> None:
    """Halves, quarters, hyphenated numbers and "2h 30m" are one span of the right length."""
    spans = find_durations(text.split())
    assert [s.seconds for s in spans] == [seconds]


def test_a_day_word_then_a_span_are_not_added() -> None:
    """Only counted spans combine: "2h yesterday" is a span and a day, not 26 hours."""
    assert [s.seconds for s in find_durations(["2h", "yesterday"])] == [7200]


# --------------------------------------------------------------------------- text


def test_chat_shorthand_reads_as_the_words_it_stands_for() -> None:
    """'u', 'rn', 'atm' become 'you', 'right now', 'at the moment'."""
    words = [t.norm for t in tokenize("can u check web-1 rn atm")]
    assert words == ["can", "you", "check", "web-1", "right", "now", "at", "the", "moment"]


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payments ok?", ("health", {"target": "payments"})),
        ("how slow is payments", ("metric_query", {"metric": "latency", "target": "payments"})),
        ("latency for the frontend", ("metric_query", {"metric": "latency", "target": "frontend"})),
        ("cpu of the payments api", ("metric_query", {"metric": "cpu", "target": "payments"})),
        ("which host has the highest cpu", ("metric_query", {"metric": "cpu"})),
        ("payments needs a restart", ("unknown", {})),
        ("add more pods to search", ("remediation", {"action": "scale", "target": "search"})),
        (
            "execute query node_memory_MemAvailable_bytes",
            ("promql", {"expr": "node_memory_MemAvailable_bytes"}),
        ),
        (
            "latency (checkout-api, 1h)",
            ("metric_query", {"metric": "latency", "target": "checkout-api", "range": 3600}),
        ),
        ("yes 42", ("approve", {"request_id": "42"})),
        ("nope #17", ("deny", {"request_id": "17"})),
        ("request 77 is not approved", ("unknown", {})),
        ("how do I restart a service?", ("help", {"topic": "remediation"})),
    ],
)
def test_generalising_rules(parser: IntentParser, text: str, expected: object) -> None:
    """Target positions, verb-less scale, mixed-case metric names, yes/no with an id, a
    negation after the verb, a need that is not an order and how-to questions read as
    CONTRACT.md means them."""
    assert shape(parser.parse(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "restart my phone",
        "mute my microphone",
        "please approve my PTO",
        "unsubscribe me from marketing emails",
        "how to handle errors in golang",
        "are you alive",
        "you up?",
        "is gmail down",
        "queue depth web-1",
    ],
)
def test_questions_everyday_things_and_small_talk_are_unknown(
    parser: IntentParser, text: str
) -> None:
    """Everyday objects, code questions and small talk at the bot are out of scope whatever
    verbs they use; a remediation needs an action."""
    assert parser.parse(text).name == "unknown"


def test_a_named_system_and_metric_outweigh_a_chatty_opening(parser: IntentParser) -> None:
    """ "hey team, anyone know why payments is throwing 500s?" is still a metric query."""
    got = parser.parse("hey team, anyone know why payments is throwing 500s?")
    assert shape(got) == ("metric_query", {"metric": "error_rate", "target": "payments"})


def test_everyday_words_do_not_hide_a_named_system(parser: IntentParser) -> None:
    """An off-domain word does not make "restart web-1 before lunch" out of scope: the bot
    still says which command it heard, but a restart timed "before lunch" is not an order to
    run now, so it is not run."""
    got = parser.parse("restart web-1 before lunch")
    assert got.name == "unknown"
    assert got.about is not None
    assert got.about.canonical == "restart web-1"


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("did you restart payments?", {"target": "payments", "action": "restart"}),
        ("when was checkout-api rebooted", {"target": "checkout-api", "action": "restart"}),
    ],
)
def test_questions_about_past_actions_read_the_audit_log(
    parser: IntentParser, text: str, slots: dict[str, SlotValue]
) -> None:
    """A past-tense question about an action is a history question, never the action."""
    assert shape(parser.parse(text)) == ("history", slots)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("same thing but memory", {"metric": "memory", "target": "web-1", "range": 7200}),
        ("disk too", {"metric": "disk", "target": "web-1", "range": 7200}),
        (
            "p50 instead",
            {"metric": "latency", "target": "web-1", "range": 7200, "quantile": 0.5},
        ),
        ("how about cpu there", {"metric": "cpu", "target": "web-1", "range": 7200}),
        ("what about its latency", {"metric": "latency", "target": "web-1", "range": 7200}),
    ],
)
def test_more_follow_up_shapes_keep_the_conversation(
    parser: IntentParser, text: str, expected: dict[str, SlotValue]
) -> None:
    """Follow-ups with 'too', 'instead', 'there', 'its', 'same thing but' refine the last
    request instead of starting over."""
    history = [Turn("metric_query", {"metric": "network", "target": "web-1", "range": 7200}, 0)]
    assert shape(parser.parse(text, history)) == ("metric_query", expected)
