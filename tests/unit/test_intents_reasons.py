"""The reason for a request: ``reason 12 the pods are stuck``, and the why said with a
command ("restart payments because it is hung"). Read by the one parser, kept as data."""

from __future__ import annotations

import pytest

from intents.model import STATE_CHANGING, IntentName
from intents.parser import IntentParser
from ml.intent_classifier import build_parser


@pytest.fixture(scope="module")
def parser() -> IntentParser:
    return build_parser()


@pytest.mark.parametrize(
    ("text", "request_id", "said"),
    [
        ("reason 12 the pods are stuck", "12", "the pods are stuck"),
        ("reason #12: restart did not help", "12", "restart did not help"),
        ("add a reason for request 7 customers see `timeouts`?", "7", "customers see `timeouts`?"),
        ("Reason 3 <!channel> look at\n the <@U1|ann> graph", "3", "!channel look at the graph"),
        ("reason 4 ping @here and @everyone now", "4", "ping here and everyone now"),
    ],
)
def test_a_reason_command_keeps_the_words_as_data(
    parser: IntentParser, text: str, request_id: str, said: str
) -> None:
    intent = parser.parse(text)
    assert (intent.name, dict(intent.slots)) == (
        IntentName.REASON,
        {"request_id": request_id, "text": said},
    )
    assert intent.canonical == f"reason {request_id} {said}"
    assert parser.parse(intent.canonical).slots == intent.slots


def test_a_reason_is_grammar_only_and_written_in_a_persons_name() -> None:
    assert IntentName.REASON in STATE_CHANGING


@pytest.mark.parametrize(
    "text",
    [
        "reason 12",
        "reason 12?",
        "reason for 12?",
        "what is the reason for 12?",
        "why was request 12 made?",
        "should I add a reason to 12?",
        "how do I give a reason for a request",
        "the reason for 12 was the disk",
        "reasons for the outage?",
    ],
)
def test_questions_about_reasons_write_nothing(parser: IntentParser, text: str) -> None:
    assert parser.parse(text).name not in STATE_CHANGING


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("restart payments because it is hung", "it is hung"),
        ("the build is broken, roll back search", "the build is broken"),
        ("web-1 is hung, reboot it", "web-1 is hung"),
        ("restart payments, thanks", None),
        ("restart payments", None),
    ],
)
def test_a_reason_said_with_a_command_comes_with_its_intent(
    parser: IntentParser, text: str, reason: str | None
) -> None:
    intent = parser.parse(text)
    assert intent.name is IntentName.REMEDIATION
    assert intent.reason == reason
    assert intent.to_json().get("reason") == reason


def test_only_a_remediation_carries_a_reason(parser: IntentParser) -> None:
    assert parser.parse("silence NodeDown for 1h because of maintenance").reason is None
