"""The terse-command grammar and the parser's decisions, with a fake classifier.

The fake always answers ``unknown``, so every intent asserted here comes from the grammar,
the PromQL reader or the follow-up logic, never from the trained model.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from intents.model import INTENT_SLOTS, SlotValue
from intents.parser import IntentParser


class FixedClassifier:
    """A :class:`intents.ports.TextClassifier` that returns one fixed ranking and records calls."""

    def __init__(self, ranking: Sequence[tuple[str, float]]) -> None:
        self.ranking = list(ranking)
        self.calls: list[str] = []

    def predict(self, text: str) -> Sequence[tuple[str, float]]:
        self.calls.append(text)
        return self.ranking


def grammar_only() -> IntentParser:
    return IntentParser(FixedClassifier([("unknown", 1.0)]))


TERSE: list[tuple[str, str, dict[str, SlotValue]]] = [
    ("cpu web-1 2h", "metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}),
    ("web-1 cpu 2h", "metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}),
    ("memory db-primary", "metric_query", {"metric": "memory", "target": "db-primary"}),
    ("latency", "metric_query", {"metric": "latency"}),
    (
        "rps checkout-api 30m",
        "metric_query",
        {"metric": "request_rate", "target": "checkout-api", "range": 1800},
    ),
    (
        "5xx payments 1d",
        "metric_query",
        {"metric": "error_rate", "target": "payments", "range": 86_400},
    ),
    ("metric disk web-2 90m", "metric_query", {"metric": "disk", "target": "web-2", "range": 5400}),
    ("status", "status", {}),
    ("status web-1", "status", {"target": "web-1"}),
    ("health payments", "health", {"target": "payments"}),
    ("alerts", "alerts_list", {}),
    ("alerts critical", "alerts_list", {"severity": "critical"}),
    (
        "critical alerts for db-primary",
        "alerts_list",
        {"severity": "critical", "target": "db-primary"},
    ),
    ("alerts warning web-2", "alerts_list", {"severity": "warning", "target": "web-2"}),
    ("silence NodeDown for 45m", "alert_silence", {"alertname": "NodeDown", "duration": 2700}),
    (
        "silence NodeDown on web-1 for 2h",
        "alert_silence",
        {"alertname": "NodeDown", "target": "web-1", "duration": 7200},
    ),
    ("mute web-2 1h", "alert_silence", {"target": "web-2", "duration": 3600}),
    ("snooze HighLatency", "alert_silence", {"alertname": "HighLatency"}),
    ("scale search to 3", "remediation", {"action": "scale", "target": "search", "replicas": 3}),
    ("scale search 5", "remediation", {"action": "scale", "target": "search", "replicas": 5}),
    (
        "scale up search to 5 replicas",
        "remediation",
        {"action": "scale", "target": "search", "replicas": 5},
    ),
    ("restart checkout-api", "remediation", {"action": "restart", "target": "checkout-api"}),
    ("reboot web-1", "remediation", {"action": "restart", "target": "web-1"}),
    ("rollback payments", "remediation", {"action": "rollback", "target": "payments"}),
    ("roll back payments", "remediation", {"action": "rollback", "target": "payments"}),
    (
        "run runbook flush-cache on payments",
        "remediation",
        {"action": "flush-cache", "target": "payments"},
    ),
    ("run flush-cache on payments", "remediation", {"action": "flush-cache", "target": "payments"}),
    ("approve 12", "approve", {"request_id": "12"}),
    ("approve #12", "approve", {"request_id": "12"}),
    ("approve request 12", "approve", {"request_id": "12"}),
    ("approve", "approve", {}),
    ("deny 12", "deny", {"request_id": "12"}),
    ("reject req-7", "deny", {"request_id": "req-7"}),
    ("subscribe critical", "subscribe", {"severity": "critical"}),
    ("subscribe warning web-1", "subscribe", {"severity": "warning", "target": "web-1"}),
    ("subscribe", "subscribe", {}),
    ("unsubscribe", "unsubscribe", {}),
    ("unsubscribe info", "unsubscribe", {"severity": "info"}),
    ("help", "help", {}),
    ("help alerts", "help", {"topic": "alerts"}),
    ("help silence", "help", {"topic": "silence"}),
    ("help metrics", "help", {"topic": "metrics"}),
    ("help remediation", "help", {"topic": "remediation"}),
    ("help anomaly", "help", {"topic": "anomaly"}),
    ("help promql", "help", {"topic": "promql"}),
    ("anomalies web-1 6h", "anomaly_query", {"target": "web-1", "range": 21_600}),
    ("promql up", "promql", {"expr": "up"}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), TERSE, ids=[t[0] for t in TERSE])
def test_terse_commands_parse_without_the_classifier(
    text: str, intent: str, slots: dict[str, SlotValue]
) -> None:
    """Each terse command gets its intent and exact slots from the grammar alone."""
    classifier = FixedClassifier([("unknown", 1.0)])
    result = IntentParser(classifier).parse(text)
    assert (result.name, dict(result.slots)) == (intent, slots)
    assert result.confidence >= 0.9
    assert classifier.calls == []


def test_every_slot_the_grammar_returns_belongs_to_its_intent() -> None:
    """No intent carries a slot CONTRACT.md does not list for it."""
    parser = grammar_only()
    for text, _, _ in TERSE:
        result = parser.parse(text)
        assert set(result.slots) <= set(INTENT_SLOTS[result.name])


@pytest.mark.parametrize(
    ("text", "expr", "range_"),
    [
        ("promql up", "up", None),
        ("promql rate(http_requests_total[5m])", "rate(http_requests_total[5m])", None),
        ("promql `sum(up)`", "sum(up)", None),
        ("promql up 2h", "up", 7200),
        ("promql rate(x[5m]) over the last 3 hours", "rate(x[5m])", 10_800),
        ("promql up offset 5m", "up offset 5m", None),
        ('PromQL: up{job="node"} == 0', 'up{job="node"} == 0', None),
        ("run `count by (job) (up)`", "count by (job) (up)", None),
        ("query rate(x[1m])", "rate(x[1m])", None),
        ("sum(rate(x[5m])) by (job)", "sum(rate(x[5m])) by (job)", None),
        ("```promql\nsum(up)\n```", "sum(up)", None),
        ('promql up{instance=~"web-1|web-2"}', 'up{instance=~"web-1|web-2"}', None),
    ],
)
def test_promql_expression_is_kept_exactly_as_written(
    text: str, expr: str, range_: int | None
) -> None:
    """The expression is verbatim (backticks removed); a trailing look-back is the range."""
    result = grammar_only().parse(text)
    expected: dict[str, SlotValue] = {"expr": expr}
    if range_ is not None:
        expected["range"] = range_
    assert (result.name, dict(result.slots)) == ("promql", expected)


def test_promql_without_expression_has_no_expr_slot() -> None:
    """A bare ``promql`` is a promql intent with ``expr`` absent, not empty."""
    result = grammar_only().parse("promql")
    assert (result.name, dict(result.slots)) == ("promql", {})


def test_free_text_goes_to_the_classifier_and_respects_its_answer() -> None:
    """Free text is classified; the classifier's intent and probability come back."""
    classifier = FixedClassifier([("status", 0.8), ("unknown", 0.1), ("help", 0.1)])
    result = IntentParser(classifier).parse("is web-1 doing alright")
    assert classifier.calls == ["is web-1 doing alright"]
    assert (result.name, dict(result.slots), result.confidence) == (
        "status",
        {"target": "web-1"},
        0.8,
    )


