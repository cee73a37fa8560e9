"""Every crash ``bench/fuzz_bench.py`` found (issue 14), with the exact input that raised it
and the outcome that input should have: an intent for the parser, a refusal for a payload.

The inputs are the first example of each distinct exception and place the bench reported
(seed 14 unless said otherwise; see bench/RESULTS_FUZZ.md). ``NOW`` is the bench's clock.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, timedelta, timezone, tzinfo

import pytest

from intents.model import Intent, IntentName, Turn
from intents.parser import IntentParser
from ml.intent_classifier import build_parser

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
ZONES: dict[str, tzinfo] = {
    "UTC": UTC,
    "+14": timezone(timedelta(hours=14)),
    "-12": timezone(timedelta(hours=-12)),
}


@functools.cache
def _parser(zone: str) -> IntentParser:
    return build_parser(timezone=ZONES[zone])


def parse(text: str, zone: str = "UTC", now: float = NOW, history: Sequence[Turn] = ()) -> Intent:
    """``text`` through the bot's parser in ``zone`` (the bench's zones), at ``now``."""
    return _parser(zone).parse(text, history, now)


# --------------------------------------------------------------------------- the parser


@pytest.mark.parametrize(("text", "zone"), [("approve ➊", "UTC"), ("deny ፰", "UTC")])
def test_a_decision_on_a_non_decimal_digit_names_no_request(text: str, zone: str) -> None:
    """``int("➊")`` raised in ``analysis._number``; now the decision is understood and the
    handler asks which request (no ``request_id``), as for any other non-number."""
    intent = parse(text, zone)
    assert intent.name in (IntentName.APPROVE, IntentName.DENY)
    assert "request_id" not in intent.slots


@pytest.mark.parametrize(("text", "zone"), [("፰", "UTC"), ("how ፫ I expense a taxi", "+14")])
def test_non_decimal_digits_alone_or_in_chatter_are_not_understood(text: str, zone: str) -> None:
    assert parse(text, zone).name is IntentName.UNKNOWN


def test_a_command_with_a_non_decimal_count_is_refused_not_run() -> None:
    intent = parse("scale search to ➌")
    assert intent.name is IntentName.UNKNOWN
    assert intent.refusal == "extra_words"


def test_decimal_digits_of_other_scripts_still_read_as_numbers() -> None:
    """The fix takes what ``int()`` takes (``isdecimal``), so nothing that parsed changes."""
    assert parse("scale search to ٣").slots == {
        "action": "scale",
        "target": "search",
        "replicas": 3,
    }
