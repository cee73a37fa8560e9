"""The command the bot echoes ("Understood: ...", suggestions, the ``canonical`` key of
``parse``) reads back as the same request: a user who copies it gets what was understood.
Checked on every labelled message of ``tests/unit/data``."""

from __future__ import annotations

from pathlib import Path

import pytest

from intents.evaluation import labelled_texts
from intents.model import IntentName
from intents.parser import IntentParser
from ml.intent_classifier import build_parser

DATA = Path(__file__).parent / "data"
NOW = 1_796_400_000.0


@pytest.fixture(scope="module")
def parser() -> IntentParser:
    return build_parser()


def test_every_echo_reads_back_as_the_request_it_echoes(parser: IntentParser) -> None:
    """Before: "metric error_rate payments 1h" read "error_rate" as a target (64 echoes),
    "silence disk_pressure for 3h" silenced a target, not the alert, and "forecast latency
    for payments" forecast a target called "forecast"."""
    mismatched = []
    echoed = 0
    for text in labelled_texts(DATA):
        found = parser.parse(text, now=NOW)
        if found.name is IntentName.UNKNOWN or not found.canonical:
            continue
        echoed += 1
        again = parser.parse(found.canonical, now=NOW)
        if (again.name, again.slots) != (found.name, found.slots):
            mismatched.append((text, found.canonical, again.name.value, again.slots))
    assert echoed > 900
    assert mismatched == []


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("silence CPUHigh for 20m", {"alertname": "CPUHigh", "duration": 1200}),
        ("silence alert disk_pressure for 3h", {"alertname": "disk_pressure", "duration": 10800}),
        ("forecast latency for payments in 5h", {"metric": "latency", "target": "payments",
                                                 "horizon": 18000}),
        ("metric error_rate payments 1h", {"metric": "error_rate", "target": "payments",
                                           "range": 3600}),
        ("history restart", {"action": "restart"}),
    ],
)  # fmt: skip
def test_echo_shapes_read_right(parser: IntentParser, text: str, slots: dict[str, object]) -> None:
    assert parser.parse(text, now=NOW).slots == slots