def test_likely_unknown_wins_even_when_not_first() -> None:
    """When ``unknown`` has at least ``unknown_threshold``, the answer is unknown."""
    classifier = FixedClassifier([("status", 0.35), ("unknown", 0.65)])
    assert IntentParser(classifier).parse("is web-1 doing alright").name == "unknown"


def test_best_in_scope_intent_beats_a_weak_unknown() -> None:
    """An ``unknown`` below the threshold yields to the best in-scope intent."""
    classifier = FixedClassifier([("unknown", 0.45), ("status", 0.4), ("help", 0.15)])
    assert IntentParser(classifier).parse("is web-1 doing alright").name == "status"


def test_low_confidence_answers_unknown() -> None:
    """An in-scope intent below ``threshold`` is not acted on."""
    classifier = FixedClassifier([("status", 0.15), ("help", 0.14), ("unknown", 0.1)])
    result = IntentParser(classifier).parse("is web-1 doing alright")
    assert result.name == "unknown"
    assert dict(result.slots) == {}


def test_text_without_any_operations_vocabulary_is_unknown_whatever_the_model_says() -> None:
    """The scope check overrides a confident but wrong classifier."""
    classifier = FixedClassifier([("metric_query", 0.99), ("unknown", 0.01)])
    result = IntentParser(classifier).parse("what's the capital of France")
    assert (result.name, dict(result.slots), result.canonical) == ("unknown", {}, None)


@pytest.mark.parametrize("text", ["help me write a speech", "how do I cook pasta"])
def test_help_must_be_about_the_bot(text: str) -> None:
    """A help-shaped request about something else is unknown."""
    classifier = FixedClassifier([("help", 0.95), ("unknown", 0.05)])
    assert IntentParser(classifier).parse(text).name == "unknown"


@pytest.mark.parametrize("text", ["what can you do", "who are you", "help me please"])
def test_help_about_the_bot_is_help(text: str) -> None:
    """Stock questions about the bot stay help."""
    classifier = FixedClassifier([("help", 0.95), ("unknown", 0.05)])
    assert IntentParser(classifier).parse(text).name == "help"


@pytest.mark.parametrize("text", ["", "   ", "<@U123>", "<at>SmartCloudOps</at>"])
def test_empty_messages_are_unknown(text: str) -> None:
    """Nothing but whitespace or a mention is unknown, without asking the classifier."""
    classifier = FixedClassifier([("status", 1.0)])
    assert IntentParser(classifier).parse(text).name == "unknown"
    assert classifier.calls == []
